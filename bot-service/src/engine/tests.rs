//! The engine on its own (no agent-service): what a long conversation leaves in memory.

use std::sync::Arc;

use server_kit::FakeClock;

use super::{Engine, EngineSettings};
use crate::{
    handoff::unreachable::UnreachableDesk,
    vocabulary::{Entrance, Language},
};

#[tokio::test]
async fn a_thousand_turns_keep_only_the_configured_window() {
    let settings = EngineSettings {
        transcript_window: 10,
        ..EngineSettings::defaults()
    };
    let clock = Arc::new(FakeClock::starting_now());
    let engine = Engine::new(settings, clock, Arc::new(UnreachableDesk)).unwrap();
    let (view, _) = engine
        .start("u-1", Entrance::Consumer, Language::Zh)
        .await
        .unwrap();
    for n in 0..1000 {
        engine
            .turn("u-1", &view.id, &format!("m-{n}"), "快递到哪了")
            .await
            .unwrap();
    }
    let session = engine.sessions.lock(&view.id).await.unwrap().unwrap();
    assert_eq!(session.transcript.lines().len(), 10);
    assert_eq!(session.transcript.written(), 1 + 2 * 1000);
    assert!(session.replies.answered("m-999").is_some());
    assert!(
        session.replies.answered("m-0").is_none(),
        "the replay cache is bounded"
    );
}
