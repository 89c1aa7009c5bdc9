//! The intake rules over a real (SQLite) store and a fake clock.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use server_kit::{Clock, FakeClock};

use super::*;
use crate::{
    domain::{
        AgentProfile, Entrance, EventKind, Presence, roster::Roster, ticket::fixtures::escalation,
    },
    store::testing::TestDatabase,
};

struct Fixture {
    intake: Intake,
    dispatcher: Dispatcher,
    roster: Roster,
    store: Arc<dyn Store>,
    clock: FakeClock,
    _db: TestDatabase,
}

async fn fixture() -> Fixture {
    let db = TestDatabase::sqlite().await;
    let clock = FakeClock::at(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    let store: Arc<dyn Store> = Arc::new(db.store.clone());
    let dispatcher = Dispatcher::new(
        store.clone(),
        Arc::new(clock.clone()),
        crate::domain::hub::Hub::new(),
        crate::domain::routing::RoutingSettings::default(),
    );
    Fixture {
        intake: Intake::new(store.clone(), Arc::new(clock.clone()), dispatcher.clone()),
        dispatcher,
        roster: Roster::new(store.clone(), Arc::new(clock.clone())),
        store,
        clock,
        _db: db,
    }
}

#[tokio::test]
async fn the_same_key_returns_the_same_ticket() {
    let f = fixture().await;
    let first = f.intake.create(&escalation("k-1", "u-1")).await.unwrap();
    assert!(first.created);
    let ticket = &first.view.ticket;
    assert_eq!(
        (ticket.status, ticket.last_sequence),
        (TicketStatus::Queued, 1)
    );
    assert_eq!(ticket.created_at, f.clock.now());
    f.clock.advance(Duration::from_secs(5));
    let again = f.intake.create(&escalation("k-1", "u-1")).await.unwrap();
    assert!(!again.created);
    assert_eq!(again.view, first.view);
}

#[tokio::test]
async fn a_reused_key_with_another_payload_is_refused() {
    let f = fixture().await;
    f.intake.create(&escalation("k-1", "u-1")).await.unwrap();
    let mut other = escalation("k-1", "u-1");
    other.priority = 5;
    let err = f.intake.create(&other).await.unwrap_err();
    assert!(
        matches!(&err, DomainError::WrongState(m) if m.contains("different request")),
        "{err}"
    );
    // Another customer's request under the same key is refused too, without their ticket.
    let err = f
        .intake
        .create(&escalation("k-1", "u-2"))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::WrongState(_)));
}

#[tokio::test]
async fn an_open_ticket_is_returned_and_a_closed_one_is_not() {
    let f = fixture().await;
    let first = f.intake.create(&escalation("k-1", "u-1")).await.unwrap();
    let id = first.view.ticket.ticket_id.clone();
    let second = f.intake.create(&escalation("k-2", "u-1")).await.unwrap();
    assert!(!second.created);
    assert_eq!(second.view.ticket.ticket_id, id);
    // The other entrance has its own tickets.
    let mut merchant = escalation("k-3", "u-1");
    merchant.entrance = Entrance::Merchant;
    assert!(f.intake.create(&merchant).await.unwrap().created);

    f.intake.cancel(&id, "u-1").await.unwrap();
    let third = f.intake.create(&escalation("k-4", "u-1")).await.unwrap();
    assert!(third.created);
    assert_ne!(third.view.ticket.ticket_id, id);
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_stored() {
    let f = fixture().await;
    let mut bad = escalation("k-1", "u-1");
    bad.skill = "no spaces allowed".into();
    let err = f.intake.create(&bad).await.unwrap_err();
    assert!(
        matches!(&err, DomainError::Invalid { field, .. } if field == "skill"),
        "{err}"
    );
    assert!(
        f.store
            .open_ticket_for("u-1", Entrance::Consumer)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn only_the_owner_sees_or_cancels_a_ticket() {
    let f = fixture().await;
    let id = f
        .intake
        .create(&escalation("k-1", "u-1"))
        .await
        .unwrap()
        .view
        .ticket
        .ticket_id;
    assert!(matches!(
        f.intake.get("nope", "u-1").await,
        Err(DomainError::NotFound(_))
    ));
    assert!(matches!(
        f.intake.get(&id, "u-2").await,
        Err(DomainError::Forbidden(_))
    ));
    assert!(matches!(
        f.intake.cancel(&id, "u-2").await,
        Err(DomainError::Forbidden(_))
    ));
    assert!(matches!(
        f.intake.get("", "u-1").await,
        Err(DomainError::Invalid { .. })
    ));
    let view = f.intake.get(&id, "u-1").await.unwrap();
    assert_eq!(view.queue.map(|q| (q.position, q.waiting)), Some((1, 1)));
}

#[tokio::test]
async fn cancelling_closes_once_and_is_idempotent() {
    let f = fixture().await;
    let id = f
        .intake
        .create(&escalation("k-1", "u-1"))
        .await
        .unwrap()
        .view
        .ticket
        .ticket_id;
    f.clock.advance(Duration::from_secs(30));
    let closed = f.intake.cancel(&id, "u-1").await.unwrap();
    assert_eq!(closed.status, TicketStatus::Closed);
    assert_eq!(closed.close_reason, Some(CloseReason::CustomerLeft));
    assert_eq!(closed.closed_at, Some(f.clock.now()));
    assert_eq!(closed.last_sequence, 2);
    f.clock.advance(Duration::from_secs(30));
    assert_eq!(f.intake.cancel(&id, "u-1").await.unwrap(), closed);
    let view = f.intake.get(&id, "u-1").await.unwrap();
    assert_eq!((view.ticket, view.queue), (closed, None));
    let events = f.store.events_after(&id, 0).await.unwrap();
    assert_eq!(events.len(), 2);
    assert!(matches!(
        &events[1].kind,
        EventKind::Closed { reason: CloseReason::CustomerLeft, notice } if notice == CUSTOMER_LEFT_NOTICE
    ));
}

fn agent(id: &str, skills: &[&str]) -> AgentProfile {
    AgentProfile {
        agent_id: id.into(),
        work_number: id.trim_start_matches("a-").into(),
        display_name: format!("agent {id}"),
        skills: skills.iter().map(|s| (*s).to_owned()).collect(),
        entrances: vec![Entrance::Consumer],
        capacity: 3,
    }
}

#[tokio::test]
async fn the_wait_estimate_counts_available_agents_of_that_queue() {
    let f = fixture().await;
    let intake = f.intake.clone();
    for (id, skills, presence) in [
        ("a-1", &["orders"][..], Presence::Available),
        ("a-2", &["orders", "logistics"][..], Presence::Available),
        ("a-3", &["orders"][..], Presence::Away),
        ("a-4", &["logistics"][..], Presence::Available),
    ] {
        f.roster.upsert(agent(id, skills)).await.unwrap();
        f.dispatcher.set_presence(id, presence).await.unwrap();
    }
    for customer in ["u-1", "u-2"] {
        intake
            .create(&escalation(&format!("k-{customer}"), customer))
            .await
            .unwrap();
        f.clock.advance(Duration::from_secs(1));
    }
    let third = intake.create(&escalation("k-u-3", "u-3")).await.unwrap();
    let queue = third.view.queue.unwrap();
    assert_eq!((queue.position, queue.waiting), (3, 3));
    // Three places of three minutes (the default handling time), shared by the six
    // chat slots of the two available agents serving orders: 90 s, read as 2 minutes.
    assert_eq!(queue.estimated_wait, Some(Duration::from_secs(120)));
}
