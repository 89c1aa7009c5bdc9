//! Nothing is lost and no rule is broken when things go wrong: streams resume after a
//! drop with exactly what they missed, a restart of agent-service keeps the queue order
//! and open conversations, and a seeded random walk checks that no ticket is ever with
//! two agents or offered against the rules.

use std::{collections::HashMap, time::Duration};

use honeydesk::{
    TestApp,
    bot_side::{BotSide, next_event, text_of},
    desk::{Desk, QUIET},
};
use honeydesk_proto::agent::v1::{self as pb, stream_desk_response::Kind};

const OFFER: Duration = Duration::from_secs(31);

#[tokio::test]
async fn reconnecting_streams_get_exactly_what_they_missed() {
    let app = TestApp::spawn().await;
    let mut bot = BotSide::new(&app).await;
    let mut mei = Desk::open(&app, "a-1024").await;
    let ticket = bot.consumer("u-1", "orders").await;
    mei.take().await;
    let mut watch = bot.watch(&ticket, "u-1", 0).await;
    let mut last = 0;
    while last < 2 {
        last = next_event(&mut watch).await.sequence.max(last);
    }
    drop(watch);
    mei.say(&ticket, "d-1", "第一句").await.unwrap();
    mei.say(&ticket, "d-2", "第二句").await.unwrap();
    let mut watch = bot.watch(&ticket, "u-1", last).await;
    let missed = [next_event(&mut watch).await, next_event(&mut watch).await];
    assert_eq!(
        missed.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        [3, 4]
    );
    assert_eq!(text_of(&missed[1]), Some("第二句"));
    assert!(
        tokio::time::timeout(QUIET, watch.message()).await.is_err(),
        "nothing twice"
    );

    // The desk too: resume after sequence 4 and get the customer's message sent meanwhile.
    drop(mei);
    bot.say(&ticket, "u-1", "c-1", "收到").await.unwrap();
    let cursor = pb::TicketCursor {
        ticket_id: ticket.clone(),
        after_sequence: 4,
    };
    let mut mei = Desk::resume(&app, "a-1024", vec![cursor], false).await;
    let got = mei.event(|_| true).await;
    assert_eq!((got.sequence, text_of(&got)), (5, Some("收到")));
    assert!(mei.next(QUIET).await.is_none(), "nothing else");
    app.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_the_queue_order_and_open_conversations() {
    let mut app = TestApp::spawn().await;
    let mut bot = BotSide::new(&app).await;
    let mut mei = Desk::open(&app, "a-1024").await;
    let open = bot.consumer("u-0", "orders").await;
    mei.take().await;
    mei.presence(pb::Presence::Away).await;
    let first = bot.consumer("u-1", "orders").await;
    let second = bot.consumer("u-2", "orders").await;
    mei.say(&open, "d-1", "请稍等").await.unwrap();
    drop(mei);
    app.stack
        .restart_agent()
        .await
        .expect("agent-service restarts");

    let mut bot = BotSide::new(&app).await;
    assert_eq!(
        bot.get(&first, "u-1").await.queue_status.unwrap().position,
        1
    );
    assert_eq!(
        bot.get(&second, "u-2").await.queue_status.unwrap().position,
        2
    );
    let sent = bot.say(&open, "u-0", "c-1", "好的").await.unwrap();
    let cursor = pb::TicketCursor {
        ticket_id: open.clone(),
        after_sequence: 2,
    };
    let mut mei = Desk::resume(&app, "a-1024", vec![cursor], false).await;
    assert_eq!(text_of(&mei.event(|_| true).await), Some("请稍等"));
    assert_eq!(mei.event(|_| true).await.sequence, sent.sequence);
    mei.presence(pb::Presence::Available).await;
    assert_eq!(
        mei.take().await.ticket_id,
        first,
        "the order survives the restart"
    );
    assert_eq!(mei.take().await.ticket_id, second);
    app.stop().await;
}

/// xorshift64*: a seeded walk without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

#[tokio::test]
async fn a_random_walk_never_gives_a_ticket_to_two_agents_or_breaks_the_rules() {
    use pb::transfer_ticket_request::Target;
    // The walk checks the skill rule itself; overflow to `general` (which every demo
    // agent has) has its own tests in empty_queues.rs, so it is off here.
    let app = TestApp::spawn_with(honeydesk::testing::Options {
        agent: Some(Box::new(|s| s.routing.overflow_after_secs = 0)),
        ..Default::default()
    })
    .await;
    let mut bot = BotSide::new(&app).await;
    // The demo roster: who serves what (consumer entrance), and capacity.
    let serves: HashMap<&str, (&[&str], usize)> = HashMap::from([
        (
            "a-1024",
            (&["orders", "logistics", "general", "complaints"][..], 3),
        ),
        (
            "a-1025",
            (
                &["aftersale", "payments", "account", "invoice", "general"][..],
                3,
            ),
        ),
        (
            "a-3001",
            (
                &["orders", "logistics", "aftersale", "payments", "general"][..],
                2,
            ),
        ),
    ]);
    let mut desks = Vec::new();
    for id in ["a-1024", "a-1025", "a-3001"] {
        desks.push(Desk::open(&app, id).await);
    }
    let skills = ["orders", "aftersale", "payments", "general"];
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut holder: HashMap<String, String> = HashMap::new();
    let mut offers: HashMap<String, pb::Offer> = HashMap::new();
    let mut customers = 0;
    for step in 0..80 {
        // Drain what each desk has been told, checking every offer against the rules.
        for desk in desks.iter_mut() {
            while let Some(kind) = desk.next(Duration::from_millis(15)).await {
                match kind {
                    Kind::Offer(o) => {
                        let t = o.ticket.as_ref().unwrap();
                        let (skills, capacity) = serves[desk.id.as_str()];
                        assert!(
                            skills.contains(&t.skill.as_str()),
                            "step {step}: {} offered {}",
                            desk.id,
                            t.skill
                        );
                        assert_eq!(t.entrance, pb::Entrance::Consumer as i32);
                        let held = holder.values().filter(|h| **h == desk.id).count();
                        assert!(
                            held < capacity,
                            "step {step}: {} offered beyond capacity",
                            desk.id
                        );
                        assert!(
                            !holder.contains_key(&t.ticket_id),
                            "step {step}: offered a held ticket"
                        );
                        offers.insert(desk.id.clone(), o);
                    }
                    Kind::OfferWithdrawn(w) => {
                        offers.retain(|_, o| o.offer_id != w.offer_id);
                    }
                    _ => {}
                }
            }
        }
        let d = rng.below(desks.len());
        let desk = &mut desks[d];
        match rng.below(8) {
            0 | 1 => {
                customers += 1;
                bot.consumer(&format!("r-{customers}"), skills[rng.below(skills.len())])
                    .await;
            }
            2 | 3 => {
                if let Some(o) = offers.remove(&desk.id)
                    && let Ok(t) = desk.accept(&o).await
                {
                    let before = holder.insert(t.ticket_id.clone(), desk.id.clone());
                    assert!(
                        before.is_none(),
                        "step {step}: {} was already with {before:?}",
                        t.ticket_id
                    );
                }
            }
            4 => {
                if let Some(o) = offers.remove(&desk.id) {
                    desk.decline(&o).await;
                }
            }
            5 => app.clock.advance(OFFER),
            6 => {
                let presence = [pb::Presence::Available, pb::Presence::Away][rng.below(2)];
                desk.presence(presence).await;
                if presence == pb::Presence::Away {
                    offers.remove(&desk.id);
                }
            }
            _ => {
                let mine: Vec<String> = holder
                    .iter()
                    .filter(|(_, h)| **h == desk.id)
                    .map(|(t, _)| t.clone())
                    .collect();
                if let Some(t) = mine.first() {
                    if rng.below(2) == 0 {
                        desk.close(t, pb::Resolution::Resolved).await.unwrap();
                    } else {
                        desk.transfer(t, Target::Skill("general".into())).await.ok();
                    }
                    holder.remove(t);
                }
            }
        }
    }
    app.stop().await;
}

/// An embedded SQLite file serves one agent-service: a second one started on the same
/// file (which would make offers the first cannot see) is refused, naming the holder;
/// once the first stops, a successor starts. PostgreSQL takes any number.
#[tokio::test]
async fn a_second_agent_service_on_one_sqlite_file_is_refused_by_name() {
    let mut app = TestApp::spawn().await;
    let second = app.stack.start_agent_replica().await;
    match app.dialect() {
        agent_service::store::Dialect::Sqlite => {
            let refused = format!("{:#}", second.err().expect("refused"));
            assert!(
                refused.contains("is already served by another agent-service (pid "),
                "{refused}"
            );
            // A restart (the first stops, its successor starts on the file) still works.
            app.stack.restart_agent().await.unwrap();
            let mut bot = BotSide::new(&app).await;
            bot.consumer("u-1", "orders").await;
        }
        agent_service::store::Dialect::Postgres => {
            second.expect("PostgreSQL serves several agent-service processes");
        }
    }
}
