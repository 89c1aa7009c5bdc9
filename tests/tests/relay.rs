//! The customer and a person, through both services over real gRPC: the bot hands off,
//! the agent is offered the ticket and accepts, the customer sees 工号 and the agent's
//! messages on the session's stream while their own reach the agent's desk, the agent
//! hands back to the robot, which answers again, and the customer rates the agent once.

use honeydesk::{TestApp, chat::Chat, desk::Desk, testing::authed};
use honeydesk_proto::{
    agent::v1 as agent_pb,
    bot::v1::{self as pb, session_event::Kind},
};
use tonic::Code;

#[tokio::test]
async fn from_the_robot_to_a_person_and_back() {
    let app = TestApp::spawn().await;
    let mut desk = Desk::sign_in(&app, "a-1025").await;
    let mut chat = Chat::named(&app, "shopper-9").await;
    chat.say("我要申请退款").await;
    let ticket = chat
        .request_agent()
        .await
        .expect("queued")
        .session
        .unwrap()
        .ticket_id;
    let mut events = chat.events(0).await;

    let offer = desk
        .next(|k| match k {
            agent_pb::stream_desk_response::Kind::Offer(o) => Some(o),
            _ => None,
        })
        .await;
    assert_eq!(offer.ticket.as_ref().unwrap().ticket_id, ticket);
    desk.client
        .accept_offer(authed(
            agent_pb::AcceptOfferRequest {
                offer_id: offer.offer_id.clone(),
            },
            &desk.token,
        ))
        .await
        .expect("the agent accepts");

    let joined = events.next_stored().await;
    let Some(Kind::AgentJoined(j)) = joined.kind else {
        panic!("expected the agent to join first: {joined:?}")
    };
    assert_eq!(j.agent.unwrap().work_number, "1025");
    assert!(j.notice.contains("工号1025"), "{}", j.notice);
    chat.until_state(pb::SessionState::WithAgent).await;

    // The customer's message reaches the desk; the agent's reaches the customer.
    let sent = chat.try_say("退款三天了还没到账").await.unwrap();
    assert!(sent.relayed && sent.reply.is_none());
    let at_desk = desk
        .next(|k| match k {
            agent_pb::stream_desk_response::Kind::TicketEvent(e) => match e.kind {
                Some(agent_pb::ticket_event::Kind::Message(m))
                    if m.sender == agent_pb::Sender::Customer as i32 =>
                {
                    Some(m.text)
                }
                _ => None,
            },
            _ => None,
        })
        .await;
    assert_eq!(at_desk, "退款三天了还没到账");
    desk.client
        .send_agent_message(authed(
            agent_pb::SendAgentMessageRequest {
                ticket_id: ticket.clone(),
                client_message_id: "a1".into(),
                text: "您好，已为您加急处理退款".into(),
            },
            &desk.token,
        ))
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

    desk.client
        .close_ticket(authed(
            agent_pb::CloseTicketRequest {
                ticket_id: ticket.clone(),
                resolution: agent_pb::Resolution::ReturnToBot as i32,
                note: String::new(),
            },
            &desk.token,
        ))
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
    let mut desk = Desk::sign_in(&app, "a-1025").await;
    let mut chat = Chat::named(&app, "shopper-10").await;
    chat.say("我要申请退款").await;
    let ticket = chat
        .request_agent()
        .await
        .unwrap()
        .session
        .unwrap()
        .ticket_id;
    let offer = desk
        .next(|k| match k {
            agent_pb::stream_desk_response::Kind::Offer(o) => Some(o),
            _ => None,
        })
        .await;
    desk.client
        .accept_offer(authed(
            agent_pb::AcceptOfferRequest {
                offer_id: offer.offer_id,
            },
            &desk.token,
        ))
        .await
        .unwrap();
    let say = |id: &str, text: &str| {
        let mut client = desk.client.clone();
        let request = authed(
            agent_pb::SendAgentMessageRequest {
                ticket_id: ticket.clone(),
                client_message_id: id.into(),
                text: text.into(),
            },
            &desk.token,
        );
        async move {
            client
                .send_agent_message(request)
                .await
                .unwrap()
                .into_inner()
        }
    };
    let polite = say("a1", "您好，请问有什么可以帮您").await.message.unwrap();
    assert!(!polite.flagged && polite.flagged_terms.is_empty());
    let rude = say("a2", "爱买不买，你是 傻 逼 吗").await.message.unwrap();
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
    let history = desk
        .client
        .get_ticket_history(authed(
            agent_pb::GetTicketHistoryRequest {
                ticket_id: ticket.clone(),
                after_sequence: 0,
            },
            &desk.token,
        ))
        .await
        .unwrap()
        .into_inner();
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
