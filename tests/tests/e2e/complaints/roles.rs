//! What each role may see and do: customers their own complaints at their entrance,
//! services for a named customer, agents decided complaints about themselves (read-only),
//! supervisors everything; and the complainable conversations a customer is offered.

use honeydesk_proto::agent::v1::{self as pb, ComplaintStatus as S};
use server_kit::Role;
use tonic::Code;

use super::{Scene, refused};

#[tokio::test]
async fn each_role_sees_and_does_only_what_it_may() {
    let mut scene = Scene::start().await;
    let (_, mut shopper, c) = scene.shopper_complaint().await;
    let reference = c.reference.as_str();

    // Other customers, and the same person at the merchant entrance.
    let mut stranger = scene.caller("shopper-9", Role::Consumer).await;
    refused(
        stranger.get(reference, "").await,
        Code::PermissionDenied,
        "another customer",
    );
    refused(
        stranger.withdraw(reference, "").await,
        Code::PermissionDenied,
        "another customer",
    );
    refused(
        stranger.verify(reference, "").await,
        Code::PermissionDenied,
        "another customer",
    );
    assert!(stranger.list(Default::default()).await.unwrap().is_empty());
    let mut as_seller = scene.caller("shopper-1", Role::Merchant).await;
    refused(
        as_seller.get(reference, "").await,
        Code::PermissionDenied,
        "consumer entrance",
    );
    assert!(as_seller.list(Default::default()).await.unwrap().is_empty());
    refused(
        shopper.get(reference, "shopper-9").await,
        Code::PermissionDenied,
        "customer_id",
    );
    refused(
        shopper.review(reference, S::InReview, "", "").await,
        Code::PermissionDenied,
        "review complaints",
    );

    // The agent complained about: nothing before the decision, and never a change.
    let mut agent = scene.caller("a-1024", Role::Agent).await;
    refused(
        agent.get(reference, "").await,
        Code::PermissionDenied,
        "once it is decided",
    );
    assert!(agent.list(Default::default()).await.unwrap().is_empty());
    refused(
        agent.review(reference, S::Rejected, "", "x").await,
        Code::PermissionDenied,
        "review",
    );
    refused(
        agent.withdraw(reference, "").await,
        Code::PermissionDenied,
        "withdraw",
    );

    // Services act for a named customer only.
    let mut hotline = scene.caller("hotline-ivr", Role::Service).await;
    refused(
        hotline.get(reference, "").await,
        Code::InvalidArgument,
        "customer_id",
    );
    refused(
        hotline.get(reference, "shopper-9").await,
        Code::PermissionDenied,
        "another customer",
    );
    assert_eq!(
        hotline.get(reference, "shopper-1").await.unwrap().reference,
        reference
    );
    refused(
        hotline.review(reference, S::InReview, "", "").await,
        Code::PermissionDenied,
        "review complaints",
    );

    // The supervisor reads everything and decides.
    let mut lead = scene.caller("lead-1", Role::Supervisor).await;
    let all = lead.list(Default::default()).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0].customer_id.as_str(), all[0].agent_id.as_str()),
        ("shopper-1", "a-1024")
    );
    refused(
        lead.withdraw(reference, "shopper-1").await,
        Code::PermissionDenied,
        "withdraw",
    );
    lead.review(reference, S::InReview, "", "").await.unwrap();
    lead.review(reference, S::Rejected, "核实无误", "客服用语无不当")
        .await
        .unwrap();

    // Decided: the agent reads it (without the customer's id), other agents do not.
    let seen = agent.get(reference, "").await.unwrap();
    assert_eq!(seen.status, S::Rejected as i32);
    assert_eq!(seen.outcome, "客服用语无不当");
    assert!(seen.customer_id.is_empty() && seen.agent_id.is_empty());
    assert_eq!(agent.list(Default::default()).await.unwrap().len(), 1);
    let in_review_only = pb::ListComplaintsRequest {
        status: S::InReview as i32,
        ..Default::default()
    };
    assert!(agent.list(in_review_only).await.unwrap().is_empty());
    assert!(agent.verify(reference, "").await.unwrap().intact);
    let mut colleague = scene.caller("a-1025", Role::Agent).await;
    refused(
        colleague.get(reference, "").await,
        Code::PermissionDenied,
        "not about you",
    );
    assert!(colleague.list(Default::default()).await.unwrap().is_empty());
    refused(
        agent.review(reference, S::Resolved, "", "x").await,
        Code::PermissionDenied,
        "review",
    );
    scene.app.stop().await;
}

#[tokio::test]
async fn customers_are_offered_their_conversations_with_a_person() {
    let mut scene = Scene::start().await;
    let first = scene.consumer_ticket("shopper-1", "t1").await;
    let second = scene.consumer_ticket("shopper-1", "t2").await;
    scene
        .robot
        .escalate("shopper-1", pb::Entrance::Merchant, "t-unserved")
        .await;
    scene.merchant_ticket("shopper-1", "t3").await;

    let mut shopper = scene.caller("shopper-1", Role::Consumer).await;
    let offered = shopper
        .complainable("", pb::Entrance::Unspecified)
        .await
        .unwrap();
    let ids: Vec<&str> = offered.iter().map(|t| t.ticket_id.as_str()).collect();
    assert_eq!(ids, [second.ticket_id.as_str(), first.ticket_id.as_str()]);
    let card = offered[0].agent.clone().unwrap();
    assert_eq!(
        (card.work_number.as_str(), card.display_name.as_str()),
        ("1024", "小美")
    );
    assert_eq!(offered[0].summary, super::QUESTION);
    refused(
        shopper.complainable("", pb::Entrance::Merchant).await,
        Code::PermissionDenied,
        "consumer entrance",
    );

    let mut hotline = scene.caller("hotline-ivr", Role::Service).await;
    let merchant = hotline
        .complainable("shopper-1", pb::Entrance::Merchant)
        .await
        .unwrap();
    assert_eq!(merchant.len(), 1, "the unserved ticket is not offered");
    assert_eq!(merchant[0].agent.clone().unwrap().work_number, "2048");
    refused(
        hotline
            .complainable("shopper-1", pb::Entrance::Unspecified)
            .await,
        Code::InvalidArgument,
        "entrance",
    );
    let mut lead = scene.caller("lead-1", Role::Supervisor).await;
    refused(
        lead.complainable("shopper-1", pb::Entrance::Consumer).await,
        Code::PermissionDenied,
        "complainable",
    );
    scene.app.stop().await;
}
