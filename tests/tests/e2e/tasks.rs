//! Task intents over real gRPC, with the sandbox back end on its own ephemeral port:
//! phone top-up and weather in Chinese and English — slots from one message and across
//! turns, invalid numbers and amounts, cancel, confirmation, the caller's own number,
//! idempotent execution under retry, and honest messages when the back end is down,
//! slow, or not configured. Also: the sandbox checks bearer tokens like every service.

use std::{net::SocketAddr, time::Duration};

use honeydesk::{
    TestApp,
    chat::Chat,
    sandbox::RunningSandbox,
    testing::{Options, TEST_SECRET, authed},
};
use honeydesk_proto::bot::v1::{self as pb, action_service_client::ActionServiceClient};
use server_kit::{Role, auth::claims_for};
use tonic::Code;

/// The pair plus a sandbox serving the demo tasks, with a short action deadline.
async fn with_sandbox() -> (TestApp, RunningSandbox) {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let sandbox = RunningSandbox::start(any, TEST_SECRET)
        .await
        .expect("sandbox starts");
    let url = sandbox.url();
    let app = TestApp::spawn_with(Options {
        bot: Some(Box::new(move |s| {
            for name in honeydesk::sandbox::DEMO_BACKENDS {
                s.actions.backends.insert(name.to_owned(), url.clone());
            }
            s.actions.deadline_ms = 400;
        })),
        ..Options::default()
    })
    .await;
    (app, sandbox)
}

/// The pair with the demo tasks pointed at `url`.
async fn with_backends_at(url: String) -> TestApp {
    TestApp::spawn_with(Options {
        bot: Some(Box::new(move |s| {
            for name in honeydesk::sandbox::DEMO_BACKENDS {
                s.actions.backends.insert(name.to_owned(), url.clone());
            }
            s.actions.deadline_ms = 400;
        })),
        ..Options::default()
    })
    .await
}

async fn shopper(app: &TestApp) -> Chat {
    Chat::with_token(app, app.token("shopper-1", Role::Consumer)).await
}

fn intent(reply: &pb::BotReply) -> String {
    reply.intent.clone().map(|i| i.name).unwrap_or_default()
}

#[tokio::test]
async fn top_up_from_one_message_is_confirmed_and_charged_once_under_retry() {
    let (app, sandbox) = with_sandbox().await;
    let mut chat = shopper(&app).await;
    let ask = chat.say("帮我给13812345678充50块").await;
    assert_eq!(ask.text, "给 138****5678 充值 50 元，确认吗？");
    assert_eq!(intent(&ask), "topup.phone");
    assert_eq!(ask.quick_replies, ["确认", "取消"]);
    assert!(
        sandbox.sandbox.top_ups().is_empty(),
        "nothing runs before the yes"
    );

    let done = chat.reply_to("confirm-1", "确认").await.unwrap();
    assert!(
        done.text.starts_with("【沙箱】已为 138****5678 充值 50 元"),
        "{}",
        done.text
    );
    let retried = chat.reply_to("confirm-1", "确认").await.unwrap();
    assert_eq!(retried.reply_id, done.reply_id, "the retry is replayed");
    assert_eq!(retried.text, done.text);
    // A second "yes" under a new id: the task is over, nothing more is charged.
    chat.say("确认").await;

    let ledger = sandbox.sandbox.top_ups();
    assert_eq!(ledger.len(), 1, "one charge: {ledger:?}");
    assert_eq!(ledger[0].phone, "13812345678");
    assert_eq!(ledger[0].amount, 50);
    assert_eq!(ledger[0].user_id, "shopper-1");
    assert_eq!(
        ledger[0].idempotency_key,
        format!("{}:task-1", chat.session)
    );
    app.stop().await;
    sandbox.stop().await.unwrap();
}

