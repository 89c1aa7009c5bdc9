//! The one-step complaint offered with a flagged agent message, over real gRPC: only
//! offers that were made (flagged messages) can be taken, the evidence counts only
//! flagged messages, a retry says the complaint was not created again, and asking again
//! after a decision tells the outcome and where to turn next (12315 for shoppers, the
//! platform's appeal channel for sellers); the complaint keeps the conversation's
//! language, and its recourse is written in that one language.

use honeydesk::{
    TestApp,
    chat::Chat,
    desk::{Desk, hand_over},
    testing::authed,
};
use honeydesk_proto::{
    agent::v1::{
        self as agent_pb, ComplaintStatus as S, complaint_service_client::ComplaintServiceClient,
    },
    bot::v1 as pb,
};
use server_kit::Role;
use tonic::{Code, Status};

async fn accept(chat: &Chat, offer_id: &str) -> Result<pb::AcceptComplaintOfferResponse, Status> {
    chat.client
        .clone()
        .accept_complaint_offer(authed(
            pb::AcceptComplaintOfferRequest {
                session_id: chat.session.clone(),
                offer_id: offer_id.into(),
            },
            &chat.token,
        ))
        .await
        .map(|r| r.into_inner())
}

fn supervisor(app: &TestApp) -> String {
    app.token("sup-1", Role::Supervisor)
}

async fn complaint(app: &TestApp, reference: &str) -> agent_pb::Complaint {
    ComplaintServiceClient::new(app.agent_channel().await)
        .get_complaint(authed(
            agent_pb::GetComplaintRequest {
                reference: reference.into(),
                customer_id: String::new(),
            },
            &supervisor(app),
        ))
        .await
        .expect("supervisors read complaints")
        .into_inner()
        .complaint
        .expect("the complaint")
}

/// A supervisor takes the complaint into review, then decides it `to` with `outcome`.
async fn decide(app: &TestApp, reference: &str, to: S, outcome: &str) {
    let mut client = ComplaintServiceClient::new(app.agent_channel().await);
    for (to, outcome) in [(S::InReview, ""), (to, outcome)] {
        client
            .review_complaint(authed(
                agent_pb::ReviewComplaintRequest {
                    reference: reference.into(),
                    to: to as i32,
                    note: String::new(),
                    outcome: outcome.into(),
                },
                &supervisor(app),
            ))
            .await
            .expect("the supervisor moves it");
    }
}

/// `user` handed to 阿强 (1025), who writes `clean` and then an abusive message; the
/// chat and the two messages.
async fn abused(
    app: &TestApp,
    user: &str,
    clean: &str,
) -> (Chat, agent_pb::ChatMessage, agent_pb::ChatMessage) {
    let mut desk = Desk::open(app, "a-1025").await;
    let mut chat = Chat::named(app, user).await;
    let ticket = hand_over(&mut chat, &mut desk).await;
    let clean = desk.write(&ticket, clean).await;
    let rude = desk.write(&ticket, "你是 傻 逼 吗").await;
    assert!(!clean.flagged && rude.flagged);
    (chat, clean, rude)
}

#[tokio::test]
async fn only_flagged_messages_are_offers_and_a_retry_is_not_created_again() {
    let app = TestApp::spawn().await;
    let (chat, clean, rude) = abused(&app, "shopper-o1", "Sorry, let me check.").await;

    let refused = accept(&chat, &clean.message_id).await.unwrap_err();
    assert_eq!(refused.code(), Code::NotFound, "{refused:?}");

    // Taken at once, before the customer's stream showed it: still recognised.
    let first = accept(&chat, &rude.message_id).await.expect("filed");
    let filed = first.complaint.expect("the complaint");
    assert!(filed.created);
    assert_eq!(filed.highlighted_message_ids, vec![rude.message_id.clone()]);
    let c = complaint(&app, &filed.reference).await;
    assert_eq!(c.highlighted_message_ids, vec![rude.message_id.clone()]);
    assert!(c.description.contains("1 条"), "{}", c.description);

    let retry = accept(&chat, &rude.message_id)
        .await
        .expect("the same complaint");
    let again = retry.complaint.expect("the complaint");
    assert_eq!(again.reference, filed.reference);
    assert!(!again.created, "a retry does not create it again");
    app.stop().await;
}

