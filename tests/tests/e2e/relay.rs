//! The customer and a person, through both services over real gRPC: the bot hands off,
//! the agent is offered the ticket and accepts, the customer sees 工号 and the agent's
//! messages on the session's stream while their own reach the agent's desk, the agent
//! hands back to the robot, which answers again, and the customer rates the agent once.

use honeydesk::{
    TestApp,
    chat::Chat,
    desk::{Desk, hand_over},
    testing::authed,
};
use honeydesk_proto::{
    agent::v1 as agent_pb,
    bot::v1::{self as pb, session_event::Kind},
};
use server_kit::Role;
use tonic::Code;

#[tokio::test]
async fn from_the_robot_to_a_person_and_back() {
    let app = TestApp::spawn().await;
    let mut desk = Desk::open(&app, "a-1025").await;
    let mut chat = Chat::named(&app, "shopper-9").await;
    let ticket = hand_over(&mut chat, &mut desk).await;
    let mut events = chat.events(0).await;
    let joined = events.next_stored().await;
    let Some(Kind::AgentJoined(j)) = joined.kind else {
        panic!("expected the agent to join first: {joined:?}")
    };
    assert_eq!(j.agent.unwrap().work_number, "1025");
    assert!(j.notice.contains("工号1025"), "{}", j.notice);

    // The customer's message reaches the desk; the agent's reaches the customer.
    let sent = chat.try_say("退款三天了还没到账").await.unwrap();
    assert!(sent.relayed && sent.reply.is_none());
    assert_eq!(desk.customer_said().await, "退款三天了还没到账");
    desk.say(&ticket, "a1", "您好，已为您加急处理退款")
        .await
        .expect("the agent writes");
    let mut agent_said = None;
    while agent_said.is_none() {
        if let Some(Kind::AgentMessage(m)) = events.next_stored().await.kind {
            agent_said = Some(m.text);
        }
    }
    assert_eq!(agent_said.unwrap(), "您好，已为您加急处理退款");

    // Rating before the close is refused by the human side.
    let early = chat
        .client
        .rate_agent(authed(
            pb::RateAgentRequest {
                session_id: chat.session.clone(),
                score: 5,
                comment: String::new(),
            },
            &chat.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition, "{early:?}");

    desk.close(&ticket, agent_pb::Resolution::ReturnToBot)
        .await
        .expect("the agent hands back to the robot");
    let closed = loop {
        if let Some(Kind::Closed(c)) = events.next_stored().await.kind {
            break c;
        }
    };
    assert!(closed.back_to_bot && closed.can_rate, "{closed:?}");
    chat.until_state(pb::SessionState::Bot).await;
    assert_eq!(
        chat.say("我的快递到哪了").await.intent.unwrap().name,
        "logistics.tracking",
        "the robot answers again in the same session"
    );

    let rate = |score| {
        let mut client = chat.client.clone();
        let request = authed(
            pb::RateAgentRequest {
                session_id: chat.session.clone(),
                score,
                comment: "很快".into(),
            },
            &chat.token,
        );
        async move { client.rate_agent(request).await }
    };
    assert_eq!(rate(6).await.unwrap_err().code(), Code::InvalidArgument);
    rate(5).await.expect("the first rating counts");
    assert_eq!(
        rate(4).await.unwrap_err().code(),
        Code::FailedPrecondition,
        "one rating per ticket"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_abusive_agent_message_is_delivered_but_flagged_and_stored_so() {
    let app = TestApp::spawn().await;
    let mut desk = Desk::open(&app, "a-1025").await;
    let mut chat = Chat::named(&app, "shopper-10").await;
    let ticket = hand_over(&mut chat, &mut desk).await;
    let polite = desk
        .say(&ticket, "a1", "您好，请问有什么可以帮您")
        .await
        .unwrap()
        .message
        .unwrap();
    assert!(!polite.flagged && polite.flagged_terms.is_empty());
    let rude = desk
        .say(&ticket, "a2", "爱买不买，你是 傻 逼 吗")
        .await
        .unwrap()
        .message
        .unwrap();
    assert!(rude.flagged);
    assert_eq!(rude.flagged_terms, vec!["傻逼", "爱买不买"]);

    // Delivered to the customer all the same, and stored with its mark.
    let mut events = chat.events(0).await;
    let mut texts = Vec::new();
    while texts.len() < 2 {
        if let Some(Kind::AgentMessage(m)) = events.next_stored().await.kind {
            texts.push(m.text);
        }
    }
    assert_eq!(texts[1], "爱买不买，你是 傻 逼 吗");
    let history = desk.history(&ticket).await.unwrap();
    let stored: Vec<bool> = history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            Some(agent_pb::ticket_event::Kind::Message(m))
                if m.sender == agent_pb::Sender::Agent as i32 =>
            {
                Some(m.flagged)
            }
            _ => None,
        })
        .collect();
    assert_eq!(stored, vec![false, true]);
    app.stop().await;
}

#[tokio::test]
async fn after_a_bot_service_restart_a_new_session_picks_the_conversation_up_again() {
    let mut app = TestApp::spawn().await;
    let mut desk = Desk::open(&app, "a-1025").await;
    let mut chat = Chat::named(&app, "shopper-11").await;
    hand_over(&mut chat, &mut desk).await;
    let ticket = chat.session().await.ticket_id;

    // bot-service goes down (its sessions with it); the agent writes meanwhile.
    app.stack.restart_bot().await.expect("bot-service restarts");
    desk.say(&ticket, "a1", "退款已经原路退回，请查收")
        .await
        .unwrap();

    // The customer comes back: the new session is with the same person, and its stream
    // replays everything, including what the agent wrote while bot-service was down.
    let (mut back, started) =
        Chat::open(&app, "shopper-11", Role::Consumer, pb::Entrance::Consumer).await;
    let greeting = started.greeting.unwrap().text;
    assert!(greeting.contains("工号 1025"), "{greeting}");
    let session = back.session().await;
    assert_eq!(session.ticket_id, ticket, "the same conversation");
    assert_eq!(session.state, pb::SessionState::WithAgent as i32);
    let mut events = back.events(0).await;
    let mut agent_said = None;
    while agent_said.is_none() {
        if let Some(Kind::AgentMessage(m)) = events.next_stored().await.kind {
            agent_said = Some(m.text);
        }
    }
    assert_eq!(agent_said.unwrap(), "退款已经原路退回，请查收");
    let sent = back.try_say("收到了，谢谢").await.expect("relayed");
    assert!(sent.relayed, "the customer's words go to the person again");
    assert_eq!(desk.customer_said().await, "收到了，谢谢");

    // The merchant entrance has its own conversations: nothing to pick up there.
    let (_, merchant) =
        Chat::open(&app, "shopper-11", Role::Merchant, pb::Entrance::Merchant).await;
    assert_eq!(
        merchant.session.unwrap().state,
        pb::SessionState::Bot as i32
    );
    app.stop().await;
}

#[tokio::test]
async fn a_message_to_the_person_while_agent_service_is_down_says_what_is_true() {
    let app = TestApp::spawn().await;
    let mut desk = Desk::open(&app, "a-1025").await;
    let mut chat = Chat::named(&app, "shopper-5").await;
    hand_over(&mut chat, &mut desk).await;
    app.stack.agent_shutdown().trigger();
    let status = chat.try_say("还在吗").await.unwrap_err();
    assert!(
        matches!(status.code(), Code::Unavailable | Code::DeadlineExceeded),
        "{status:?}"
    );
    let message = status.message();
    assert!(
        message.contains("没能送达"),
        "the message did not arrive: {message}"
    );
    assert!(
        message.contains("9510-8888"),
        "offers the hotline: {message}"
    );
    assert!(
        !message.contains("小蜜会继续"),
        "the robot is not answering a session with a person: {message}"
    );
    assert_eq!(
        chat.session().await.state,
        pb::SessionState::WithAgent as i32
    );
    app.stop().await;
}
