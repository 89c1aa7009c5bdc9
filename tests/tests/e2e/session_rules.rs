//! The rules around the robot's conversation over real gRPC: the idle timeout on a fake
//! clock, idempotent retries, every kind of bad input, and the operators' Classify and
//! catalogue reload.

use std::time::Duration;

use honeydesk::{
    TestApp,
    chat::{Chat, intent},
    testing::{Options, authed},
};
use honeydesk_proto::bot::v1 as pb;
use server_kit::Role;
use tonic::Code;

#[tokio::test]
async fn an_idle_session_times_out_on_the_fake_clock() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    chat.say("你好").await;
    app.clock.advance(Duration::from_secs(9 * 60));
    chat.say("我的快递到哪了").await;
    app.clock.advance(Duration::from_secs(10 * 60 + 1));
    let status = chat.try_say("还在吗").await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("timed out"),
        "{}",
        status.message()
    );
    let session = chat.session().await;
    assert_eq!(session.state, pb::SessionState::Closed as i32);
    assert_eq!(session.close_reason, pb::CloseReason::IdleTimeout as i32);
    app.stop().await;
}

#[tokio::test]
async fn a_retried_message_gets_the_same_reply_and_counts_once() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    let first = chat
        .say_with_id("same", "推荐一部好看的科幻电影")
        .await
        .unwrap()
        .reply
        .unwrap();
    let again = chat
        .say_with_id("same", "推荐一部好看的科幻电影")
        .await
        .unwrap()
        .reply
        .unwrap();
    assert_eq!(first, again);
    let offered = chat
        .say_with_id("other", "今天股票涨了吗")
        .await
        .unwrap()
        .reply
        .unwrap();
    assert!(offered.agent_offered, "two distinct fallbacks");
    let unanswered = app
        .intents()
        .await
        .list_unanswered(authed(
            pb::ListUnansweredRequest {
                entrance: 0,
                limit: 10,
            },
            &app.token("s", Role::Supervisor),
        ))
        .await
        .unwrap()
        .into_inner()
        .questions;
    let counted = unanswered
        .iter()
        .find(|q| q.text.contains("科幻电影"))
        .unwrap();
    assert_eq!(counted.count, 1, "the retry is not counted twice");
    app.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_problem() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    let long = "好".repeat(501);
    for (id, text, code, needle) in [
        ("a", "", Code::InvalidArgument, "text: must not be empty"),
        ("b", "   \n ", Code::InvalidArgument, "only whitespace"),
        ("c", long.as_str(), Code::InvalidArgument, "at most 500"),
        (
            "d",
            "hi\u{0007}",
            Code::InvalidArgument,
            "control characters",
        ),
        ("", "你好", Code::InvalidArgument, "client_message_id"),
    ] {
        let status = chat.say_with_id(id, text).await.unwrap_err();
        assert_eq!(status.code(), code, "{text:?}");
        assert!(
            status.message().contains(needle),
            "{text:?}: {}",
            status.message()
        );
    }
    let exactly_500 = "好".repeat(500);
    chat.say_with_id("e", &exactly_500)
        .await
        .expect("500 characters are fine");

    let mut other = chat.client.clone();
    let stranger = app.token("shopper-2", Role::Consumer);
    let status = other
        .send_message(authed(
            pb::SendMessageRequest {
                session_id: chat.session.clone(),
                client_message_id: "x".into(),
                text: "你好".into(),
            },
            &stranger,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = other
        .send_message(authed(
            pb::SendMessageRequest {
                session_id: "no-such-session".into(),
                client_message_id: "x".into(),
                text: "你好".into(),
            },
            &stranger,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    let ended = chat
        .client
        .end_session(authed(
            pb::EndSessionRequest {
                session_id: chat.session.clone(),
            },
            &chat.token,
        ))
        .await
        .unwrap()
        .into_inner()
        .session
        .unwrap();
    assert_eq!(ended.state, pb::SessionState::Closed as i32);
    let status = chat.try_say("还在吗").await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(status.message().contains("closed"), "{}", status.message());
    app.stop().await;
}

#[tokio::test]
async fn classify_ranks_intents_for_operators_only() {
    let app = TestApp::spawn().await;
    let mut intents = app.intents().await;
    let request = || pb::ClassifyRequest {
        entrance: pb::Entrance::Consumer as i32,
        text: "how do I get an invoice for my order".into(),
        top_k: 3,
    };
    let ranked = intents
        .classify(authed(request(), &app.token("bot-gateway", Role::Service)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ranked.intents[0].name, "invoice.request");
    assert!(ranked.confident && ranked.intents.len() <= 3);
    assert!(ranked.intents.windows(2).all(|w| w[0].score >= w[1].score));
    let status = intents
        .classify(authed(request(), &app.token("shopper-1", Role::Consumer)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    app.stop().await;
}

/// A copy of the default catalogue in a temporary directory, for tests that change it.
struct CatalogueCopy {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    original: String,
}

impl CatalogueCopy {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalogue.toml");
        let original =
            std::fs::read_to_string(bot_service::config::BehaviourSettings::default().catalogue)
                .unwrap();
        std::fs::write(&path, &original).unwrap();
        Self {
            _dir: dir,
            path,
            original,
        }
    }

    /// The catalogue with an intent routed to a skill that does not exist.
    fn broken(&self) -> String {
        self.original
            .replacen("skill = \"orders\"", "skill = \"ordrs\"", 1)
    }

    fn write(&self, text: &str) {
        std::fs::write(&self.path, text).unwrap();
    }
}

#[tokio::test]
async fn a_bad_catalogue_reload_keeps_the_old_one() {
    let copy = CatalogueCopy::new();
    let catalogue = copy.path.clone();
    let app = TestApp::spawn_with(Options {
        bot: Some(Box::new(move |b| b.bot.catalogue = catalogue)),
        ..Options::default()
    })
    .await;
    let supervisor = app.token("supervisor-1", Role::Supervisor);
    let mut intents = app.intents().await;
    let before = intents
        .reload_catalogue(authed(pb::ReloadCatalogueRequest {}, &supervisor))
        .await
        .unwrap()
        .into_inner();
    assert!(before.intents >= 23, "every DESIGN.md intent");

    copy.write(&copy.broken());
    let status = intents
        .reload_catalogue(authed(pb::ReloadCatalogueRequest {}, &supervisor))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("ordrs"),
        "names the problem: {}",
        status.message()
    );
    let mut chat = Chat::consumer(&app).await;
    assert_eq!(
        intent(&chat.say("我的快递到哪了").await).0,
        "logistics.tracking",
        "old catalogue in force"
    );

    copy.write(&copy.original);
    let after = intents
        .reload_catalogue(authed(pb::ReloadCatalogueRequest {}, &supervisor))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after.digest, before.digest);
    app.stop().await;
}

/// Replicas that share one catalogue file all follow it: a changed file is put in force
/// without a `ReloadCatalogue` call (the check wakes when the clock moves), and a broken
/// one leaves the old catalogue answering.
#[tokio::test]
async fn a_changed_catalogue_file_is_followed_without_a_reload_call() {
    let copy = CatalogueCopy::new();
    let catalogue = copy.path.clone();
    let app = TestApp::spawn_with(Options {
        bot: Some(Box::new(move |b| {
            b.bot.catalogue = catalogue;
            b.bot.catalogue_check_secs = 1;
        })),
        ..Options::default()
    })
    .await;
    let mut chat = Chat::consumer(&app).await;
    let question = "卖家一直不发货怎么办";
    let before = chat.say(question).await;
    assert_eq!(intent(&before).0, "order.not_shipped");
    assert!(!before.text.contains("【新】"), "{}", before.text);

    // A broken file first: the old catalogue keeps answering.
    copy.write(&copy.broken());
    app.clock.advance(Duration::from_secs(2));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(intent(&chat.say(question).await).0, "order.not_shipped");

    // Then a good change: followed within a few checks, with no call at all.
    copy.write(
        &copy
            .original
            .replacen("\"很抱歉让你久等了。", "\"【新】很抱歉让你久等了。", 1),
    );
    let mut followed = false;
    for _ in 0..50 {
        app.clock.advance(Duration::from_secs(2));
        tokio::time::sleep(Duration::from_millis(100)).await;
        if chat.say(question).await.text.starts_with("【新】") {
            followed = true;
            break;
        }
    }
    assert!(followed, "the changed file was not put in force");
    app.stop().await;
}
