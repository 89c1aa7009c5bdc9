//! Hostile input over real gRPC: request bodies that are not protobuf, invalid UTF-8
//! in `string` fields, over-long and malformed ids, text made only of invisible
//! characters, a reused client message id with a different text, and a transcript time
//! the store cannot keep. Each is the
//! client's fault and reads as such (INVALID_ARGUMENT or FAILED_PRECONDITION), never
//! INTERNAL, and nothing the client sent is echoed back.

use honeydesk::{TestApp, chat::Chat, raw, testing::authed};
use honeydesk_proto::{agent::v1 as agent_pb, bot::v1 as bot_pb};
use server_kit::Role;
use tonic::Code;

const SEND_MESSAGE: &str = "/honeydesk.bot.v1.ConversationService/SendMessage";
const CHECK_MESSAGE: &str = "/honeydesk.agent.v1.SupervisorService/CheckMessage";
const HEALTH_CHECK: &str = "/grpc.health.v1.Health/Check";

/// Not protobuf: a field tag with wire type 7, which does not exist.
const GARBAGE: [u8; 6] = [0x0f, 0xff, 0xff, 0xff, 0xff, 0xff];

#[tokio::test]
async fn a_body_that_is_not_protobuf_is_invalid_argument_on_both_services() {
    let app = TestApp::spawn().await;
    let consumer = app.token("shopper-1", Role::Consumer);
    let supervisor = app.token("supervisor-1", Role::Supervisor);
    for (channel, method, token) in [
        (app.bot_channel().await, SEND_MESSAGE, &consumer),
        (app.agent_channel().await, CHECK_MESSAGE, &supervisor),
        (app.bot_channel().await, HEALTH_CHECK, &consumer),
        (app.agent_channel().await, HEALTH_CHECK, &supervisor),
    ] {
        let status = raw::call(channel, method, token, GARBAGE.to_vec())
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{method}: {status:?}");
        assert!(
            status.message().contains("not a valid message"),
            "{method}: {}",
            status.message()
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn invalid_utf8_in_a_string_is_invalid_argument_naming_the_field() {
    let app = TestApp::spawn().await;
    let consumer = app.token("shopper-1", Role::Consumer);
    let supervisor = app.token("supervisor-1", Role::Supervisor);
    let not_utf8 = [0xe4, 0xbd, 0xff, 0xfe];
    let status = raw::call(
        app.bot_channel().await,
        SEND_MESSAGE,
        &consumer,
        raw::len_field(3, &not_utf8),
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("SendMessageRequest.text"),
        "{}",
        status.message()
    );
    let status = raw::call(
        app.agent_channel().await,
        CHECK_MESSAGE,
        &supervisor,
        raw::len_field(1, &not_utf8),
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("CheckMessageRequest.text"),
        "{}",
        status.message()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_well_formed_raw_request_still_reaches_the_handler() {
    let app = TestApp::spawn().await;
    let supervisor = app.token("supervisor-1", Role::Supervisor);
    let answer = raw::call(
        app.agent_channel().await,
        CHECK_MESSAGE,
        &supervisor,
        raw::len_field(1, "你好".as_bytes()),
    )
    .await;
    assert!(answer.is_ok(), "{answer:?}");
    app.stop().await;
}

#[tokio::test]
async fn an_over_long_or_malformed_id_is_invalid_argument_and_never_echoed() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    let huge = "x".repeat(1 << 20);
    let status = chat
        .client
        .get_session(authed(
            bot_pb::GetSessionRequest {
                session_id: huge.clone(),
            },
            &chat.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("session_id"),
        "{}",
        status.message()
    );
    assert!(status.message().len() < 200, "the id is not echoed back");

    let supervisor = app.token("supervisor-1", Role::Supervisor);
    for reference in ["TS 2026", "投诉-1", "ref\u{0000}", huge.as_str()] {
        let status = app
            .complaints()
            .await
            .get_complaint(authed(
                agent_pb::GetComplaintRequest {
                    reference: reference.into(),
                    customer_id: String::new(),
                },
                &supervisor,
            ))
            .await
            .unwrap_err();
        assert_eq!(
            status.code(),
            Code::InvalidArgument,
            "{:?}",
            reference.chars().take(4).collect::<String>()
        );
        assert!(
            status.message().contains("reference"),
            "{}",
            status.message()
        );
        assert!(status.message().len() < 200);
    }
    // A well-formed id that does not exist is still NOT_FOUND.
    let status = chat
        .client
        .get_session(authed(
            bot_pb::GetSessionRequest {
                session_id: "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
            },
            &chat.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    app.stop().await;
}

#[tokio::test]
async fn text_of_only_invisible_characters_counts_as_empty() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    let invisible = "\u{200B}\u{200D}\u{FEFF}\u{3164}";
    let status = chat.say_with_id("z1", invisible).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("text"), "{}", status.message());
    let status = app
        .supervisor()
        .await
        .check_message(authed(
            agent_pb::CheckMessageRequest {
                text: invisible.into(),
            },
            &app.token("supervisor-1", Role::Supervisor),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("text"), "{}", status.message());
    // Visible text wrapped in invisible characters is still a message.
    chat.say_with_id("z2", "\u{200B}你好\u{200B}")
        .await
        .unwrap();
    app.stop().await;
}

#[tokio::test]
async fn a_client_message_id_reused_for_another_text_is_failed_precondition() {
    let app = TestApp::spawn().await;
    let mut chat = Chat::consumer(&app).await;
    let first = chat.say_with_id("m1", "你好").await.unwrap().reply;
    let status = chat.say_with_id("m1", "我要申请退款").await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("client_message_id"),
        "{}",
        status.message()
    );
    let retry = chat.say_with_id("m1", "你好").await.unwrap().reply;
    assert_eq!(first, retry, "the same text is still a retry");

    // With a person: agent-service keeps the relayed message, and refuses the reuse.
    chat.say_with_id("m2", "我要申请退款").await.unwrap();
    chat.request_agent().await.expect("queued for a person");
    let relayed = chat.say_with_id("r1", "还要等多久").await.unwrap();
    assert!(relayed.relayed);
    assert!(chat.say_with_id("r1", "还要等多久").await.unwrap().relayed);
    let status = chat.say_with_id("r1", "算了不等了").await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("client_message_id"),
        "{}",
        status.message()
    );
    app.stop().await;
}

/// Found by fuzzing: a transcript time past the year 9999 was accepted and stored as 1969.
#[tokio::test]
async fn a_transcript_time_the_store_cannot_keep_is_invalid_argument() {
    let app = TestApp::spawn().await;
    let mut bot = honeydesk::bot_side::BotSide::new(&app).await;
    let request = agent_pb::CreateTicketRequest {
        idempotency_key: "far-future".into(),
        customer_id: "shopper-f".into(),
        entrance: agent_pb::Entrance::Consumer as i32,
        skill: "orders".into(),
        transcript: vec![agent_pb::TranscriptEntry {
            sender: agent_pb::Sender::Customer as i32,
            text: "我要退款".into(),
            at: Some(prost_types::Timestamp {
                seconds: i64::MAX / 1000,
                nanos: 0,
            }),
            intent: String::new(),
        }],
        ..Default::default()
    };
    let status = bot
        .client
        .create_ticket(authed(request, &bot.token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("transcript[0].at"),
        "{}",
        status.message()
    );
}
