//! Complaints over real gRPC: filing through the direct RPC (by the customer and by a
//! service on their behalf), each validation failure (the robot included), idempotent
//! re-filing, sealed evidence that detects a row altered in the database, messages the
//! database refuses to change, the audited workflow, overdue lists with the fake clock,
//! and what each role may see and do. Runs on SQLite, and on PostgreSQL with
//! `HONEYDESK_TEST_STORE=postgres`.

pub(crate) mod support;

use std::time::Duration;

use agent_service::store::Dialect;
use honeydesk::{TestApp, testing::Options};
use honeydesk_proto::agent::v1::{self as pb, ComplaintStatus as S};
use server_kit::{Role, clock::Clock};
use tonic::Code;

use support::{Caller, Desk, QUESTION, Robot, Served, filing, refused, serve};

const HOUR: Duration = Duration::from_secs(3600);

/// A running app with the consumer agent 1024 and the merchant agent 2048 at their desks.
struct Scene {
    app: TestApp,
    robot: Robot,
    consumer_desk: Desk,
    merchant_desk: Desk,
}

impl Scene {
    async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    async fn start_with(options: Options) -> Self {
        let app = TestApp::spawn_with(options).await;
        Self {
            robot: Robot::new(&app).await,
            consumer_desk: Desk::open(&app, "a-1024").await,
            merchant_desk: Desk::open(&app, "a-2048").await,
            app,
        }
    }

    /// A closed conversation of `customer` with agent 1024.
    async fn consumer_ticket(&mut self, customer: &str, key: &str) -> Served {
        serve(
            &mut self.robot,
            &mut self.consumer_desk,
            customer,
            pb::Entrance::Consumer,
            key,
        )
        .await
    }

    /// A closed conversation of seller `customer` with agent 2048.
    async fn merchant_ticket(&mut self, customer: &str, key: &str) -> Served {
        serve(
            &mut self.robot,
            &mut self.merchant_desk,
            customer,
            pb::Entrance::Merchant,
            key,
        )
        .await
    }

    /// Shopper-1's complaint (key `k1`) about a closed conversation with agent 1024,
    /// with the shopper's caller.
    async fn shopper_complaint(&mut self) -> (Served, Caller, pb::Complaint) {
        let served = self.consumer_ticket("shopper-1", "t1").await;
        let mut shopper = self.caller("shopper-1", Role::Consumer).await;
        let filed = shopper.file(filing(&served.ticket_id, "k1")).await.unwrap();
        assert!(filed.created);
        (served, shopper, filed.complaint.unwrap())
    }

    async fn caller(&self, subject: &str, role: Role) -> Caller {
        Caller::new(&self.app, subject, role).await
    }
}

#[tokio::test]
async fn a_customer_files_about_the_agent_who_served_them() {
    let mut scene = Scene::start().await;
    let served = scene.consumer_ticket("shopper-1", "t1").await;
    let mut shopper = scene.caller("shopper-1", Role::Consumer).await;
    let mut request = filing(&served.ticket_id, "f1");
    request.highlighted_message_ids = vec![served.abuse.message_id.clone()];
    let filed = shopper.file(request).await.unwrap();
    assert!(filed.created);
    let c = filed.complaint.unwrap();

    let day = server_kit::time::yyyymmdd(scene.app.clock.now());
    assert_eq!(c.reference, format!("TS-{day}-000001"));
    assert_eq!(c.status, S::Received as i32);
    assert_eq!(c.customer_id, "shopper-1");
    assert_eq!(c.entrance, pb::Entrance::Consumer as i32);
    let agent = c.agent.clone().unwrap();
    assert_eq!(
        (agent.work_number.as_str(), agent.display_name.as_str()),
        ("1024", "小美")
    );
    assert!(
        c.agent_id.is_empty(),
        "the agent's internal id is for supervisors only"
    );
    assert_eq!(
        c.highlighted_message_ids,
        vec![served.abuse.message_id.clone()]
    );
    // 2 robot lines, then the customer, the agent, the customer.
    assert_eq!(c.evidence_messages, 5);
    assert_eq!(c.evidence_digest.len(), 64);
    let filed_at = c.filed_at.unwrap().seconds;
    assert_eq!(c.acknowledge_by.unwrap().seconds, filed_at + 24 * 3600);
    assert_eq!(c.decide_by.unwrap().seconds, filed_at + 7 * 24 * 3600);
    assert!(!c.overdue && c.recourse.is_none() && c.outcome.is_empty());
    let first = &c.audit[..];
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].actor_id.as_str(), first[0].actor_role.as_str()),
        ("shopper-1", "consumer")
    );
    assert_eq!(
        (first[0].from, first[0].to),
        (S::Unspecified as i32, S::Received as i32)
    );

    // The customer reads and lists it.
    assert_eq!(shopper.get(&c.reference, "").await.unwrap(), c);
    let mine = shopper.list(Default::default()).await.unwrap();
    assert_eq!(mine, vec![c.clone()]);

    // The phone hotline's system files for a seller, naming the agent.
    let sold = scene.merchant_ticket("seller-1", "t2").await;
    let mut hotline = scene.caller("hotline-ivr", Role::Service).await;
    let mut request = filing(&sold.ticket_id, "f2");
    request.customer_id = "seller-1".into();
    request.agent_work_number = "2048".into();
    request.category = pb::ComplaintCategory::RudeAttitude as i32;
    let c2 = hotline.file(request).await.unwrap().complaint.unwrap();
    assert_eq!(c2.reference, format!("TS-{day}-000002"));
    assert_eq!(c2.entrance, pb::Entrance::Merchant as i32);
    assert_eq!(c2.agent.unwrap().work_number, "2048");
    assert_eq!(c2.audit[0].actor_role, "service");
    assert_eq!(c2.audit[0].actor_id, "hotline-ivr");
    let mut seller = scene.caller("seller-1", Role::Merchant).await;
    assert_eq!(seller.list(Default::default()).await.unwrap().len(), 1);
    scene.app.stop().await;
}

