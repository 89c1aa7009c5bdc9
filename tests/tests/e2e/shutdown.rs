//! A graceful shutdown is not the end of a conversation: every server stream open on
//! either service ends with UNAVAILABLE ("server shutting down, reconnect with
//! after_sequence"), which clients retry, never with OK, which reads as "over".

use honeydesk::{
    TestApp,
    bot_side::BotSide,
    chat::Chat,
    desk::Desk,
    testing::{authed, stream_end},
};
use honeydesk_proto::agent::v1 as pb;
use server_kit::{Role, shutdown::SHUTTING_DOWN};
use tonic::Code;

#[tokio::test]
async fn agent_service_ends_every_stream_unavailable_when_it_drains() {
    let app = TestApp::spawn().await;
    let mut desk = Desk::open(&app, "a-1025").await;
    let mut bot = BotSide::new(&app).await;
    let ticket = bot.consumer("u-1", "orders").await;
    let mut watch = bot.watch(&ticket, "u-1", 0).await;
    let mut flags = app
        .supervisor()
        .await
        .watch_flags(authed(
            pb::WatchFlagsRequest { since: None },
            &app.token("supervisor-1", Role::Supervisor),
        ))
        .await
        .expect("the flag stream opens")
        .into_inner();
    let mut chat = Chat::consumer(&app).await;
    chat.say("我要申请退款").await;
    chat.request_agent().await.unwrap();
    let mut customer = chat.events(0).await;

    app.stack.agent_shutdown().trigger();

    for (stream, end) in [
        ("WatchTicket", stream_end(&mut watch).await),
        ("StreamDesk", desk.end().await),
        ("WatchFlags", stream_end(&mut flags).await),
    ] {
        assert_eq!(end.code(), Code::Unavailable, "{stream}: {end:?}");
        assert_eq!(end.message(), SHUTTING_DOWN, "{stream}");
    }
    // The customer's stream on bot-service follows agent-service: it says the same.
    let end = stream_end(&mut customer.0).await;
    assert_eq!(end.code(), Code::Unavailable, "{end:?}");
    assert!(
        end.message().contains("reconnect with after_sequence"),
        "{end:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn bot_service_ends_the_customers_stream_unavailable_when_it_drains() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    chat.say("我要申请退款").await;
    chat.request_agent().await.unwrap();
    let mut customer = chat.events(0).await;
    app.stack.bot_shutdown().trigger();
    let end = stream_end(&mut customer.0).await;
    assert_eq!(end.code(), Code::Unavailable, "{end:?}");
    assert_eq!(end.message(), SHUTTING_DOWN);
    app.stop().await;
}
