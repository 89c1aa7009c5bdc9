//! The supervisors' workflow: audited moves, outcomes and the customer's recourse,
//! illegal transitions, withdrawal, and overdue lists as the fake clock moves.

use honeydesk::testing::Options;
use honeydesk_proto::agent::v1::{self as pb, ComplaintStatus as S};
use server_kit::Role;
use tonic::Code;

use super::{HOUR, Scene, filing, refused};

#[tokio::test]
async fn the_workflow_is_audited_and_guarded() {
    let options = Options {
        agent: Some(Box::new(|s| s.complaints.hotline = "400-123-4567".into())),
        ..Default::default()
    };
    let mut scene = Scene::start_with(options).await;
    let (_, mut shopper, c) = scene.shopper_complaint().await;
    let mut lead = scene.caller("lead-1", Role::Supervisor).await;

    scene.app.clock.advance(HOUR);
    let c = lead
        .review(&c.reference, S::InReview, "查看聊天记录", "")
        .await
        .unwrap();
    assert_eq!(c.status, S::InReview as i32);
    assert_eq!(c.agent_id, "a-1024", "supervisors see the agent's id");
    refused(
        lead.review(&c.reference, S::Resolved, "", " ").await,
        Code::InvalidArgument,
        "outcome",
    );
    refused(
        lead.review(&c.reference, S::Unspecified, "", "").await,
        Code::InvalidArgument,
        "to",
    );
    refused(
        lead.review(&c.reference, S::Withdrawn, "", "").await,
        Code::InvalidArgument,
        "to",
    );
    scene.app.clock.advance(HOUR);
    let decided = lead
        .review(
            &c.reference,
            S::Resolved,
            "情况属实",
            "已对客服 1024 进行处罚，向您致歉",
        )
        .await
        .unwrap();
    assert_eq!(decided.status, S::Resolved as i32);
    assert_eq!(decided.outcome, "已对客服 1024 进行处罚，向您致歉");

    let trail: Vec<_> = decided
        .audit
        .iter()
        .map(|e| {
            (
                e.actor_id.as_str(),
                e.actor_role.as_str(),
                e.from,
                e.to,
                e.note.as_str(),
            )
        })
        .collect();
    assert_eq!(
        trail,
        [
            (
                "shopper-1",
                "consumer",
                S::Unspecified as i32,
                S::Received as i32,
                "complaint filed"
            ),
            (
                "lead-1",
                "supervisor",
                S::Received as i32,
                S::InReview as i32,
                "查看聊天记录"
            ),
            (
                "lead-1",
                "supervisor",
                S::InReview as i32,
                S::Resolved as i32,
                "情况属实"
            ),
        ]
    );
    let filed = decided.audit[0].at.unwrap().seconds;
    assert_eq!(decided.audit[1].at.unwrap().seconds, filed + 3600);
    assert_eq!(decided.audit[2].at.unwrap().seconds, filed + 7200);

    // The customer sees the outcome and where to go next.
    let seen = shopper.get(&c.reference, "").await.unwrap();
    assert_eq!(seen.outcome, decided.outcome);
    let recourse = seen.recourse.unwrap();
    assert_eq!(recourse.hotline, "400-123-4567");
    assert_eq!(recourse.consumer_hotline, "12315");
    assert!(recourse.text.contains("400-123-4567") && recourse.text.contains("7 个工作日"));
    // Filed without a language: Chinese only, not Chinese and English glued together.
    assert!(!recourse.text.contains("If you"), "{}", recourse.text);

    // Decided is final.
    refused(
        lead.review(&c.reference, S::InReview, "", "").await,
        Code::FailedPrecondition,
        "cannot move",
    );
    refused(
        lead.review(&c.reference, S::Rejected, "", "不成立").await,
        Code::FailedPrecondition,
        "cannot move",
    );
    refused(
        shopper.withdraw(&c.reference, "").await,
        Code::FailedPrecondition,
        "already decided",
    );
    refused(
        lead.review("TS-20000101-000001", S::InReview, "", "").await,
        Code::NotFound,
        "TS-20000101-000001",
    );
    scene.app.stop().await;
}

#[tokio::test]
async fn a_complaint_is_reviewed_before_it_is_decided() {
    let mut scene = Scene::start().await;
    let (_, _, c) = scene.shopper_complaint().await;
    let mut lead = scene.caller("lead-1", Role::Supervisor).await;
    for to in [S::Resolved, S::Rejected] {
        refused(
            lead.review(&c.reference, to, "", "处理结果").await,
            Code::FailedPrecondition,
            "take it into review (IN_REVIEW) first",
        );
    }
    lead.review(&c.reference, S::InReview, "", "")
        .await
        .unwrap();
    let decided = lead
        .review(&c.reference, S::Rejected, "", "客服用语无不当")
        .await
        .unwrap();
    let steps: Vec<_> = decided.audit.iter().map(|e| e.to).collect();
    assert_eq!(
        steps,
        [S::Received as i32, S::InReview as i32, S::Rejected as i32]
    );
    scene.app.stop().await;
}