#[tokio::test]
async fn filing_is_validated() {
    let mut scene = Scene::start().await;
    let served = scene.consumer_ticket("shopper-1", "t1").await;
    let mut shopper = scene.caller("shopper-1", Role::Consumer).await;
    let ticket = served.ticket_id.as_str();

    // The robot is no party, said in the filing's one language (Chinese when unset).
    let mut r = filing(ticket, "f1");
    r.agent_work_number = "小蜜".into();
    let status = refused(shopper.file(r).await, Code::FailedPrecondition, "机器人");
    assert!(!status.message().contains("robot"), "{}", status.message());
    let mut r = filing(ticket, "f2");
    r.agent_work_number = "bot".into();
    r.language = pb::Language::En as i32;
    let status = refused(
        shopper.file(r).await,
        Code::FailedPrecondition,
        "cannot be complained about",
    );
    assert!(!status.message().contains("转人工"), "{}", status.message());
    let mut r = filing(ticket, "f2b");
    r.language = 9;
    refused(shopper.file(r).await, Code::InvalidArgument, "language");

    // A conversation that never reached a person.
    let queued = scene
        .robot
        .escalate("shopper-2", pb::Entrance::Merchant, "t-unserved")
        .await;
    let mut other = scene.caller("shopper-2", Role::Merchant).await;
    let mut r = filing(&queued, "f3");
    r.language = pb::Language::En as i32;
    let status = refused(
        other.file(r).await,
        Code::FailedPrecondition,
        "never reached a person",
    );
    assert!(status.message().contains("robot"), "{}", status.message());

    // An agent who did not serve it.
    let mut r = filing(ticket, "f4");
    r.agent_work_number = "1025".into();
    let status = refused(
        shopper.file(r).await,
        Code::FailedPrecondition,
        "did not serve",
    );
    assert!(status.message().contains("1024"), "{}", status.message());

    // Someone else's ticket, or a ticket at another entrance.
    let mut stranger = scene.caller("shopper-9", Role::Consumer).await;
    refused(
        stranger.file(filing(ticket, "f5")).await,
        Code::PermissionDenied,
        "another customer",
    );
    let mut as_seller = scene.caller("shopper-1", Role::Merchant).await;
    refused(
        as_seller.file(filing(ticket, "f6")).await,
        Code::PermissionDenied,
        "consumer entrance",
    );
    let mut r = filing(ticket, "f7");
    r.customer_id = "shopper-9".into();
    refused(shopper.file(r).await, Code::PermissionDenied, "customer_id");

    // Bad fields.
    let mut r = filing(ticket, "f8");
    r.description = "  ".into();
    refused(shopper.file(r).await, Code::InvalidArgument, "description");
    let mut r = filing(ticket, "f9");
    r.description = "长".repeat(2001);
    refused(shopper.file(r).await, Code::InvalidArgument, "description");
    let mut r = filing(ticket, "f10");
    r.category = pb::ComplaintCategory::Unspecified as i32;
    refused(shopper.file(r).await, Code::InvalidArgument, "category");
    refused(
        shopper.file(filing(ticket, "")).await,
        Code::InvalidArgument,
        "idempotency_key",
    );
    let mut r = filing(ticket, "f11");
    r.highlighted_message_ids = vec![format!("{ticket}-99")];
    refused(
        shopper.file(r).await,
        Code::InvalidArgument,
        "highlighted_message_ids",
    );
    refused(
        shopper.file(filing("no-such-ticket", "f12")).await,
        Code::NotFound,
        "no-such-ticket",
    );

    // Roles.
    let mut hotline = scene.caller("hotline-ivr", Role::Service).await;
    refused(
        hotline.file(filing(ticket, "f13")).await,
        Code::InvalidArgument,
        "customer_id",
    );
    for role in [Role::Supervisor, Role::Agent] {
        let mut caller = scene.caller("a-1024", role).await;
        refused(
            caller.file(filing(ticket, "f14")).await,
            Code::PermissionDenied,
            "file complaints",
        );
    }
    assert!(shopper.list(Default::default()).await.unwrap().is_empty());
    scene.app.stop().await;
}