#[tokio::test]
async fn slots_are_asked_across_turns_and_bad_values_are_re_asked_in_english() {
    let (app, sandbox) = with_sandbox().await;
    let mut chat = shopper(&app).await;
    let ask = chat.say("Recharge a mobile please").await;
    assert_eq!(intent(&ask), "topup.phone");
    assert!(ask.text.starts_with("Which mobile number"), "{}", ask.text);
    let bad = chat.say("1381234567").await;
    assert!(
        bad.text
            .starts_with("\"1381234567\" is not a valid mainland mobile number")
            && bad.text.contains("Which mobile number"),
        "{}",
        bad.text
    );
    let bad = chat.say("12812345678").await;
    assert!(
        bad.text.contains("not a valid mainland mobile number"),
        "{}",
        bad.text
    );
    let amount = chat.say("13812345678").await;
    assert!(amount.text.starts_with("How much?"), "{}", amount.text);
    assert_eq!(
        amount.language,
        pb::Language::En as i32,
        "digits keep the language"
    );
    assert!(amount.quick_replies.contains(&"50 yuan".to_owned()));
    let bad = chat.say("500").await;
    assert!(
        bad.text
            .starts_with("500 yuan is not available; choose 10, 20, 30, 50, 100 or 200")
            || bad
                .text
                .starts_with("500 yuan is not available; choose 10, 20, 30, 50, 100, 200"),
        "{}",
        bad.text
    );
    let confirm = chat.say("100").await;
    assert_eq!(confirm.text, "Top up 138****5678 with 100 yuan. Confirm?");
    let unclear = chat.say("hmm, what?").await;
    assert!(
        unclear.text.starts_with("Please reply \"yes\""),
        "{}",
        unclear.text
    );
    assert!(sandbox.sandbox.top_ups().is_empty());
    let done = chat.say("yes").await;
    assert!(
        done.text
            .starts_with("[sandbox] Topped up 138****5678 with 100 yuan"),
        "{}",
        done.text
    );
    assert_eq!(sandbox.sandbox.top_ups().len(), 1);
    app.stop().await;
    sandbox.stop().await.unwrap();
}

#[tokio::test]
async fn chinese_slots_across_turns_and_the_callers_own_number() {
    let (app, sandbox) = with_sandbox().await;
    let claims = claims_for(
        "shopper-2",
        Role::Consumer,
        Duration::from_secs(600),
        Some("13900001111".to_owned()),
    );
    let mut chat = Chat::with_token(&app, app.tokens().mint_claims(&claims)).await;
    let ask = chat.say("帮我充一百块话费").await;
    assert!(ask.text.contains("哪个手机号"), "{}", ask.text);
    assert_eq!(ask.quick_replies, ["充本机 139****1111"]);
    let confirm = chat.say("充本机 139****1111").await;
    assert_eq!(confirm.text, "给 139****1111 充值 100 元，确认吗？");
    let changed = chat.say("改成30元吧").await;
    assert_eq!(changed.text, "给 139****1111 充值 30 元，确认吗？");
    chat.say("好的").await;
    let ledger = sandbox.sandbox.top_ups();
    assert_eq!(
        (ledger.len(), ledger[0].phone.as_str(), ledger[0].amount),
        (1, "13900001111", 30)
    );

    // Without a number in the token, "my own number" is asked for instead.
    let mut other = shopper(&app).await;
    let ask = other.say("给我自己的手机充50元").await;
    assert!(
        ask.text.starts_with("我这里没有您本机的号码"),
        "{}",
        ask.text
    );
    let bad = other.say("13812").await;
    assert!(bad.text.contains("不是有效的大陆手机号"), "{}", bad.text);
    app.stop().await;
    sandbox.stop().await.unwrap();
}

