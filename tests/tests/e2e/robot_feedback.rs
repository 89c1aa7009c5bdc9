//! The robot's feedback figures over real gRPC, kept in agent-service's store: an
//! unanswered question is listed with its mobile number masked, answer ratings are
//! counted, and both survive a bot-service restart (a replica reads what another wrote).
//! Runs on SQLite, and on PostgreSQL with `HONEYDESK_TEST_STORE=postgres`.

use std::time::Duration;

use honeydesk::{TestApp, chat::Chat, testing::authed};
use honeydesk_proto::bot::v1 as pb;
use server_kit::Role;

/// The supervisor's view: unanswered questions and answer ratings.
async fn figures(app: &TestApp) -> (Vec<pb::UnansweredQuestion>, Vec<pb::IntentRating>) {
    let token = app.token("supervisor-1", Role::Supervisor);
    let mut intents = app.intents().await;
    let questions = intents
        .list_unanswered(authed(pb::ListUnansweredRequest::default(), &token))
        .await
        .expect("unanswered questions")
        .into_inner()
        .questions;
    let ratings = intents
        .get_reply_ratings(authed(pb::GetReplyRatingsRequest {}, &token))
        .await
        .expect("answer ratings")
        .into_inner()
        .ratings;
    (questions, ratings)
}

/// The figures once both background writes have landed (five seconds at most).
async fn recorded(app: &TestApp) -> (Vec<pb::UnansweredQuestion>, Vec<pb::IntentRating>) {
    for _ in 0..250 {
        let (questions, ratings) = figures(app).await;
        if !questions.is_empty() && !ratings.is_empty() {
            return (questions, ratings);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the feedback figures were never recorded");
}

#[tokio::test]
async fn unanswered_questions_are_masked_and_survive_a_restart_with_the_ratings() {
    let mut app = TestApp::spawn().await;
    let mut chat = Chat::named(&app, "shopper-feedback").await;
    let fallback = chat.say("钱 13911112222 的问题").await;
    let kind = fallback.intent.as_ref().map(|i| i.kind);
    assert_eq!(kind, Some(pb::IntentKind::Fallback as i32));
    let answer = chat.say("我的快递到哪了").await;
    chat.client
        .rate_reply(authed(
            pb::RateReplyRequest {
                session_id: chat.session.clone(),
                reply_id: answer.reply_id.clone(),
                helpful: false,
            },
            &chat.token,
        ))
        .await
        .expect("rated");

    let (questions, ratings) = recorded(&app).await;
    let texts: Vec<(&str, u64)> = questions
        .iter()
        .map(|q| (q.text.as_str(), q.count))
        .collect();
    assert_eq!(texts, [("钱 [mobile] 的问题", 1)]);
    let rated: Vec<(&str, u64, u64)> = ratings
        .iter()
        .map(|r| (r.intent.as_str(), r.helpful, r.not_helpful))
        .collect();
    assert_eq!(rated, [("logistics.tracking", 0, 1)]);

    app.stack.restart_bot().await.expect("bot-service restarts");
    assert_eq!(figures(&app).await, (questions, ratings));
    app.stop().await;
}
