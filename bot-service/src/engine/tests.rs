//! The engine on its own (no agent-service): what a long conversation leaves in memory,
//! and two engines (replicas) sweeping one Redis session store.

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

#[tokio::test]
async fn an_idle_session_is_closed_once_by_two_replicas_sweeping_one_redis() {
    use crate::session::redis::{RedisSessionSettings, RedisSessions, TEST_URL_ENV};
    let Some(url) = std::env::var(TEST_URL_ENV).ok().filter(|u| !u.is_empty()) else {
        eprintln!("skipped: {TEST_URL_ENV} is not set");
        return;
    };
    let settings = RedisSessionSettings {
        url,
        key_prefix: format!("honeydesk-test-{}:", server_kit::request_id::new_id()),
        lock_lease: std::time::Duration::from_secs(10),
        lock_wait: std::time::Duration::from_secs(10),
        timeout: std::time::Duration::from_secs(2),
    };
    let clock = Arc::new(FakeClock::starting_now());
    let replica = || {
        let store = Arc::new(RedisSessions::new(&settings).unwrap());
        Engine::new(
            EngineSettings::defaults(),
            clock.clone(),
            Arc::new(UnreachableDesk),
        )
        .unwrap()
        .with_sessions(store)
    };
    let (a, b) = (replica(), replica());
    let (view, _) = a
        .start("u-idle", Entrance::Consumer, Language::Zh)
        .await
        .unwrap();
    clock.advance(EngineSettings::defaults().idle_timeout);
    let (closed_a, closed_b) = tokio::join!(a.sweep(), b.sweep());
    assert_eq!(closed_a + closed_b, 1, "one idle close, on one replica");
    let seen = b.get("u-idle", &view.id).await.unwrap();
    assert_eq!(
        seen.close_reason,
        Some(crate::session::CloseReason::IdleTimeout)
    );
    assert_eq!(
        (a.sweep().await, b.sweep().await),
        (0, 0),
        "not closed again"
    );
}
