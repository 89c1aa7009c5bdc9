//! `SupervisorService/CheckMessage` over real gRPC: supervisors dry-run moderation on a
//! text (flagged, and which terms) without a live chat; innocent words that contain a
//! term stay clean; an empty text names the field; other roles are refused.

use honeydesk::{TestApp, testing::authed};
use honeydesk_proto::agent::v1 as pb;
use server_kit::Role;
use tonic::Code;

async fn check(
    app: &TestApp,
    token: &str,
    text: &str,
) -> Result<pb::CheckMessageResponse, tonic::Status> {
    app.supervisor()
        .await
        .check_message(authed(pb::CheckMessageRequest { text: text.into() }, token))
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn supervisors_dry_run_moderation_on_a_text() {
    let app = TestApp::spawn().await;
    let token = app.token("sup-1", Role::Supervisor);

    let rude = check(&app, &token, "爱买不买，你是 sha bi 吗")
        .await
        .expect("checked");
    assert!(rude.flagged);
    assert_eq!(rude.matched_terms, vec!["爱买不买", "shabi"]);

    for innocent in ["这是给妈妈的礼物", "水滚开后放入面条", "请看 s b 这个选项"]
    {
        let clean = check(&app, &token, innocent).await.expect("checked");
        assert!(!clean.flagged, "{innocent}: {:?}", clean.matched_terms);
        assert!(clean.matched_terms.is_empty());
    }

    let empty = check(&app, &token, "   ")
        .await
        .expect_err("an empty text is refused");
    assert_eq!(empty.code(), Code::InvalidArgument);
    assert!(empty.message().contains("text"), "{}", empty.message());

    let agent = app.token("a-1025", Role::Agent);
    let refused = check(&app, &agent, "滚")
        .await
        .expect_err("agents may not dry-run");
    assert_eq!(refused.code(), Code::PermissionDenied);
    app.stop().await;
}
