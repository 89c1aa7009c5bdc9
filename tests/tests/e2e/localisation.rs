//! What customers read is in their language and true, over real gRPC: the close notice
//! of a conversation with a person is the robot's own, in the conversation's language,
//! and never carries the agent's internal note; an idle session says how long it really
//! waited.

use std::time::Duration;

use honeydesk::{
    TestApp,
    chat::Chat,
    desk::{Desk, hand_over},
    testing::Options,
};
use honeydesk_proto::{
    agent::v1 as agent_pb,
    bot::v1::{self as pb, session_event::Kind},
};
use tonic::Code;

/// The agent at `desk` closes `ticket` with an internal `note`.
async fn close_with_note(
    desk: &Desk,
    ticket: String,
    resolution: agent_pb::Resolution,
    note: &str,
) {
    let request = agent_pb::CloseTicketRequest {
        ticket_id: ticket,
        resolution: resolution as i32,
        note: note.into(),
    };
    desk.client
        .clone()
        .close_ticket(honeydesk::testing::authed(request, &desk.token))
        .await
        .expect("closed with an internal note");
}

/// The notice of the session's close event.
async fn close_notice(chat: &mut Chat) -> String {
    let mut events = chat.events(0).await;
    loop {
        if let Some(Kind::Closed(c)) = events.next_stored().await.kind {
            return c.notice;
        }
    }
}

#[tokio::test]
async fn close_notices_are_the_robots_own_in_one_language_without_the_agents_note() {
    let app = TestApp::spawn().await;
    let mut desk = Desk::open(&app, "a-1025").await;
    let mut chat = Chat::named(&app, "shopper-zh").await;
    let ticket = hand_over(&mut chat, &mut desk).await;
    let note = "done, customer was difficult";
    close_with_note(&desk, ticket, agent_pb::Resolution::Resolved, note).await;
    let notice = close_notice(&mut chat).await;
    assert!(notice.contains("人工服务已结束"), "{notice}");
    assert!(
        !notice.chars().any(|c| c.is_ascii_alphabetic()),
        "one language, no internal note: {notice}"
    );

    let mut english = Chat::named(&app, "shopper-en").await;
    english.say("I want a refund for my order").await;
    english.request_agent().await.expect("queued");
    let taken = desk.take().await;
    english.until_state(pb::SessionState::WithAgent).await;
    let back = agent_pb::Resolution::ReturnToBot;
    close_with_note(&desk, taken.ticket_id, back, "内部备注：已退款").await;
    let notice = close_notice(&mut english).await;
    assert!(notice.contains("handed you back"), "{notice}");
    assert!(
        !notice
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{notice}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_idle_session_says_how_long_it_really_waited() {
    let app = TestApp::spawn_with(Options {
        bot: Some(Box::new(|b| b.bot.idle_timeout_secs = 20)),
        ..Options::default()
    })
    .await;
    let mut chat = Chat::named(&app, "shopper-idle").await;
    chat.say("我的快递到哪了").await;
    app.clock.advance(Duration::from_secs(21));
    let status = chat.try_say("还在吗").await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("timed out after 20 seconds"),
        "{}",
        status.message()
    );
    app.stop().await;
}
