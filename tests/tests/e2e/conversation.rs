//! The robot over real gRPC: both entrances, answers in Chinese and English, chit-chat,
//! fallback, the "talk to a person" offer, and the bot-complaint answer with ratings.

use std::time::Duration;

use honeydesk::{
    TestApp,
    chat::{Chat, intent},
    testing::authed,
};
use honeydesk_proto::bot::v1 as pb;
use server_kit::Role;
use tonic::Code;

#[tokio::test]
async fn each_entrance_needs_its_role_and_greets_its_users() {
    let app = TestApp::spawn().await;
    let (_, consumer) = Chat::open(&app, "shopper-1", Role::Consumer, pb::Entrance::Consumer).await;
    let (_, merchant) = Chat::open(&app, "seller-1", Role::Merchant, pb::Entrance::Merchant).await;
    let c = consumer.greeting.unwrap();
    let m = merchant.greeting.unwrap();
    assert!(!c.text.is_empty() && !m.text.is_empty());
    assert_ne!(c.text, m.text, "each entrance has its own greeting");
    assert!(!c.quick_replies.is_empty());
    let session = consumer.session.unwrap();
    assert_eq!(session.state, pb::SessionState::Bot as i32);
    assert_eq!(session.idle_timeout.unwrap().seconds, 600);

    let mut client = app.conversation().await;
    for (user, role, entrance) in [
        ("shopper-1", Role::Consumer, pb::Entrance::Merchant),
        ("seller-1", Role::Merchant, pb::Entrance::Consumer),
    ] {
        let status = client
            .start_session(authed(
                pb::StartSessionRequest {
                    entrance: entrance as i32,
                    language: 0,
                },
                &app.token(user, role),
            ))
            .await
            .unwrap_err();
        assert_eq!(
            status.code(),
            Code::PermissionDenied,
            "{user} at {entrance:?}: {status:?}"
        );
    }
    let status = client
        .start_session(authed(
            pb::StartSessionRequest {
                entrance: 0,
                language: 0,
            },
            &app.token("shopper-1", Role::Consumer),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("entrance"),
        "{}",
        status.message()
    );
    app.stop().await;
}

#[tokio::test]
async fn faq_answers_in_the_users_language() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    let zh = chat.say("拍下三天了卖家还没发货，怎么办").await;
    assert_eq!(
        intent(&zh),
        ("order.not_shipped".into(), pb::IntentKind::Faq as i32)
    );
    assert_eq!(zh.language, pb::Language::Zh as i32);
    assert!(
        zh.text
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{}",
        zh.text
    );
    assert!(zh.intent.unwrap().confidence > 0.0);

    let en = chat
        .say("Where is my parcel? I want to track the delivery")
        .await;
    assert_eq!(intent(&en).0, "logistics.tracking");
    assert_eq!(en.language, pb::Language::En as i32);
    assert!(
        en.text.is_ascii() || en.text.chars().filter(|c| c.is_ascii_alphabetic()).count() > 20,
        "{}",
        en.text
    );

    let (mut seller, _) =
        Chat::open(&app, "seller-1", Role::Merchant, pb::Entrance::Merchant).await;
    let settle = seller.say("货款什么时候结算到账").await;
    assert_eq!(intent(&settle).0, "merchant.settlement");
    app.stop().await;
}

#[tokio::test]
async fn chitchat_is_friendly_and_varied() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    let hello = chat.say("你好").await;
    assert_eq!(
        intent(&hello),
        ("chitchat.greeting".into(), pb::IntentKind::Chitchat as i32)
    );
    let tease1 = chat.say("你是机器人吗").await;
    assert_eq!(intent(&tease1).0, "chitchat.tease");
    let tease2 = chat.say("你好笨啊").await;
    assert_eq!(intent(&tease2).0, "chitchat.tease");
    assert_ne!(tease1.text, tease2.text, "teasing gets varied answers");
    assert!(
        !hello.agent_offered,
        "small talk does not describe a problem"
    );
    app.stop().await;
}