#[tokio::test]
async fn refiling_returns_the_first_complaint() {
    let mut scene = Scene::start().await;
    let served = scene.consumer_ticket("shopper-1", "t1").await;
    let mut shopper = scene.caller("shopper-1", Role::Consumer).await;
    let first = shopper.file(filing(&served.ticket_id, "k1")).await.unwrap();
    assert!(first.created);
    let reference = first.complaint.unwrap().reference;

    // A retry with the same key.
    let again = shopper.file(filing(&served.ticket_id, "k1")).await.unwrap();
    assert!(!again.created);
    assert_eq!(again.complaint.unwrap().reference, reference);
    // Another key, the same ticket: one complaint per ticket per customer.
    let mut r = filing(&served.ticket_id, "k2");
    r.category = pb::ComplaintCategory::Other as i32;
    let second = shopper.file(r).await.unwrap();
    assert!(!second.created);
    assert_eq!(second.complaint.unwrap().reference, reference);
    // The same key for something else.
    let mut r = filing(&served.ticket_id, "k1");
    r.description = "换一个说法".into();
    let status = refused(
        shopper.file(r).await,
        Code::FailedPrecondition,
        "idempotency_key",
    );
    assert!(
        status.message().contains(&reference),
        "{}",
        status.message()
    );
    assert_eq!(shopper.list(Default::default()).await.unwrap().len(), 1);
    scene.app.stop().await;
}

/// The statement that drops the immutability trigger on `ticket_events` updates.
fn drop_update_trigger(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "DROP TRIGGER ticket_events_no_update",
        Dialect::Postgres => "DROP TRIGGER ticket_events_no_update ON ticket_events",
    }
}

/// `(ticket_id, sequence)` of a public message id `<ticket>-<sequence>`.
fn split_message_id(id: &str) -> (&str, &str) {
    id.rsplit_once('-').expect("a message id")
}

#[tokio::test]
async fn sealed_evidence_detects_a_message_altered_in_the_database() {
    let mut scene = Scene::start().await;
    let (served, mut shopper, c) = scene.shopper_complaint().await;
    let mut supervisor = scene.caller("lead-1", Role::Supervisor).await;
    let intact = supervisor.verify(&c.reference, "").await.unwrap();
    assert!(intact.intact, "{}", intact.detail);
    assert_eq!(intact.sealed_digest, c.evidence_digest);
    assert_eq!(intact.recomputed_digest, c.evidence_digest);
    assert!(intact.first_mismatch_message_id.is_empty());
    assert!(shopper.verify(&c.reference, "").await.unwrap().intact);

    // Someone with database access rewrites the agent's message.
    scene
        .app
        .execute_sql(drop_update_trigger(scene.app.dialect()))
        .await
        .unwrap();
    let (ticket, sequence) = split_message_id(&served.abuse.message_id);
    let changed = scene
        .app
        .execute_sql(&format!(
            "UPDATE ticket_events SET text = '您好，请问还有什么可以帮您'
             WHERE ticket_id = '{ticket}' AND sequence = {sequence}"
        ))
        .await
        .unwrap();
    assert_eq!(changed, 1);
    let tampered = supervisor.verify(&c.reference, "").await.unwrap();
    assert!(!tampered.intact);
    assert_eq!(tampered.first_mismatch_message_id, served.abuse.message_id);
    assert!(tampered.detail.contains("altered"), "{}", tampered.detail);
    assert_eq!(tampered.sealed_digest, c.evidence_digest);
    assert_ne!(tampered.recomputed_digest, c.evidence_digest);
    scene.app.stop().await;
}

#[tokio::test]
async fn the_database_refuses_to_change_stored_messages() {
    let mut scene = Scene::start().await;
    let served = scene.consumer_ticket("shopper-1", "t1").await;
    let ticket = &served.ticket_id;
    for sql in [
        format!("UPDATE ticket_events SET text = 'edited' WHERE ticket_id = '{ticket}'"),
        format!("DELETE FROM ticket_events WHERE ticket_id = '{ticket}'"),
        format!("UPDATE ticket_transcript SET text = 'edited' WHERE ticket_id = '{ticket}'"),
        format!("DELETE FROM ticket_transcript WHERE ticket_id = '{ticket}'"),
    ] {
        let err = scene
            .app
            .execute_sql(&sql)
            .await
            .expect_err(&sql)
            .to_string();
        assert!(err.contains("immutable"), "{sql}: {err}");
    }
    let lines = scene.app.transcript(ticket).await;
    assert_eq!(lines[0].text, QUESTION);
    scene.app.stop().await;
}

mod roles;
mod workflow;