#[tokio::test]
async fn cancel_stops_a_task_at_any_point_without_charging() {
    let (app, sandbox) = with_sandbox().await;
    let mut chat = shopper(&app).await;
    chat.say("充话费").await;
    let cancelled = chat.say("取消").await;
    assert_eq!(cancelled.text, "好的，已取消「充话费」，没有扣款。");
    let after = chat.say("13812345678").await;
    assert_ne!(
        intent(&after),
        "topup.phone",
        "the task is over: {}",
        after.text
    );

    chat.say("Top up 13812345678 with 50 yuan").await;
    let cancelled = chat.say("cancel").await;
    assert_eq!(
        cancelled.text,
        "OK, \"Top up a phone\" is cancelled; nothing was charged."
    );
    let confirm = chat.say("给13812345678充20元").await;
    assert!(confirm.text.contains("确认吗"), "{}", confirm.text);
    let no = chat.say("不要").await;
    assert!(no.text.contains("没有扣款"), "{}", no.text);
    assert!(sandbox.sandbox.top_ups().is_empty());
    app.stop().await;
    sandbox.stop().await.unwrap();
}

#[tokio::test]
async fn weather_in_chinese_and_english() {
    let (app, sandbox) = with_sandbox().await;
    let mut chat = shopper(&app).await;
    let answer = chat.say("明天杭州会下雨吗").await;
    assert_eq!(intent(&answer), "weather.query");
    assert_eq!(answer.text, "【沙箱天气】杭州明天：小雨，18～24°C。");

    let ask = chat.say("查天气").await;
    assert_eq!(ask.text, "想查哪个城市的天气？");
    let bad = chat.say("火星").await;
    assert!(bad.text.starts_with("暂时查不到这个城市"), "{}", bad.text);
    let day = chat.say("北京").await;
    assert!(day.text.contains("今天、明天还是后天"), "{}", day.text);
    let bad = chat.say("大后天").await;
    assert!(
        bad.text.starts_with("只能查今天、明天和后天"),
        "{}",
        bad.text
    );
    let answer = chat.say("后天").await;
    assert_eq!(answer.text, "【沙箱天气】北京后天：大风，5～14°C。");

    let ask = chat.say("What's the weather like today?").await;
    assert_eq!(ask.text, "Which city's weather would you like?");
    let answer = chat.say("Xi'an").await;
    assert_eq!(answer.text, "[sandbox weather] Xi'an today: sunny, 6–18°C.");
    assert_eq!(answer.language, pb::Language::En as i32);
    app.stop().await;
    sandbox.stop().await.unwrap();
}

#[tokio::test]
async fn a_back_end_that_is_down_means_nothing_was_done() {
    // A port with nothing listening.
    let unused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let app = with_backends_at(format!("http://{unused}")).await;
    let mut chat = shopper(&app).await;
    chat.say("帮我给13812345678充50块").await;
    let failed = chat.say("确认").await;
    assert_eq!(
        failed.text,
        "抱歉，「充话费」服务暂时不可用，这次没有办理，也没有扣款。请稍后再试。"
    );
    chat.say("Top up 13812345678 with 50 yuan").await;
    let failed = chat.say("yes").await;
    assert!(
        failed
            .text
            .contains("Nothing was done and nothing was charged"),
        "{}",
        failed.text
    );
    let weather = chat.say("明天杭州会下雨吗").await;
    assert!(weather.text.contains("暂时不可用"), "{}", weather.text);
    app.stop().await;
}

#[tokio::test]
async fn a_slow_back_end_gives_an_honest_unknown_and_a_retry_charges_once() {
    let (app, sandbox) = with_sandbox().await;
    sandbox.sandbox.set_delay(Duration::from_secs(3));
    let mut chat = shopper(&app).await;
    chat.say("帮我给13812345678充50块").await;
    let unknown = chat.say("确认").await;
    assert!(
        unknown
            .text
            .starts_with("抱歉，「充话费」的结果暂时无法确认")
            && unknown.text.contains("我的淘宝 → 充值中心 → 充值记录")
            && !unknown.text.contains("已为"),
        "{}",
        unknown.text
    );
    assert_eq!(unknown.quick_replies, ["重试", "取消"]);
    // The sandbox did charge; only its answer was late.
    assert_eq!(sandbox.sandbox.top_ups().len(), 1);

    sandbox.sandbox.set_delay(Duration::ZERO);
    let done = chat.say("重试").await;
    assert!(
        done.text.contains("充值 50 元") && done.text.contains("SBX-000001"),
        "{}",
        done.text
    );
    assert_eq!(
        sandbox.sandbox.top_ups().len(),
        1,
        "same key: no second charge"
    );

    sandbox.sandbox.set_delay(Duration::from_secs(3));
    chat.say("Top up 13812345678 with 20 yuan").await;
    let unknown = chat.say("yes").await;
    assert!(
        unknown
            .text
            .starts_with("Sorry, I can't confirm the outcome")
            && unknown.text.contains("Top-up history"),
        "{}",
        unknown.text
    );
    app.stop().await;
    sandbox.stop().await.unwrap();
}

