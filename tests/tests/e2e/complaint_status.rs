//! Customers ask the robot how their complaints stand (`complaint.status`), over real
//! gRPC through both services: nothing filed yet; a filed complaint with its reference,
//! agent and deadlines (with their zone); the outcome and the recourse once decided, in
//! the customer's language; complaints of another entrance are not listed; and an
//! honest answer when agent-service cannot be reached.

use crate::complaints::support::{Caller, filing};
use honeydesk::{
    TestApp,
    chat::Chat,
    desk::{Desk, hand_over},
};
use honeydesk_proto::{
    agent::v1::{self as agent_pb, ComplaintStatus as S},
    bot::v1 as pb,
};
use server_kit::Role;

const ASK_ZH: &str = "我的投诉处理得怎么样了";

fn intent(reply: &pb::BotReply) -> &str {
    reply.intent.as_ref().map_or("", |i| i.name.as_str())
}

/// `user` talks to agent 1025, who hands them back to the robot, and complains about it
/// directly; the chat (back with the robot) and the complaint's reference.
async fn served_and_complained(app: &TestApp, user: &str) -> (Chat, String) {
    let mut desk = Desk::open(app, "a-1025").await;
    let mut chat = Chat::named(app, user).await;
    let ticket = hand_over(&mut chat, &mut desk).await;
    desk.close(&ticket, agent_pb::Resolution::ReturnToBot)
        .await
        .expect("back to the robot");
    chat.until_state(pb::SessionState::Bot).await;
    let mut customer = Caller::new(app, user, Role::Consumer).await;
    let filed = customer
        .file(filing(&ticket, &format!("{user}-complaint")))
        .await
        .expect("the customer files a complaint");
    (chat, filed.complaint.expect("the complaint").reference)
}

#[tokio::test]
async fn the_robot_lists_the_customers_complaints_with_deadlines_then_the_outcome() {
    let app = TestApp::spawn().await;
    let mut fresh = Chat::named(&app, "shopper-none").await;
    let nothing = fresh.say(ASK_ZH).await;
    assert_eq!(intent(&nothing), "complaint.status");
    assert!(nothing.text.contains("还没有提交过"), "{}", nothing.text);

    let (mut chat, reference) = served_and_complained(&app, "shopper-status").await;
    let received = chat.say(ASK_ZH).await;
    assert_eq!(intent(&received), "complaint.status");
    for words in [reference.as_str(), "工号1025", "等待受理", "北京时间"] {
        assert!(received.text.contains(words), "{words}: {}", received.text);
    }

    let mut supervisor = Caller::new(&app, "sup-1", Role::Supervisor).await;
    supervisor
        .review(&reference, S::InReview, "checking", "")
        .await
        .expect("taken into review");
    let reviewing = chat.say("投诉审核到哪一步了").await;
    assert!(reviewing.text.contains("审核中"), "{}", reviewing.text);
    supervisor
        .review(&reference, S::Resolved, "", "客服已被约谈并道歉")
        .await
        .expect("resolved");
    let decided = chat.say(ASK_ZH).await;
    for words in ["投诉成立", "客服已被约谈并道歉", "12315"] {
        assert!(decided.text.contains(words), "{words}: {}", decided.text);
    }
    let english = chat.say("any update on my complaint?").await;
    assert_eq!(intent(&english), "complaint.status");
    assert!(
        english.text.contains("decided in your favour") && english.text.contains(&reference),
        "{}",
        english.text
    );
    assert!(!english.text.contains("投诉成立"), "{}", english.text);

    // The same customer at the merchant entrance has no complaint filed there.
    let (mut seller, _) = Chat::open(
        &app,
        "shopper-status",
        Role::Merchant,
        pb::Entrance::Merchant,
    )
    .await;
    let none_here = seller.say(ASK_ZH).await;
    assert!(!none_here.text.contains(&reference), "{}", none_here.text);
    app.stop().await;
}

#[tokio::test]
async fn without_agent_service_the_robot_says_so_and_gives_the_hotline() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::named(&app, "shopper-outage").await;
    app.stack.agent_shutdown().trigger();
    let reply = chat.say(ASK_ZH).await;
    assert_eq!(intent(&reply), "complaint.status");
    assert!(
        reply.text.contains("暂时无法连接") && reply.text.contains("9510-8888"),
        "{}",
        reply.text
    );
    app.stop().await;
}
