//! A session belongs to its owner **and** its entrance, over real gRPC: a seller's
//! token with the same subject as a shopper cannot read, drive, hand off, follow or end
//! the shopper's session (PERMISSION_DENIED), and the shopper is not disturbed.

use honeydesk::{TestApp, chat::Chat, testing::authed};
use honeydesk_proto::bot::v1 as pb;
use server_kit::Role;
use tonic::Code;

#[tokio::test]
async fn a_merchant_token_with_the_same_subject_cannot_touch_a_consumer_session() {
    let app = TestApp::spawn().await;
    let (mut shopper, _) =
        Chat::open(&app, "same-user", Role::Consumer, pb::Entrance::Consumer).await;
    shopper.say("我要申请退款").await;
    let seller = app.token("same-user", Role::Merchant);
    let session_id = shopper.session.clone();
    let mut client = app.conversation().await;

    let denied = |result: Result<(), tonic::Status>, what: &str| {
        let status = result.expect_err(what);
        assert_eq!(status.code(), Code::PermissionDenied, "{what}: {status:?}");
        assert!(
            status.message().contains("CONSUMER"),
            "{what}: {}",
            status.message()
        );
    };
    denied(
        client
            .get_session(authed(
                pb::GetSessionRequest {
                    session_id: session_id.clone(),
                },
                &seller,
            ))
            .await
            .map(drop),
        "GetSession",
    );
    denied(
        client
            .send_message(authed(
                pb::SendMessageRequest {
                    session_id: session_id.clone(),
                    client_message_id: "x1".into(),
                    text: "你好".into(),
                },
                &seller,
            ))
            .await
            .map(drop),
        "SendMessage",
    );
    denied(
        client
            .request_agent(authed(
                pb::RequestAgentRequest {
                    session_id: session_id.clone(),
                },
                &seller,
            ))
            .await
            .map(drop),
        "RequestAgent",
    );
    denied(
        client
            .stream_session_events(authed(
                pb::StreamSessionEventsRequest {
                    session_id: session_id.clone(),
                    after_sequence: 0,
                },
                &seller,
            ))
            .await
            .map(drop),
        "StreamSessionEvents",
    );
    denied(
        client
            .end_session(authed(
                pb::EndSessionRequest {
                    session_id: session_id.clone(),
                },
                &seller,
            ))
            .await
            .map(drop),
        "EndSession",
    );

    // The shopper's own session carries on untouched.
    let session = shopper.session().await;
    assert_eq!(session.state, pb::SessionState::Bot as i32);
    shopper
        .request_agent()
        .await
        .expect("the owner can still ask for a person");
    app.stop().await;
}
