//! Throughput of escalation intake (durably stored tickets per second, one caller and 64
//! concurrent callers) and of routing (10,000 waiting tickets, 500 agents).
//! `cargo bench -p agent-service --bench queues`; set `HONEYDESK_TEST_POSTGRES_URL` to
//! measure intake on PostgreSQL as well.

use std::{
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use agent_service::{
    domain::{
        Agent, AgentProfile, Entrance, Escalation, Presence,
        routing::{Routing, Waiting},
    },
    grpc::Services,
    store::{Store, testing::TestDatabase},
};
use server_kit::{FakeClock, Shutdown};

fn escalation(n: usize) -> Escalation {
    Escalation {
        idempotency_key: format!("bench-{n}"),
        customer_id: format!("u-{n}"),
        entrance: Entrance::Consumer,
        skill: ["orders", "aftersale", "payments"][n % 3].into(),
        priority: (n % 3) as u8,
        reason: "bench".into(),
        intent: "handoff.human".into(),
        bot_session_id: format!("s-{n}"),
        transcript: vec![],
    }
}

async fn intake(name: &str, db: TestDatabase) {
    let store: Arc<dyn Store> = Arc::new(db.store.clone());
    let clock = Arc::new(FakeClock::starting_now());
    let services = Services::new(store, clock, Default::default(), Shutdown::new());
    let intake = services.intake.clone();
    let n = 1000;
    let start = Instant::now();
    for i in 0..n {
        intake.create(&escalation(i)).await.expect("stored");
    }
    let one = n as f64 / start.elapsed().as_secs_f64();
    let (callers, per) = (64, 40);
    let start = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|c| {
            let intake = intake.clone();
            tokio::spawn(async move {
                for i in 0..per {
                    intake
                        .create(&escalation(n + c * per + i))
                        .await
                        .expect("stored");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("caller");
    }
    let many = (callers * per) as f64 / start.elapsed().as_secs_f64();
    println!(
        "intake {name}: {one:.0} tickets/s one at a time, {many:.0} tickets/s with {callers} callers"
    );
    db.drop().await;
}

fn routing() {
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let skills = ["orders", "aftersale", "payments", "logistics", "general"];
    let mut r = Routing::new(Duration::from_secs(30));
    for i in 0..500 {
        let agent = Agent {
            profile: AgentProfile {
                agent_id: format!("a-{i}"),
                work_number: format!("{i}"),
                display_name: format!("agent {i}"),
                skills: vec![skills[i % 5].into(), skills[(i + 2) % 5].into()],
                entrances: vec![Entrance::Consumer],
                capacity: 3,
            },
            presence: Presence::Available,
            presence_since: t0,
        };
        r.upsert_agent(&agent, t0);
    }
    for i in 0..10_000u64 {
        r.enqueue(Waiting {
            ticket_id: format!("t-{i:05}"),
            entrance: Entrance::Consumer,
            skill: skills[(i % 5) as usize].into(),
            priority: (i % 4) as u8,
            since: t0 + Duration::from_millis(i),
            target: None,
        });
    }
    let mut n = 0u64;
    let mut ids = || {
        n += 1;
        format!("o-{n}")
    };
    let start = Instant::now();
    let first = r.plan(t0, &mut ids);
    let first_pass = start.elapsed();
    // Accept every offer and route again until every slot is full.
    let start = Instant::now();
    let (mut accepted, mut passes, mut offers) = (0, 0, first);
    while !offers.is_empty() {
        for o in &offers {
            r.accepted(&o.offer_id, t0);
            accepted += 1;
        }
        offers = r.plan(t0, &mut ids);
        passes += 1;
    }
    let fill = start.elapsed();
    println!(
        "routing 10000 tickets x 500 agents: first pass {:?} (500 offers); {accepted} assignments over {passes} passes in {fill:?} ({:.0}/s)",
        first_pass,
        accepted as f64 / fill.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    routing();
    intake("sqlite", TestDatabase::sqlite().await).await;
    if let Some(db) = TestDatabase::postgres().await {
        intake("postgres", db).await;
    }
}
