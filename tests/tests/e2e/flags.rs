//! Abusive-language flags over real gRPC: an agent's abusive message is still delivered
//! but flagged, supervisors (and only supervisors) see it live on `WatchFlags`, the
//! roster counts each agent's flagged messages from the store (also after a restart),
//! the lexicon sees through disguises in real agent messages, ordinary service language
//! is left alone, and supervisors read a flagged message with personal data masked (live
//! and replayed).

use std::time::Duration;

use honeydesk::{
    TestApp,
    chat::Chat,
    desk::{Desk, hand_over},
    testing::authed,
};
use honeydesk_proto::agent::v1 as pb;
use server_kit::Role;
use tokio_stream::StreamExt;
use tonic::{Code, Streaming};

async fn watch_flags(
    app: &TestApp,
    token: &str,
) -> Result<Streaming<pb::WatchFlagsResponse>, tonic::Status> {
    watch_flags_since(app, token, None).await
}

async fn watch_flags_since(
    app: &TestApp,
    token: &str,
    since: Option<prost_types::Timestamp>,
) -> Result<Streaming<pb::WatchFlagsResponse>, tonic::Status> {
    app.supervisor()
        .await
        .watch_flags(authed(pb::WatchFlagsRequest { since }, token))
        .await
        .map(|r| r.into_inner())
}

async fn next_flag(watch: &mut Streaming<pb::WatchFlagsResponse>) -> pb::FlaggedMessage {
    tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .expect("a flag within 5 s")
        .expect("the stream stays open")
        .expect("no error on the stream")
        .flagged
        .expect("a flagged message")
}

/// Flag counts by work number, from the supervisors' roster.
async fn flag_counts(app: &TestApp) -> Vec<(String, u64)> {
    let token = app.token("sup-1", Role::Supervisor);
    app.supervisor()
        .await
        .list_agents(authed(pb::ListAgentsRequest {}, &token))
        .await
        .expect("supervisors list agents")
        .into_inner()
        .agents
        .into_iter()
        .map(|a| (a.work_number, a.flagged_messages))
        .collect()
}

