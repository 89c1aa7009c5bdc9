//! Handing a conversation from the robot to the human side over real gRPC: the ticket
//! agent-service stores carries the entrance, the skill of the last recognised problem,
//! the intent and the whole robot transcript; asking twice does not queue twice; typing
//! 转人工 once a person is on offer queues exactly as the button does.

use honeydesk::{TestApp, chat::Chat, testing::authed};
use honeydesk_proto::{
    agent::v1::{self as agent_pb, ticket_service_client::TicketServiceClient},
    bot::v1 as pb,
};
use server_kit::Role;
use tonic::Code;

/// The ticket as agent-service holds it, read with a service identity.
async fn ticket(app: &TestApp, ticket_id: &str, customer: &str) -> agent_pb::GetTicketResponse {
    TicketServiceClient::new(app.agent_channel().await)
        .get_ticket(authed(
            agent_pb::GetTicketRequest {
                ticket_id: ticket_id.into(),
                customer_id: customer.into(),
            },
            &app.token("bot-service", Role::Service),
        ))
        .await
        .expect("the ticket exists in agent-service")
        .into_inner()
}

#[tokio::test]
async fn a_consumer_hand_off_queues_a_ticket_with_skill_and_transcript() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::named(&app, "shopper-7").await;
    chat.say("你好").await;
    let answer = chat.say("我要申请退款").await;
    assert!(answer.agent_offered);

    let handed = chat.request_agent().await.expect("queued for a person");
    let session = handed.session.expect("the session");
    assert_eq!(session.state, pb::SessionState::Queued as i32);
    assert!(!session.ticket_id.is_empty());
    assert_eq!(handed.queue_status.map(|q| q.position), Some(1));
    assert!(!handed.notice.is_empty());

    let stored = ticket(&app, &session.ticket_id, "shopper-7").await;
    let t = stored.ticket.expect("a ticket");
    assert_eq!(t.entrance, agent_pb::Entrance::Consumer as i32);
    assert_eq!(t.skill, "aftersale", "the skill of aftersale.refund");
    assert_eq!(t.intent, "aftersale.refund");
    assert_eq!(t.bot_session_id, chat.session);
    assert_eq!(t.status, agent_pb::TicketStatus::Queued as i32);
    assert_eq!(stored.queue_status.map(|q| q.position), Some(1));

    let transcript = app.transcript(&session.ticket_id).await;
    let said: Vec<(&str, &str)> = transcript
        .iter()
        .map(|l| (l.sender.as_str(), l.text.as_str()))
        .collect();
    assert_eq!(said.len(), 5, "greeting + two turns: {said:?}");
    assert_eq!(said[1], ("customer", "你好"));
    assert_eq!(said[3], ("customer", "我要申请退款"));
    assert_eq!(transcript[3].intent, "aftersale.refund");
    assert_eq!(said[4], ("bot", answer.text.as_str()));
    app.stop().await;
}

#[tokio::test]
async fn a_merchant_hand_off_goes_to_the_merchant_queues() {
    let app = TestApp::spawn().await;
    let (mut chat, _) = Chat::open(&app, "seller-3", Role::Merchant, pb::Entrance::Merchant).await;
    assert_eq!(
        chat.say("结算款什么时候到账").await.intent.unwrap().name,
        "merchant.settlement"
    );
    let session = chat.request_agent().await.unwrap().session.unwrap();
    let t = ticket(&app, &session.ticket_id, "seller-3")
        .await
        .ticket
        .unwrap();
    assert_eq!(t.entrance, agent_pb::Entrance::Merchant as i32);
    assert_eq!(t.skill, "merchant_settlement");
    app.stop().await;
}

#[tokio::test]
async fn asking_for_a_person_twice_keeps_one_place_in_the_queue() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    chat.say("我要申请退款").await;
    let first = chat.request_agent().await.unwrap();
    let again = chat.request_agent().await.unwrap();
    assert_eq!(
        first.session.as_ref().unwrap().ticket_id,
        again.session.as_ref().unwrap().ticket_id
    );
    assert_eq!(again.queue_status.map(|q| q.position), Some(1));

    // A second customer queues behind the first.
    let mut other = Chat::named(&app, "shopper-2").await;
    other.say("退款怎么申请").await;
    let second = other.request_agent().await.unwrap();
    assert_eq!(second.queue_status.map(|q| q.position), Some(2));

    // Leaving the queue goes back to the robot, which answers again.
    let left = chat.leave_queue().await.unwrap();
    assert_eq!(left.state, pb::SessionState::Bot as i32);
    assert_eq!(
        left.ticket_id, "",
        "the cancelled ticket is not the session's any more"
    );
    let t = ticket(&app, &first.session.unwrap().ticket_id, "shopper-1")
        .await
        .ticket
        .unwrap();
    assert_eq!(t.status, agent_pb::TicketStatus::Closed as i32);
    assert_eq!(t.close_reason, agent_pb::CloseReason::CustomerLeft as i32);
    assert_eq!(
        chat.say("我的快递到哪了").await.intent.unwrap().name,
        "logistics.tracking"
    );
    let err = chat.leave_queue().await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    app.stop().await;
}