#[tokio::test]
async fn a_customer_withdraws_before_a_decision() {
    let mut scene = Scene::start().await;
    let (_, mut shopper, c) = scene.shopper_complaint().await;
    let mut lead = scene.caller("lead-1", Role::Supervisor).await;
    lead.review(&c.reference, S::InReview, "", "")
        .await
        .unwrap();
    let mut hotline = scene.caller("hotline-ivr", Role::Service).await;
    let withdrawn = hotline.withdraw(&c.reference, "shopper-1").await.unwrap();
    assert_eq!(withdrawn.status, S::Withdrawn as i32);
    let last = withdrawn.audit.last().unwrap();
    assert_eq!(
        (
            last.actor_id.as_str(),
            last.actor_role.as_str(),
            last.from,
            last.to
        ),
        (
            "hotline-ivr",
            "service",
            S::InReview as i32,
            S::Withdrawn as i32
        )
    );
    // A retry changes nothing; supervisors can no longer move it.
    let again = shopper.withdraw(&c.reference, "").await.unwrap();
    assert_eq!(again.audit.len(), withdrawn.audit.len());
    refused(
        lead.review(&c.reference, S::Rejected, "", "不成立").await,
        Code::FailedPrecondition,
        "withdrawn",
    );
    scene.app.stop().await;
}

fn overdue_only() -> pb::ListComplaintsRequest {
    pb::ListComplaintsRequest {
        overdue_only: true,
        ..Default::default()
    }
}

fn references(list: &[pb::Complaint]) -> Vec<&str> {
    list.iter().map(|c| c.reference.as_str()).collect()
}

#[tokio::test]
async fn supervisors_list_overdue_complaints_as_time_passes() {
    let mut scene = Scene::start().await;
    let mut refs = Vec::new();
    for customer in ["shopper-1", "shopper-2"] {
        let served = scene.consumer_ticket(customer, customer).await;
        let mut caller = scene.caller(customer, Role::Consumer).await;
        let c = caller
            .file(filing(&served.ticket_id, customer))
            .await
            .unwrap();
        refs.push(c.complaint.unwrap().reference);
    }
    let sold = scene.merchant_ticket("seller-1", "t-m").await;
    let mut seller = scene.caller("seller-1", Role::Merchant).await;
    let m = seller.file(filing(&sold.ticket_id, "m1")).await.unwrap();
    let merchant_ref = m.complaint.unwrap().reference;
    let mut lead = scene.caller("lead-1", Role::Supervisor).await;

    assert!(lead.list(overdue_only()).await.unwrap().is_empty());
    scene.app.clock.advance(23 * HOUR);
    lead.review(&refs[0], S::InReview, "", "").await.unwrap();
    assert!(lead.list(overdue_only()).await.unwrap().is_empty());

    // Past the acknowledge deadline: the two still RECEIVED are overdue.
    scene.app.clock.advance(2 * HOUR);
    let overdue = lead.list(overdue_only()).await.unwrap();
    assert_eq!(
        references(&overdue),
        [merchant_ref.as_str(), refs[1].as_str()]
    );
    assert!(overdue.iter().all(|c| c.overdue));
    let one = lead.get(&refs[0], "").await.unwrap();
    assert!(!one.overdue, "in review before the decide deadline");

    // Past the decide deadline: all of them.
    scene.app.clock.advance(7 * 24 * HOUR);
    let overdue = lead.list(overdue_only()).await.unwrap();
    assert_eq!(overdue.len(), 3);

    // By status and by agent; and in pages.
    let in_review = lead
        .list(pb::ListComplaintsRequest {
            status: S::InReview as i32,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(references(&in_review), [refs[0].as_str()]);
    let about_2048 = lead
        .list(pb::ListComplaintsRequest {
            agent_id: "a-2048".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(references(&about_2048), [merchant_ref.as_str()]);
    let page = lead
        .client
        .list_complaints(honeydesk::testing::authed(
            pb::ListComplaintsRequest {
                page_size: 2,
                ..Default::default()
            },
            &lead.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.complaints.len(), 2);
    let rest = lead
        .list(pb::ListComplaintsRequest {
            page_token: page.next_page_token,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(references(&rest), [refs[0].as_str()]);
    scene.app.stop().await;
}
