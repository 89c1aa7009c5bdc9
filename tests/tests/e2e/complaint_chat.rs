//! Complaints from the chat, over real gRPC through both services: 投诉客服 leads the
//! customer from choosing the conversation (工号 and date) to a filed complaint that a
//! supervisor reads back with the right ticket, agent and highlighted messages; the same
//! in English; cancelling; no conversation with a person (the robot explains itself);
//! agent-service down; the complaint channels answer; and the one-step complaint offered
//! with a flagged agent message, idempotent under retry.

use std::time::Duration;

use honeydesk::{
    TestApp,
    chat::Chat,
    desk::{Desk, hand_over},
    testing::{Options, authed},
};
use honeydesk_proto::{
    agent::v1::{self as agent_pb, complaint_service_client::ComplaintServiceClient},
    bot::v1::{self as pb, session_event::Kind},
};
use server_kit::Role;
use tonic::Code;

/// A complaint as a supervisor reads it.
async fn complaint(app: &TestApp, reference: &str) -> agent_pb::Complaint {
    ComplaintServiceClient::new(app.agent_channel().await)
        .get_complaint(authed(
            agent_pb::GetComplaintRequest {
                reference: reference.to_owned(),
                customer_id: String::new(),
            },
            &app.token("sup-1", Role::Supervisor),
        ))
        .await
        .expect("supervisors read complaints")
        .into_inner()
        .complaint
        .expect("the complaint")
}

/// Every complaint, as a supervisor lists them.
async fn all_complaints(app: &TestApp) -> Vec<agent_pb::Complaint> {
    ComplaintServiceClient::new(app.agent_channel().await)
        .list_complaints(authed(
            agent_pb::ListComplaintsRequest::default(),
            &app.token("sup-1", Role::Supervisor),
        ))
        .await
        .expect("supervisors list complaints")
        .into_inner()
        .complaints
}

/// A customer served by 阿强 (工号1025), who wrote one clean and one abusive message,
/// then handed the customer back to the robot. The chat, the ticket and the id of the
/// flagged message.
async fn abused_then_back_to_the_robot(app: &TestApp, user: &str) -> (Chat, String, String) {
    let mut desk = Desk::open(app, "a-1025").await;
    let mut chat = Chat::named(app, user).await;
    let ticket = hand_over(&mut chat, &mut desk).await;
    assert!(!desk.write(&ticket, "您好，请稍等").await.flagged);
    let rude = desk.write(&ticket, "爱买不买，你是 傻 逼 吗").await;
    assert!(rude.flagged);
    // The session records the flag from the ticket it follows before it returns.
    let mut events = chat.events(0).await;
    loop {
        if let Some(Kind::AgentMessage(m)) = events.next_stored().await.kind
            && m.flagged
        {
            break;
        }
    }
    desk.close(&ticket, agent_pb::Resolution::ReturnToBot)
        .await
        .expect("back to the robot");
    chat.until_state(pb::SessionState::Bot).await;
    (chat, ticket, rude.message_id)
}

fn intent(reply: &pb::BotReply) -> &str {
    reply.intent.as_ref().map_or("", |i| i.name.as_str())
}

