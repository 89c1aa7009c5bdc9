//! Two bot-service replicas sharing one Redis session store (`[sessions] store =
//! "redis://…"`) in front of one agent-service: a whole conversation with each call sent
//! to the other replica in turn — start, robot answers, a retried message answered once
//! with the same reply, hand-off, the agent's messages on a stream opened on the other
//! replica, the customer's message relayed, the close. Needs the Redis named by
//! `HONEYDESK_TEST_REDIS_URL` (CI sets it); skipped without.

use bot_service::session::redis::TEST_URL_ENV;
use honeydesk::{
    TestApp,
    chat::{Chat, intent},
    desk::Desk,
    stack::BotReplica,
    testing::{Options, authed, channel},
};
use honeydesk_proto::bot::v1::{
    self as pb, conversation_service_client::ConversationServiceClient, session_event::Kind,
};
use tonic::Code;

/// Both services with sessions in the test Redis under a prefix of this test's own, at
/// most `cap` open sessions per user, and a second bot-service on the same Redis; `None`
/// (the test is skipped) when no test Redis is configured.
async fn spawn_two_bots(cap: usize) -> Option<(TestApp, BotReplica)> {
    let Some(url) = std::env::var(TEST_URL_ENV).ok().filter(|u| !u.is_empty()) else {
        eprintln!("skipped: set {TEST_URL_ENV} to run the session replica tests");
        return None;
    };
    let prefix = format!("honeydesk-e2e-{}:", server_kit::request_id::new_id());
    let app = TestApp::spawn_with(Options {
        bot: Some(Box::new(move |b| {
            b.sessions.store = url;
            b.sessions.key_prefix = prefix;
            b.limits.open_sessions_per_user = cap;
        })),
        ..Options::default()
    })
    .await;
    let replica = app
        .stack
        .start_bot_replica()
        .await
        .expect("a second bot-service starts on the same Redis");
    Some((app, replica))
}

#[tokio::test]
async fn two_bot_replicas_serve_one_conversation_call_by_call() {
    let Some((app, replica)) = spawn_two_bots(20).await else {
        return;
    };
    let mut desk = Desk::open(&app, "a-1025").await;

    // Started on replica A; every later call alternates between B and A.
    let mut on_a = Chat::named(&app, "shopper-rr").await;
    let mut on_b = Chat::over(
        ConversationServiceClient::new(channel(replica.addr).await),
        on_a.token.clone(),
        on_a.session.clone(),
    );
    let tracking = on_b.reply_to("m1", "快递到哪了").await.expect("B answers");
    assert_eq!(intent(&tracking).0, "logistics.tracking");
    let refund = on_a
        .reply_to("m2", "我要申请退款")
        .await
        .expect("A answers");
    assert_eq!(intent(&refund).0, "aftersale.refund");
    assert!(
        refund.agent_offered,
        "the offer counters travelled from B to A"
    );

    // The client retries m2 on the other replica: answered once, with the same reply.
    let retried = on_b
        .reply_to("m2", "我要申请退款")
        .await
        .expect("B replays");
    assert_eq!(
        (&retried.reply_id, &retried.text),
        (&refund.reply_id, &refund.text)
    );

    // Hand-off asked on B; the agent takes it; A sees the session with the person.
    let queued = on_b.request_agent().await.expect("B queues the session");
    let ticket = queued.session.expect("the session").ticket_id;
    assert_eq!(desk.take().await.ticket_id, ticket);
    on_a.until_state(pb::SessionState::WithAgent).await;

    // The stream opened on A hears the agent; the customer's message relayed through B.
    let mut events = on_a.events(0).await;
    desk.write(&ticket, "您好，我来帮您看看退款").await;
    loop {
        if let Some(Kind::AgentMessage(m)) = events.next_stored().await.kind {
            assert_eq!(m.text, "您好，我来帮您看看退款");
            break;
        }
    }
    let relayed = on_b
        .say_with_id("m3", "订单号 1234")
        .await
        .expect("B relays the message");
    assert!(relayed.relayed && relayed.reply.is_none());
    assert_eq!(desk.customer_said().await, "订单号 1234");

    // Ended on A; B reports it closed.
    let ended = on_a
        .client
        .end_session(authed(
            pb::EndSessionRequest {
                session_id: on_a.session.clone(),
            },
            &on_a.token,
        ))
        .await
        .expect("A ends the session")
        .into_inner();
    assert_eq!(
        ended.session.expect("the session").state,
        pb::SessionState::Closed as i32
    );
    assert_eq!(on_b.session().await.state, pb::SessionState::Closed as i32);
    replica.shutdown.trigger();
}

#[tokio::test]
async fn the_open_session_cap_holds_across_replicas() {
    let Some((app, replica)) = spawn_two_bots(1).await else {
        return;
    };
    let first = Chat::named(&app, "shopper-cap").await;
    let mut on_b = ConversationServiceClient::new(channel(replica.addr).await);
    let start = || {
        authed(
            pb::StartSessionRequest {
                entrance: pb::Entrance::Consumer as i32,
                language: pb::Language::Unspecified as i32,
            },
            &first.token,
        )
    };
    let refused = on_b.start_session(start()).await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(
        refused.message().contains("open_sessions_per_user"),
        "{refused:?}"
    );

    // Ended through B, the session on A frees the place on either replica.
    on_b.end_session(authed(
        pb::EndSessionRequest {
            session_id: first.session.clone(),
        },
        &first.token,
    ))
    .await
    .expect("B ends the session A started");
    on_b.start_session(start())
        .await
        .expect("a place is free again");
    replica.shutdown.trigger();
}
