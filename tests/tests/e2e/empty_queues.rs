//! Waiting for a person when few or none are there, over real gRPC: a queued customer
//! is not closed by the robot's idle timer, a ticket nobody of its skill takes overflows
//! to the entrance's `general` agents after the configured wait, and when nobody at all
//! can serve, the customer is told the truth (wait unknown, the hotline, leave a message)
//! instead of a made-up estimate.

use std::time::Duration;

use honeydesk::{TestApp, bot_side::BotSide, chat::Chat, desk::Desk, testing::Options};
use honeydesk_proto::{agent::v1 as agent_pb, bot::v1 as pb};
use server_kit::Clock;

#[tokio::test]
async fn a_queued_customer_is_not_closed_by_the_robots_idle_timer() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    chat.say("我要申请退款").await;
    let ticket = chat
        .request_agent()
        .await
        .unwrap()
        .session
        .unwrap()
        .ticket_id;
    // Past the robot's 10-minute idle limit, with nobody watching the event stream.
    app.clock.advance(Duration::from_secs(11 * 60));
    let session = chat.session().await;
    assert_eq!(session.state, pb::SessionState::Queued as i32);
    let stored = BotSide::new(&app).await.get(&ticket, "shopper-1").await;
    assert_eq!(
        stored.ticket.unwrap().status,
        agent_pb::TicketStatus::Queued as i32,
        "the ticket is not cancelled"
    );
    app.stop().await;
}

#[tokio::test]
async fn with_nobody_to_serve_the_customer_is_told_the_wait_is_unknown() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    chat.say("我要申请退款").await;
    let typed = chat.say("转人工").await;
    assert!(
        typed.text.contains("无法估计") && typed.text.contains("9510-8888"),
        "honest about the wait, offers the hotline: {}",
        typed.text
    );
    assert!(
        typed.text.contains("留言"),
        "offers to leave a message: {}",
        typed.text
    );
    assert!(
        !typed.text.contains("分钟"),
        "no made-up wait: {}",
        typed.text
    );
    let again = chat.request_agent().await.unwrap();
    assert_eq!(again.queue_status.unwrap().estimated_wait, None);

    // An agent of the skill signs in: now there is an estimate, in whole minutes (one
    // place of three minutes shared by Lily's two chat slots: 90 s, read as 2 minutes),
    // dated now rather than 1970.
    let mut events = chat.events(0).await;
    let before = server_kit::time::to_timestamp(app.clock.now());
    let _desk = Desk::open(&app, "a-3001").await;
    let (wait, at) = loop {
        let event = events.next().await;
        if let Some(pb::session_event::Kind::QueueStatus(q)) = event.kind
            && let Some(wait) = q.estimated_wait
        {
            break (wait, event.at.expect("a queue status has its time"));
        }
    };
    assert_eq!((wait.seconds, wait.nanos), (120, 0));
    assert!(
        at.seconds >= before.seconds,
        "{at:?} is not before {before:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_ticket_nobody_of_its_skill_takes_overflows_to_general_after_the_wait() {
    let app = TestApp::spawn_with(Options {
        agent: Some(Box::new(|s| s.routing.overflow_after_secs = 90)),
        ..Options::default()
    })
    .await;
    // 1024 serves orders, logistics, general and complaints, not invoices.
    let mut general = Desk::open(&app, "a-1024").await;
    let mut bot = BotSide::new(&app).await;
    let created = bot
        .escalate("u-1", agent_pb::Entrance::Consumer, "invoice")
        .await;
    let ticket = created.ticket.unwrap().ticket_id;
    assert!(
        created.queue_status.unwrap().estimated_wait.is_some(),
        "the general agents who will take it give an estimate"
    );
    general.no_offer().await;
    app.clock.advance(Duration::from_secs(89));
    general.no_offer().await;
    app.clock.advance(Duration::from_secs(1));
    let offer = general.offer().await;
    assert_eq!(offer.ticket.unwrap().ticket_id, ticket);
    app.stop().await;
}

#[tokio::test]
async fn overflow_stays_within_the_entrance() {
    let app = TestApp::spawn().await;
    // 2048 serves general at the merchant entrance only.
    let mut merchant = Desk::open(&app, "a-2048").await;
    let mut bot = BotSide::new(&app).await;
    bot.escalate("u-2", agent_pb::Entrance::Consumer, "invoice")
        .await;
    app.clock.advance(Duration::from_secs(10 * 60));
    merchant.no_offer().await;
    app.stop().await;
}