#[tokio::test]
async fn supervisors_see_an_abusive_agent_message_live() {
    let app = TestApp::spawn().await;
    let mut watch = watch_flags(&app, &app.token("sup-1", Role::Supervisor))
        .await
        .expect("supervisors may watch flags");
    let mut desk = Desk::open(&app, "a-1025").await;
    let mut chat = Chat::named(&app, "shopper-f1").await;
    let ticket = hand_over(&mut chat, &mut desk).await;

    let clean = desk.write(&ticket, "您好，请问有什么可以帮您").await;
    assert!(!clean.flagged);
    let rude = desk.write(&ticket, "爱买不买，你是 傻 逼 吗").await;
    assert!(rude.flagged);

    // The clean message raised nothing: the first flag is the rude one.
    let flag = next_flag(&mut watch).await;
    assert_eq!(flag.ticket_id, ticket);
    assert_eq!(flag.agent_id, "a-1025");
    let card = flag.agent.expect("the agent's card");
    assert_eq!(
        (card.work_number.as_str(), card.display_name.as_str()),
        ("1025", "阿强")
    );
    let message = flag.message.expect("the message");
    assert_eq!(message.message_id, rude.message_id);
    assert_eq!(message.text, "爱买不买，你是 傻 逼 吗");
    assert_eq!(message.flagged_terms, vec!["傻逼", "爱买不买"]);
    assert!(flag.at.is_some());

    // A retry of the same message is stored once and flagged once.
    let retry = desk
        .client
        .send_agent_message(authed(
            pb::SendAgentMessageRequest {
                ticket_id: ticket.clone(),
                client_message_id: "d2".into(),
                text: "爱买不买，你是 傻 逼 吗".into(),
            },
            &desk.token,
        ))
        .await
        .expect("a retry is answered")
        .into_inner();
    assert_eq!(retry.message.unwrap().message_id, rude.message_id);
    let again = desk.write(&ticket, "shut up").await;
    let flag = next_flag(&mut watch).await;
    assert_eq!(
        flag.message.unwrap().message_id,
        again.message_id,
        "no second flag for the retry"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_supervisor_who_reconnects_from_the_last_flag_misses_none() {
    let app = TestApp::spawn().await;
    let token = app.token("sup-1", Role::Supervisor);
    let mut desk = Desk::open(&app, "a-1025").await;
    let mut chat = Chat::named(&app, "shopper-f9").await;
    let ticket = hand_over(&mut chat, &mut desk).await;
    let mut watch = watch_flags(&app, &token).await.unwrap();
    let early = desk.write(&ticket, "爱买不买").await;
    assert_eq!(
        next_flag(&mut watch).await.message.unwrap().message_id,
        early.message_id
    );
    app.clock.advance(Duration::from_secs(60));
    let last_seen = desk.write(&ticket, "你是 傻 逼 吗").await;
    let seen = next_flag(&mut watch).await;
    assert_eq!(seen.message.unwrap().message_id, last_seen.message_id);

    // The connection drops; the agent goes on meanwhile.
    drop(watch);
    let missed = desk.write(&ticket, "shut up").await;

    // Reconnecting from the last flag's instant replays it and what was missed (not the
    // earlier one), then goes on live, each flag once.
    let mut watch = watch_flags_since(&app, &token, seen.at).await.unwrap();
    let replayed = [next_flag(&mut watch).await, next_flag(&mut watch).await]
        .map(|f| f.message.unwrap().message_id);
    assert_eq!(replayed, [last_seen.message_id, missed.message_id.clone()]);
    let live = desk.write(&ticket, "废物").await;
    assert_eq!(
        next_flag(&mut watch).await.message.unwrap().message_id,
        live.message_id
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(300), watch.next())
            .await
            .is_err(),
        "nothing comes twice"
    );
    app.stop().await;
}

#[tokio::test]
async fn only_supervisors_may_watch_flags() {
    let app = TestApp::spawn().await;
    for role in [Role::Agent, Role::Consumer, Role::Merchant, Role::Service] {
        let err = watch_flags(&app, &app.token("someone", role))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{role:?}: {err:?}");
    }
    let err = app
        .supervisor()
        .await
        .watch_flags(pb::WatchFlagsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    app.stop().await;
}

#[tokio::test]
async fn flag_counts_per_agent_come_from_the_store_and_survive_a_restart() {
    let mut app = TestApp::spawn().await;
    let mut qiang = Desk::open(&app, "a-1025").await;
    let mut chat = Chat::named(&app, "shopper-f2").await;
    let first = hand_over(&mut chat, &mut qiang).await;
    qiang.write(&first, "傻逼").await;
    qiang.write(&first, "您好").await;
    qiang.write(&first, "你媽的").await;
    qiang
        .close(&first, pb::Resolution::Resolved)
        .await
        .expect("closed");
    // The next refund customer goes to Lily, the only one left available.
    qiang
        .client
        .set_presence(authed(
            pb::SetPresenceRequest {
                presence: pb::Presence::Away as i32,
            },
            &qiang.token,
        ))
        .await
        .unwrap();
    let mut lily = Desk::open(&app, "a-3001").await;
    let mut other = Chat::named(&app, "shopper-f3").await;
    let second = hand_over(&mut other, &mut lily).await;
    lily.write(&second, "You are an IDIOT").await;
    lily.write(&second, "Thanks for waiting").await;

    let want = vec![
        ("1024".to_owned(), 0),
        ("1025".to_owned(), 2),
        ("2048".to_owned(), 0),
        ("3001".to_owned(), 1),
    ];
    assert_eq!(flag_counts(&app).await, want);

    // The flag stream ends when agent-service drains, so the restart does not wait on it.
    let mut watch = watch_flags(&app, &app.token("sup-1", Role::Supervisor))
        .await
        .unwrap();
    drop((qiang, lily));
    tokio::time::timeout(Duration::from_secs(4), app.stack.restart_agent())
        .await
        .expect("the drain does not wait for the open flag stream")
        .expect("agent-service restarts");
    let end = tokio::time::timeout(Duration::from_secs(2), watch.next())
        .await
        .expect("the flag stream has ended");
    assert!(!matches!(end, Some(Ok(_))), "{end:?}");
    assert_eq!(flag_counts(&app).await, want, "counted from the store");
    app.stop().await;
}

#[tokio::test]
async fn disguised_abuse_is_flagged_and_service_language_is_not() {
    let app = TestApp::spawn().await;
    let mut desk = Desk::open(&app, "a-1025").await;
    let mut chat = Chat::named(&app, "shopper-f4").await;
    let ticket = hand_over(&mut chat, &mut desk).await;
    let disguised: &[(&str, &str)] = &[
        ("ｆｕｃｋ ｙｏｕ", "fuck"),
        ("你是 傻 逼 吗", "傻逼"),
        ("你是傻。逼吗", "傻逼"),
        ("你是傻\u{200B}逼", "傻逼"),
        ("what the f u c k", "fuck"),
        ("s.h.i.t happens", "shit"),
        ("b-i-t-c-h", "bitch"),
        ("sh1t", "shit"),
        ("you @sshole", "asshole"),
        ("fuuuuck off", "fuck"),
        ("f*ck this", "fuck"),
        ("SHUT   UP", "shut up"),
        ("你个ＳＢ", "sb"),
        ("𝐢𝐝𝐢𝐨𝐭", "idiot"),
        ("ⓢⓣⓤⓟⓘⓓ", "stupid"),
        ("you іdіоt", "idiot"),
        ("f\u{336}u\u{336}c\u{336}k\u{336}", "fuck"),
        ("stüpid", "stupid"),
        ("你媽的", "你妈"),
        ("廢物", "废物"),
        ("傻叉", "傻叉"),
    ];
    for (text, term) in disguised {
        let m = desk.write(&ticket, text).await;
        assert!(m.flagged, "{text:?} was not flagged");
        assert!(
            m.flagged_terms.iter().any(|t| t == term),
            "{text:?} → {:?}",
            m.flagged_terms
        );
    }
    for text in [
        "您好，很高兴为您服务",
        "您的订单已经为您加急处理，请耐心等待",
        "Please check the USB cable that shipped with the order",
        "I will assess the refund and ship it today",
        "Your parcel is in the class of express shipments",
        "您的订單已經發貨",
        "Thank you, have a nice day!",
    ] {
        let m = desk.write(&ticket, text).await;
        assert!(
            !m.flagged && m.flagged_terms.is_empty(),
            "{text:?} → {:?}",
            m.flagged_terms
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn supervisors_read_flagged_messages_with_personal_data_masked() {
    let app = TestApp::spawn().await;
    let token = app.token("sup-1", Role::Supervisor);
    let mut watch = watch_flags(&app, &token).await.unwrap();
    let mut desk = Desk::open(&app, "a-1025").await;
    let mut chat = Chat::named(&app, "shopper-f-private").await;
    let ticket = hand_over(&mut chat, &mut desk).await;
    let rude = desk
        .write(&ticket, "傻逼，你的手机 13911112222 我记下了")
        .await;
    assert!(rude.flagged);
    assert!(
        rude.text.contains("13911112222"),
        "the chat keeps the words"
    );
    let masked = "傻逼，你的手机 [mobile] 我记下了";
    let live = next_flag(&mut watch).await.message.unwrap();
    assert_eq!(live.text, masked);
    let epoch = Some(prost_types::Timestamp::default());
    let mut replay = watch_flags_since(&app, &token, epoch).await.unwrap();
    assert_eq!(next_flag(&mut replay).await.message.unwrap().text, masked);
    app.stop().await;
}