#[tokio::test]
async fn after_a_decision_a_shopper_is_told_the_outcome_and_12315() {
    let app = TestApp::spawn().await;
    let (chat, _, rude) = abused(&app, "shopper-o2", "您好，请稍等").await;
    let filed = accept(&chat, &rude.message_id)
        .await
        .unwrap()
        .complaint
        .unwrap();
    decide(
        &app,
        &filed.reference,
        S::Resolved,
        "客服已被约谈并停岗培训",
    )
    .await;

    let text = accept(&chat, &rude.message_id).await.unwrap().text;
    assert!(
        text.contains("投诉成立") && text.contains("客服已被约谈并停岗培训"),
        "{text}"
    );
    assert!(
        text.contains("12315") && text.contains("9510-8888"),
        "{text}"
    );
    assert!(
        !text.contains("前受理"),
        "no deadlines once decided: {text}"
    );
    app.stop().await;
}

#[tokio::test]
async fn after_a_decision_a_seller_is_pointed_to_the_merchant_appeal_not_12315() {
    let app = TestApp::spawn().await;
    let mut desk = Desk::open(&app, "a-2048").await;
    let (mut chat, _) = Chat::open(&app, "seller-o3", Role::Merchant, pb::Entrance::Merchant).await;
    chat.say("结算款什么时候到账").await;
    let ticket = chat
        .request_agent()
        .await
        .unwrap()
        .session
        .unwrap()
        .ticket_id;
    assert_eq!(desk.take().await.ticket_id, ticket);
    chat.until_state(pb::SessionState::WithAgent).await;
    let rude = desk.write(&ticket, "你是 傻 逼 吗").await;
    let filed = accept(&chat, &rude.message_id)
        .await
        .unwrap()
        .complaint
        .unwrap();
    decide(&app, &filed.reference, S::Rejected, "核实后客服用语无不当").await;

    let text = accept(&chat, &rude.message_id).await.unwrap().text;
    assert!(
        text.contains("未被支持") && text.contains("核实后客服用语无不当"),
        "{text}"
    );
    assert!(
        text.contains("卖家中心") && !text.contains("www.12315.cn"),
        "{text}"
    );
    app.stop().await;
}

/// Whether a text has any Chinese character.
fn han(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// An English-speaking customer at `entrance` is served by `agent`, who writes an
/// abusive message; the customer takes the one-step offer. The chat and the reference.
async fn complained_in_english(
    app: &TestApp,
    user: &str,
    (role, entrance): (Role, pb::Entrance),
    (agent, question): (&str, &str),
) -> (Chat, String, String) {
    let mut desk = Desk::open(app, agent).await;
    let (mut chat, _) = Chat::open(app, user, role, entrance).await;
    chat.say(question).await;
    chat.request_agent().await.expect("queued for a person");
    let ticket = desk.take().await.ticket_id;
    chat.until_state(pb::SessionState::WithAgent).await;
    let rude = desk.write(&ticket, "shut up, you idiot").await;
    assert!(rude.flagged);
    let filed = accept(&chat, &rude.message_id).await.expect("filed");
    let reference = filed.complaint.expect("the complaint").reference;
    (chat, reference, rude.message_id)
}

#[tokio::test]
async fn a_complaint_keeps_the_conversations_language_for_its_recourse() {
    let app = TestApp::spawn().await;
    let shopper = (Role::Consumer, pb::Entrance::Consumer);
    let served = ("a-1025", "I want a refund for my order");
    let (chat, reference, offer) = complained_in_english(&app, "shopper-o4", shopper, served).await;
    assert_eq!(
        complaint(&app, &reference).await.language,
        agent_pb::Language::En as i32
    );
    decide(&app, &reference, S::Resolved, "The agent was warned.").await;
    let seen = complaint(&app, &reference).await;
    let recourse = seen.recourse.expect("a decided complaint has a recourse");
    assert!(
        !han(&recourse.text) && recourse.text.contains("12315"),
        "one language: {}",
        recourse.text
    );
    assert_eq!(recourse.consumer_hotline, "12315");
    let told = accept(&chat, &offer).await.unwrap().text;
    assert!(!han(&told) && told.contains("12315"), "{told}");

    let seller = (Role::Merchant, pb::Entrance::Merchant);
    let served = ("a-2048", "my payout hasn't arrived");
    let (_, reference, _) = complained_in_english(&app, "seller-o5", seller, served).await;
    decide(&app, &reference, S::Rejected, "Nothing improper was said.").await;
    let recourse = complaint(&app, &reference).await.recourse.unwrap();
    assert!(
        !han(&recourse.text) && !recourse.text.contains("12315"),
        "sellers are not sent to 12315: {}",
        recourse.text
    );
    assert!(recourse.consumer_hotline.is_empty());
    app.stop().await;
}