/// bot-service follows no ticket in the background: a waiting customer holds no stream
/// open at agent-service, and every read of the session catches up with its ticket, so
/// an accept or a close shows on the very next call (whichever bot-service replica
/// takes it; with a follower it showed only once a background task caught up).
#[tokio::test]
async fn a_session_catches_up_with_its_ticket_on_each_read_without_holding_a_stream() {
    use honeydesk::{desk::Desk, scrape::scrape, testing::Options};
    let app = TestApp::spawn_with(Options {
        metrics: true,
        ..Options::default()
    })
    .await;
    let mut waiting = Vec::new();
    for i in 0..3 {
        let mut chat = Chat::named(&app, &format!("waiter-{i}")).await;
        chat.say("我要申请退款").await;
        chat.request_agent().await.expect("queued for a person");
        waiting.push((format!("waiter-{i}"), chat));
    }
    let agent = app
        .stack
        .agent_metrics
        .expect("agent-service serves metrics");
    let streams = scrape(agent)
        .await
        .or_zero("grpc_server_in_flight", &[("grpc_method", "WatchTicket")]);
    assert_eq!(streams, 0.0, "no ticket stream per waiting customer");

    let mut desk = Desk::open(&app, "a-1025").await;
    let taken = desk.take().await;
    let (_, chat) = waiting
        .iter_mut()
        .find(|(user, _)| *user == taken.customer_id)
        .expect("one of the waiting customers");
    let session = chat.session().await;
    assert_eq!(
        session.state,
        pb::SessionState::WithAgent as i32,
        "the accept is known at the first read after it"
    );
    desk.close(&taken.ticket_id, agent_pb::Resolution::Resolved)
        .await
        .expect("closed");
    let session = chat.session().await;
    assert_eq!(session.state, pb::SessionState::Closed as i32);
    assert_eq!(session.ticket_id, taken.ticket_id, "kept for rating");
}

#[tokio::test]
async fn typing_zhuan_rengong_queues_like_the_button_once_a_person_is_on_offer() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::named(&app, "shopper-8").await;

    // Before a problem is known, the robot asks for it and the session stays BOT.
    let first = chat.try_say("转人工").await.unwrap();
    assert_eq!(first.session.unwrap().state, pb::SessionState::Bot as i32);
    assert!(first.reply.unwrap().text.contains("问题"));

    chat.say("我要申请退款").await;
    let typed = chat.say_with_id("handoff", "转人工").await.unwrap();
    let session = typed.session.expect("the session");
    assert_eq!(session.state, pb::SessionState::Queued as i32);
    assert!(!session.ticket_id.is_empty());
    let reply = typed
        .reply
        .expect("the robot says where the customer stands");
    assert_eq!(reply.intent.unwrap().name, "handoff.human");
    assert!(reply.text.contains("人工"), "{}", reply.text);

    // The ticket is the one RequestAgent would have made, with the typed request in it.
    let t = ticket(&app, &session.ticket_id, "shopper-8")
        .await
        .ticket
        .unwrap();
    assert_eq!(
        (t.skill.as_str(), t.intent.as_str()),
        ("aftersale", "aftersale.refund")
    );
    let transcript = app.transcript(&session.ticket_id).await;
    assert_eq!(transcript.last().map(|l| l.text.as_str()), Some("转人工"));

    // Same idempotency as the button: a retry and the button keep the one ticket.
    let retried = chat.say_with_id("handoff", "转人工").await.unwrap();
    assert_eq!(retried.session.unwrap().ticket_id, session.ticket_id);
    let button = chat.request_agent().await.unwrap();
    assert_eq!(button.session.unwrap().ticket_id, session.ticket_id);
    assert_eq!(button.queue_status.map(|q| q.position), Some(1));
    app.stop().await;
}

#[tokio::test]
async fn talk_to_a_person_in_english_queues_at_the_merchant_entrance_too() {
    let app = TestApp::spawn().await;
    let (mut chat, _) = Chat::open(&app, "seller-9", Role::Merchant, pb::Entrance::Merchant).await;
    chat.say("when will my payout be settled").await;
    let typed = chat.try_say("talk to a person").await.unwrap();
    let session = typed.session.unwrap();
    assert_eq!(session.state, pb::SessionState::Queued as i32);
    let t = ticket(&app, &session.ticket_id, "seller-9")
        .await
        .ticket
        .unwrap();
    assert_eq!(t.entrance, agent_pb::Entrance::Merchant as i32);
    assert_eq!(t.skill, "merchant_settlement");
    app.stop().await;
}