#[tokio::test]
async fn a_customer_complains_about_an_agent_through_the_chat() {
    let app = TestApp::spawn().await;
    let (mut chat, ticket, flagged) = abused_then_back_to_the_robot(&app, "shopper-c1").await;

    let choose = chat.say("投诉客服").await;
    assert_eq!(intent(&choose), "complaint.agent");
    assert!(choose.text.contains("选择"), "{}", choose.text);
    let button = choose.quick_replies[0].clone();
    assert!(
        button.starts_with("工号1025 阿强 · "),
        "{:?}",
        choose.quick_replies
    );
    assert!(
        button.contains('月') && button.contains('日'),
        "the date: {button}"
    );

    let ask = chat.say(&button).await;
    assert!(ask.text.contains("发生了什么"), "{}", ask.text);
    let confirm = chat.say("他骂我是傻逼，还说爱买不买").await;
    assert!(
        confirm.text.contains("辱骂") && confirm.text.contains("确认提交吗"),
        "the kind of problem is inferred: {}",
        confirm.text
    );
    assert!(confirm.complaint.is_none(), "nothing filed before the yes");
    let done = chat.say("确认提交").await;
    let filed = done.complaint.clone().expect("filed");
    assert!(filed.created);
    assert!(filed.reference.starts_with("TS-"), "{}", filed.reference);
    assert!(done.text.contains(&filed.reference), "{}", done.text);
    assert!(
        done.text.contains("前受理") && done.text.contains("9510-8888"),
        "deadlines and how to follow up: {}",
        done.text
    );

    let c = complaint(&app, &filed.reference).await;
    assert_eq!(c.ticket_id, ticket);
    assert_eq!(c.agent_id, "a-1025");
    assert_eq!(c.agent.unwrap().work_number, "1025");
    assert_eq!(c.customer_id, "shopper-c1");
    assert_eq!(
        c.category,
        agent_pb::ComplaintCategory::AbusiveLanguage as i32
    );
    assert_eq!(c.description, "他骂我是傻逼，还说爱买不买");
    assert_eq!(c.highlighted_message_ids, vec![flagged]);
    assert_eq!(c.acknowledge_by, filed.acknowledge_by);
    assert!(c.evidence_messages > 0);

    // A retry of the confirming message replays the reply; nothing new is filed.
    let again = chat.reply_to("m5", "确认提交").await.unwrap();
    assert_eq!(again.complaint.unwrap().reference, filed.reference);
    assert_eq!(all_complaints(&app).await.len(), 1);

    // Complaining about the same conversation again: told it is already filed, and how
    // to follow it up; still one complaint.
    chat.say("投诉客服").await;
    chat.say(&button).await;
    chat.say("他骂人").await;
    let twice = chat.say("确认提交").await;
    let existing = twice.complaint.clone().expect("the existing complaint");
    assert!(!existing.created);
    assert_eq!(existing.reference, filed.reference);
    assert!(
        twice.text.contains("已经投诉过") && twice.text.contains(&filed.reference),
        "{}",
        twice.text
    );
    assert_eq!(all_complaints(&app).await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_complaint_dialogue_speaks_english_and_asks_the_kind_of_problem() {
    let app = TestApp::spawn().await;
    let (mut chat, ticket, _) = abused_then_back_to_the_robot(&app, "shopper-c2").await;
    let choose = chat.say("I want to complain about the agent").await;
    assert_eq!(intent(&choose), "complaint.agent");
    assert!(
        choose.quick_replies[0].starts_with("Agent 1025 (阿强) · "),
        "{:?}",
        choose.quick_replies
    );
    assert_eq!(choose.quick_replies.last().unwrap(), "Cancel");
    let ask = chat.say("1").await;
    assert!(ask.text.contains("what happened"), "{}", ask.text);
    let kind = chat
        .say("The problem was never solved and the chat just ended")
        .await;
    assert!(kind.text.contains("Which kind of problem"), "{}", kind.text);
    assert_eq!(kind.quick_replies.len(), 5);
    let confirm = chat.say("Wrong information").await;
    assert!(
        confirm.text.contains("Shall I file it?"),
        "{}",
        confirm.text
    );
    let done = chat.say("yes").await;
    let filed = done.complaint.expect("filed");
    assert!(done.text.contains("reference") && done.text.contains(&filed.reference));
    let c = complaint(&app, &filed.reference).await;
    assert_eq!(
        (c.ticket_id.as_str(), c.agent_id.as_str()),
        (ticket.as_str(), "a-1025")
    );
    assert_eq!(
        c.category,
        agent_pb::ComplaintCategory::WrongInformation as i32
    );
    app.stop().await;
}

#[tokio::test]
async fn the_customer_can_cancel_and_the_session_goes_on() {
    let app = TestApp::spawn().await;
    let (mut chat, _, _) = abused_then_back_to_the_robot(&app, "shopper-c3").await;
    let choose = chat.say("客服骂人").await;
    chat.say(&choose.quick_replies[0]).await;
    chat.say("他骂我").await;
    let cancelled = chat.say("取消").await;
    assert!(cancelled.text.contains("已取消"), "{}", cancelled.text);
    assert!(cancelled.complaint.is_none());
    assert!(all_complaints(&app).await.is_empty(), "nothing was filed");
    let next = chat.say("我的快递到哪了").await;
    assert_eq!(
        intent(&next),
        "logistics.tracking",
        "the robot answers again"
    );

    // Cancel straight from the choice, in English.
    let choose = chat.say("I want to complain about the agent").await;
    let cancelled = chat.say(choose.quick_replies.last().unwrap()).await;
    assert!(cancelled.text.contains("cancelled"), "{}", cancelled.text);
    assert!(all_complaints(&app).await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn without_a_conversation_with_a_person_the_robot_explains_it_cannot_be_complained_about() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::named(&app, "shopper-c4").await;
    let reply = chat.say("投诉客服").await;
    assert_eq!(intent(&reply), "complaint.agent");
    assert!(
        reply.text.contains("机器人") && reply.text.contains("不能被投诉"),
        "{}",
        reply.text
    );
    assert!(reply.text.contains("没帮助") && reply.text.contains("9510-8888"));
    assert_eq!(reply.quick_replies, vec!["转人工"]);
    let en = chat.say("I want to complain about the agent").await;
    assert!(en.text.contains("I'm a robot"), "{}", en.text);
    app.stop().await;
}

#[tokio::test]
async fn with_agent_service_down_the_robot_says_so_and_keeps_answering() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::named(&app, "shopper-c5").await;
    app.stack.agent_shutdown().trigger();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let reply = chat.say("投诉客服").await;
    assert!(
        reply.text.contains("暂时无法连接") && reply.text.contains("9510-8888"),
        "{}",
        reply.text
    );
    let next = chat.say("我的快递到哪了").await;
    assert_eq!(intent(&next), "logistics.tracking");
    app.stop().await;
}

#[tokio::test]
async fn complaint_channels_quote_the_configured_hotline_and_the_12315_rules() {
    let app = TestApp::spawn_with(Options {
        bot: Some(Box::new(|b| b.bot.hotline = "400-800-1234".into())),
        ..Options::default()
    })
    .await;
    let mut chat = Chat::named(&app, "shopper-c6").await;
    let zh = chat.say("投诉电话是多少").await;
    assert_eq!(intent(&zh), "complaint.channels");
    for part in ["400-800-1234", "12315", "7个工作日", "调解"] {
        assert!(zh.text.contains(part), "{part}: {}", zh.text);
    }
    let en = chat.say("What's the complaint hotline?").await;
    assert_eq!(intent(&en), "complaint.channels");
    for part in ["400-800-1234", "12315", "7 working days", "mediate"] {
        assert!(en.text.contains(part), "{part}: {}", en.text);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_flagged_agent_message_comes_with_a_one_step_complaint() {
    let app = TestApp::spawn().await;
    let mut desk = Desk::open(&app, "a-1025").await;
    let mut chat = Chat::named(&app, "shopper-c7").await;
    let ticket = hand_over(&mut chat, &mut desk).await;
    desk.write(&ticket, "您好，请稍等").await;
    let rude = desk.write(&ticket, "你是 傻 逼 吗").await;
    let mut events = chat.events(0).await;
    let mut messages = Vec::new();
    while messages.len() < 2 {
        if let Some(Kind::AgentMessage(m)) = events.next_stored().await.kind {
            messages.push(m);
        }
    }
    assert!(!messages[0].flagged && messages[0].complaint_offer.is_none());
    assert!(messages[1].flagged);
    let offer = messages[1]
        .complaint_offer
        .clone()
        .expect("a complaint on offer");
    assert_eq!(offer.action, "一键投诉");
    assert!(offer.text.contains("不文明用语"), "{}", offer.text);

    let accept = |offer_id: String| {
        let mut client = chat.client.clone();
        let request = authed(
            pb::AcceptComplaintOfferRequest {
                session_id: chat.session.clone(),
                offer_id,
            },
            &chat.token,
        );
        async move {
            client
                .accept_complaint_offer(request)
                .await
                .map(|r| r.into_inner())
        }
    };
    let first = accept(offer.offer_id.clone())
        .await
        .expect("filed in one step");
    let filed = first.complaint.expect("the complaint");
    assert!(filed.created && first.text.contains(&filed.reference));
    assert_eq!(filed.agent.unwrap().work_number, "1025");
    let c = complaint(&app, &filed.reference).await;
    assert_eq!(c.ticket_id, ticket);
    assert_eq!(c.agent_id, "a-1025");
    assert_eq!(
        c.category,
        agent_pb::ComplaintCategory::AbusiveLanguage as i32
    );
    assert_eq!(c.highlighted_message_ids, vec![rude.message_id.clone()]);

    // Retries (the same call again, and concurrently) return the same complaint.
    let id = || offer.offer_id.clone();
    let retries = tokio::join!(accept(id()), accept(id()), accept(id()));
    for retry in [retries.0, retries.1, retries.2] {
        assert_eq!(retry.unwrap().complaint.unwrap().reference, filed.reference);
    }
    assert_eq!(all_complaints(&app).await.len(), 1);

    // An offer this session never had is refused.
    let err = accept("not-an-offer-3".into()).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    app.stop().await;
}
