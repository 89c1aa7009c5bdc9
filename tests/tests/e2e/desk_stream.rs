//! The agent's desk stream on connect, over real gRPC: the agent's own state comes once,
//! not twice, and signing in again (as desk software does on every reconnect) does not
//! repeat an unchanged state.

use honeydesk::{TestApp, desk::Desk, testing::authed};
use honeydesk_proto::agent::v1::{self as pb, stream_desk_response::Kind};

/// How many of the desk's first items (until it goes quiet) are the agent's state.
async fn states_on_connect(desk: &mut Desk) -> usize {
    let mut states = 0;
    while let Some(kind) = desk.next(honeydesk::desk::QUIET).await {
        if matches!(kind, Kind::Agent(_)) {
            states += 1;
        }
    }
    states
}

#[tokio::test]
async fn the_desk_stream_sends_the_agents_state_once_on_connect() {
    let app = TestApp::spawn().await;
    let mut signed_in_first = Desk::open(&app, "a-1024").await;
    assert_eq!(states_on_connect(&mut signed_in_first).await, 1);
    let mut again = Desk::resume(&app, "a-1024", vec![], false).await;
    assert_eq!(states_on_connect(&mut again).await, 1);

    // Desk software signs in whenever it (re)connects: an agent who already was
    // AVAILABLE has not changed, so the open streams are not sent the same state again.
    again
        .client
        .sign_in(authed(pb::SignInRequest {}, &again.token))
        .await
        .expect("signs in again");
    assert_eq!(states_on_connect(&mut again).await, 0);
    assert_eq!(states_on_connect(&mut signed_in_first).await, 0);
    app.stop().await;
}