#[tokio::test]
async fn without_a_back_end_the_task_is_not_available() {
    let app = TestApp::spawn().await;
    let mut chat = shopper(&app).await;
    let reply = chat.say("帮我给13812345678充50块").await;
    assert_eq!(intent(&reply), "topup.phone");
    assert_eq!(reply.text, "抱歉，「充话费」服务现在暂不可用，请稍后再试。");
    let reply = chat.say("What's the weather like today?").await;
    assert_eq!(
        reply.text,
        "Sorry, the \"Check the weather\" service is not available right now. Please try again later."
    );
    app.stop().await;
}

#[tokio::test]
async fn the_sandbox_checks_bearer_tokens() {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let sandbox = RunningSandbox::start(any, TEST_SECRET).await.unwrap();
    let app = TestApp::spawn().await;
    let mut client = ActionServiceClient::new(honeydesk::testing::channel(sandbox.addr).await);
    let request = || pb::ExecuteRequest {
        task: "weather.query".into(),
        slots: [
            ("city".to_owned(), "shanghai".to_owned()),
            ("day".to_owned(), "today".to_owned()),
        ]
        .into_iter()
        .collect(),
        user_id: "shopper-1".into(),
        idempotency_key: "k".into(),
        language: pb::Language::En as i32,
    };
    let err = client.execute(request()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let consumer = app.token("shopper-1", Role::Consumer);
    let err = client
        .execute(authed(request(), &consumer))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let service = app.token("bot-service", Role::Service);
    let ok = client
        .execute(authed(request(), &service))
        .await
        .unwrap()
        .into_inner();
    let Some(pb::execute_response::Outcome::Success(s)) = ok.outcome else {
        panic!("a success: {ok:?}")
    };
    assert!(
        s.text.starts_with("[sandbox weather] Shanghai today"),
        "{}",
        s.text
    );
    app.stop().await;
    sandbox.stop().await.unwrap();
}

/// Nagle's algorithm off on every socket of the three servers and of bot-service's
/// outbound channels, as the kernel reports each socket (with it on, every unary reply's
/// trailers waited ~40 ms for a delayed ACK).
#[tokio::test]
async fn every_accepted_and_outbound_socket_has_nagle_off() {
    let (app, sandbox) = with_sandbox().await;
    let mut chat = shopper(&app).await;
    let ask = chat.say("帮我给13812345678充50块").await;
    assert_eq!(intent(&ask), "topup.phone");
    chat.reply_to("confirm-nodelay", "确认").await.unwrap();
    chat.say("我的订单还没发货").await;
    chat.request_agent().await.expect("queued");

    let sockets = &app.stack.sockets;
    for (who, audit) in [
        ("bot-service accepted", &sockets.bot_accepted),
        ("bot-service outbound", &sockets.bot_outbound),
        ("agent-service accepted", &sockets.agent_accepted),
        ("sandbox accepted", &sandbox.accepted),
    ] {
        let counts = audit.counts();
        assert!(counts.connections > 0, "{who}: no connection seen");
        assert_eq!(
            counts.nodelay, counts.connections,
            "{who}: every socket must have TCP_NODELAY"
        );
    }
    // bot-service's channels go to agent-service and the sandbox: two accepting sides.
    assert!(sockets.bot_outbound.counts().connections >= 2);
}
