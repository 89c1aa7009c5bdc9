//! What a session costs in memory, measured as the process's resident memory grows
//! (`/proc/self/statm`), with the allocator the binary uses: 50,000 idle sessions (just
//! greeted), then 1,000 sessions of 20 and of 200 turns — the transcript window and
//! replay cache are bounded, so 200 turns must cost no more than 20.
//! Run with `cargo bench -p bot-service --bench session_memory`.

use std::sync::Arc;

use bot_service::{
    engine::{Engine, EngineSettings},
    handoff::unreachable::UnreachableDesk,
    vocabulary::{Entrance, Language},
};
use server_kit::FakeClock;

#[global_allocator]
static ALLOCATOR: server_kit::Allocator = server_kit::ALLOCATOR;

const IDLE_SESSIONS: usize = 50_000;
const LONG_SESSIONS: usize = 1_000;
const UTTERANCES: &[&str] = &[
    "快递到哪了",
    "退款什么时候到账",
    "how do I get an invoice",
    "你好",
    "谢谢",
];

/// Resident memory in bytes.
fn resident() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let clock = Arc::new(FakeClock::starting_now());
    let engine = Engine::new(EngineSettings::defaults(), clock, Arc::new(UnreachableDesk))
        .expect("the default catalogue loads");
    let before = resident();
    for n in 0..IDLE_SESSIONS {
        engine
            .start(&format!("idle-{n}"), Entrance::Consumer, Language::Zh)
            .await
            .expect("no cap on open sessions here");
    }
    let idle = resident().saturating_sub(before) as f64 / IDLE_SESSIONS as f64;
    println!(
        "{IDLE_SESSIONS} idle sessions: {:.2} KiB each ({} held)",
        idle / 1024.0,
        engine.sessions()
    );

    for turns in [20, 200] {
        let before = resident();
        for n in 0..LONG_SESSIONS {
            let user = format!("long-{turns}-{n}");
            let (session, _) = engine
                .start(&user, Entrance::Consumer, Language::Zh)
                .await
                .expect("no cap on open sessions here");
            for t in 0..turns {
                let text = UTTERANCES[t % UTTERANCES.len()];
                let _ = engine
                    .turn(&user, &session.id, &format!("m-{t}"), text)
                    .await;
            }
        }
        let long = resident().saturating_sub(before) as f64 / LONG_SESSIONS as f64;
        println!(
            "{LONG_SESSIONS} sessions of {turns} turns: {:.2} KiB each",
            long / 1024.0
        );
    }
}
