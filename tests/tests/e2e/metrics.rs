//! Both metrics endpoints over real HTTP while a conversation is handed to a person: a
//! hand-off raises agent-service's waiting tickets, an offer counts as made, the accept
//! lowers the queue and raises the live conversations; bot-service counts the turns,
//! the hand-off and its own RPCs.
//!
//! The `metrics` recorder is not process-global here: every `Application` owns its own
//! Prometheus recorder and serves it on its own listener (port 0, the bound address read
//! back from the stack), so the two services of one stack, and the many stacks the other
//! test binaries start in one process, never see each other's figures. This file is its
//! own test binary all the same, and each figure is read before and after, so the checks
//! hold whatever else the process does.

use honeydesk::{
    TestApp,
    chat::Chat,
    desk::{Desk, WAIT},
    scrape::{Scrape, scrape},
    testing::Options,
};
use honeydesk_proto::bot::v1 as bot_pb;

const WAITING: &str = "honeydesk_agent_tickets_waiting";
const QUEUE: &[(&str, &str)] = &[("entrance", "consumer"), ("skill", "aftersale")];

/// Scrapes `addr` until `ready` holds (a figure recorded just after the answer the test
/// saw), at most [`WAIT`].
async fn scrape_until(addr: std::net::SocketAddr, ready: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let s = scrape(addr).await;
        if ready(&s) || tokio::time::Instant::now() > deadline {
            return s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn scrapes_follow_a_hand_off_and_an_accept() {
    let app = TestApp::spawn_with(Options {
        metrics: true,
        ..Options::default()
    })
    .await;
    let bot = app.stack.bot_metrics.expect("bot-service serves metrics");
    let agent = app
        .stack
        .agent_metrics
        .expect("agent-service serves metrics");

    let before = scrape(agent).await;
    assert_eq!(before.or_zero(WAITING, QUEUE), 0.0);
    assert_eq!(
        before.value("honeydesk_build_info", &[("service", "agent-service")]),
        Some(1.0)
    );

    let mut chat = Chat::consumer(&app).await;
    chat.say("我要申请退款").await;
    chat.say("钱的问题").await;
    chat.request_agent().await.expect("queued for a person");

    let b = scrape(bot).await;
    let turns = |kind| {
        b.or_zero(
            "honeydesk_bot_turns_total",
            &[("entrance", "consumer"), ("kind", kind)],
        )
    };
    assert_eq!(turns("faq"), 1.0, "{}", b.text);
    assert_eq!(turns("fallback"), 1.0, "{}", b.text);
    assert_eq!(
        b.or_zero("honeydesk_bot_fallbacks_total", &[("entrance", "consumer")]),
        1.0
    );
    assert_eq!(
        b.or_zero(
            "honeydesk_bot_recognition_confidence_count",
            &[("entrance", "consumer")]
        ),
        1.0
    );
    assert_eq!(
        b.or_zero(
            "honeydesk_bot_handoffs_requested_total",
            &[("entrance", "consumer")]
        ),
        1.0
    );
    assert_eq!(b.value("honeydesk_bot_handoffs_failed_total", &[]), None);
    assert_eq!(
        b.or_zero("honeydesk_bot_sessions", &[("state", "queued")]),
        1.0
    );
    let rpc = [
        ("grpc_service", "honeydesk.bot.v1.ConversationService"),
        ("grpc_method", "SendMessage"),
    ];
    assert_eq!(
        b.or_zero(
            "grpc_server_handled_total",
            &[rpc[0], rpc[1], ("grpc_code", "OK")]
        ),
        2.0
    );
    assert_eq!(b.or_zero("grpc_server_handling_seconds_count", &rpc), 2.0);

    let a = scrape(agent).await;
    assert_eq!(a.or_zero(WAITING, QUEUE), 1.0, "{}", a.text);
    assert_eq!(
        a.or_zero(
            "honeydesk_agent_tickets_created_total",
            &[("entrance", "consumer")]
        ),
        1.0
    );
    assert_eq!(
        a.or_zero(
            "honeydesk_agent_store_operation_duration_seconds_count",
            &[("operation", "create_ticket"), ("outcome", "ok")]
        ),
        1.0
    );
    assert_eq!(
        a.or_zero("honeydesk_agent_group_commit_batch_size_count", &[]),
        1.0
    );
    assert_eq!(
        a.or_zero(
            "grpc_server_handled_total",
            &[
                ("grpc_service", "honeydesk.agent.v1.TicketService"),
                ("grpc_method", "CreateTicket"),
                ("grpc_code", "OK")
            ]
        ),
        1.0
    );
    assert_eq!(a.or_zero("honeydesk_agent_conversations", &[]), 0.0);
    assert_eq!(a.or_zero("honeydesk_agent_offers_made_total", &[]), 0.0);

    // An agent signs in: the ticket is offered (still waiting), then accepted.
    let mut desk = Desk::open(&app, "a-1025").await;
    let offer = desk.offer().await;
    let offered = scrape(agent).await;
    assert_eq!(
        offered.or_zero("honeydesk_agent_offers_made_total", &[]),
        1.0
    );
    assert_eq!(offered.or_zero(WAITING, QUEUE), 1.0);
    assert!(offered.or_zero("honeydesk_agent_agents", &[("presence", "available")]) >= 1.0);
    // The desk stream is open: one stream in flight.
    assert_eq!(
        offered.or_zero("grpc_server_in_flight", &[("grpc_method", "StreamDesk")]),
        1.0
    );

    desk.accept(&offer).await.expect("the offer is accepted");
    let accepted = scrape(agent).await;
    assert_eq!(accepted.or_zero(WAITING, QUEUE), 0.0, "{}", accepted.text);
    assert_eq!(accepted.or_zero("honeydesk_agent_conversations", &[]), 1.0);
    assert_eq!(
        accepted.or_zero(
            "honeydesk_agent_offers_ended_total",
            &[("outcome", "accepted")]
        ),
        1.0
    );

    // The customer writes to the person: relayed by bot-service, delivered to the desk.
    chat.until_state(bot_pb::SessionState::WithAgent).await;
    chat.say_with_id("to-agent", "在吗").await.expect("relayed");
    desk.customer_said().await;
    let b = scrape(bot).await;
    assert_eq!(
        b.or_zero(
            "honeydesk_bot_relayed_messages_total",
            &[("entrance", "consumer")]
        ),
        1.0
    );
    assert_eq!(
        b.or_zero("honeydesk_bot_sessions", &[("state", "with_agent")]),
        1.0
    );
    let delivered = "honeydesk_agent_relay_delivery_seconds_count";
    let a = scrape_until(agent, |s| {
        s.or_zero(delivered, &[("stream", "desk")]) >= 1.0
    })
    .await;
    assert_eq!(
        a.or_zero(delivered, &[("stream", "desk")]),
        1.0,
        "{}",
        a.text
    );
    assert_eq!(a.or_zero("honeydesk_agent_store_up", &[]), 1.0);

    app.stop().await;
}