#[tokio::test]
async fn fallback_offers_the_closest_intents_and_counts_the_question() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    let reply = chat.say("推荐一部好看的科幻电影").await;
    assert_eq!(
        intent(&reply),
        ("fallback".into(), pb::IntentKind::Fallback as i32)
    );
    assert!(!reply.text.is_empty());
    let vague = chat.say("钱的问题").await;
    assert_eq!(
        intent(&vague).1,
        pb::IntentKind::Fallback as i32,
        "{vague:?}"
    );
    assert!(!vague.suggestions.is_empty(), "猜你想问: {vague:?}");
    assert!(vague.suggestions.iter().all(|s| !s.question.is_empty()));

    let supervisor = app.token("supervisor-1", Role::Supervisor);
    let unanswered = app
        .intents()
        .await
        .list_unanswered(authed(
            pb::ListUnansweredRequest {
                entrance: 0,
                limit: 10,
            },
            &supervisor,
        ))
        .await
        .unwrap()
        .into_inner()
        .questions;
    assert!(
        unanswered
            .iter()
            .any(|q| q.text.contains("科幻电影") && q.count == 1),
        "{unanswered:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_person_is_offered_only_once_the_problem_is_described() {
    let app = TestApp::spawn().await;
    // Asking for a person straight away: offered, but asked what the problem is.
    let mut chat = Chat::consumer(&app).await;
    let status = chat.request_agent().await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let ask = chat.say("转人工").await;
    assert_eq!(
        intent(&ask),
        ("handoff.human".into(), pb::IntentKind::Handoff as i32)
    );
    assert!(ask.agent_offered);
    assert!(
        ask.text.contains("问题"),
        "asks what the problem is: {}",
        ask.text
    );

    // One recognised problem turn offers a person.
    let mut chat = Chat::consumer(&app).await;
    assert!(!chat.say("你好").await.agent_offered);
    assert!(chat.say("我要申请退款").await.agent_offered);

    // Two fallbacks in a row offer a person.
    let mut chat = Chat::consumer(&app).await;
    assert!(!chat.say("推荐一部电影").await.agent_offered);
    assert!(chat.say("今天股票涨了吗").await.agent_offered);
    app.stop().await;
}

#[tokio::test]
async fn hand_off_while_agent_service_is_down_keeps_the_session_with_the_bot() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    chat.say("我要申请退款").await;
    app.stack.agent_shutdown().trigger();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let status = chat.request_agent().await.unwrap_err();
    assert!(
        matches!(status.code(), Code::Unavailable | Code::DeadlineExceeded),
        "{status:?}"
    );
    assert!(
        status.message().contains("9510-8888"),
        "tells the customer what to do: {}",
        status.message()
    );
    let reply = chat.say("我的快递到哪了").await;
    assert_eq!(
        intent(&reply).0,
        "logistics.tracking",
        "the robot keeps answering"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_robot_cannot_be_complained_about_but_its_answers_can_be_rated() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    let answer = chat.say("我要投诉小蜜").await;
    assert_eq!(
        intent(&answer),
        ("complaint.bot".into(), pb::IntentKind::Complaint as i32)
    );
    assert!(answer.text.contains("机器人"), "{}", answer.text);
    let channels = chat.say("投诉电话是多少").await;
    assert_eq!(intent(&channels).0, "complaint.channels");
    assert!(
        channels.text.contains("12315") && channels.text.contains("9510-8888"),
        "{}",
        channels.text
    );

    let faq = chat.say("怎么开发票").await;
    for helpful in [true, false] {
        chat.client
            .rate_reply(authed(
                pb::RateReplyRequest {
                    session_id: chat.session.clone(),
                    reply_id: faq.reply_id.clone(),
                    helpful,
                },
                &chat.token,
            ))
            .await
            .unwrap();
    }
    let status = chat
        .client
        .rate_reply(authed(
            pb::RateReplyRequest {
                session_id: chat.session.clone(),
                reply_id: "nope".into(),
                helpful: true,
            },
            &chat.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let ratings = app
        .intents()
        .await
        .get_reply_ratings(authed(
            pb::GetReplyRatingsRequest {},
            &app.token("supervisor-1", Role::Supervisor),
        ))
        .await
        .unwrap()
        .into_inner()
        .ratings;
    let invoice = ratings
        .iter()
        .find(|r| r.intent == intent(&faq).0)
        .expect("rated intent");
    assert_eq!(
        (invoice.helpful, invoice.not_helpful),
        (0, 1),
        "a changed rating moves the vote"
    );
    app.stop().await;
}
