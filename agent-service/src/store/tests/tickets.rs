//! The ticket half of the shared store suite: intake, the one-open-ticket rule (also under
//! concurrent creates), queue order, closing, and event replay.

use std::time::{Duration, SystemTime};

use futures_util::future::join_all;

use crate::{
    domain::{
        CloseReason, Entrance, Escalation, EventKind, Sender, TicketStatus,
        ticket::fixtures::escalation,
    },
    store::{CreateOutcome, QueuePosition, Store, StoreError},
};

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

async fn create(store: &dyn Store, request: &Escalation, at: SystemTime) -> CreateOutcome {
    store
        .create_ticket(&new_id(), request, &request.digest(), at)
        .await
        .unwrap()
}

/// The ticket id of an outcome, and whether it made a new ticket.
fn id_of(outcome: &CreateOutcome) -> (&str, bool) {
    match outcome {
        CreateOutcome::Created(t) => (&t.ticket_id, true),
        CreateOutcome::Replayed(t)
        | CreateOutcome::KeyReused(t)
        | CreateOutcome::AlreadyOpen(t) => (&t.ticket_id, false),
    }
}

async fn created_id(store: &dyn Store, request: &Escalation, at: SystemTime) -> String {
    match create(store, request, at).await {
        CreateOutcome::Created(t) => t.ticket_id,
        other => panic!("expected a new ticket, got {other:?}"),
    }
}

async fn create_is_idempotent_by_key(store: &dyn Store) {
    let request = escalation("k-1", "u-1");
    let CreateOutcome::Created(ticket) = create(store, &request, t0()).await else {
        panic!("the first create stores a ticket");
    };
    assert_eq!(
        (ticket.status, ticket.last_sequence, ticket.created_at),
        (TicketStatus::Queued, 1, t0())
    );
    assert_eq!(
        store.ticket(&ticket.ticket_id).await.unwrap().as_ref(),
        Some(&ticket)
    );
    assert_eq!(
        store.transcript(&ticket.ticket_id).await.unwrap(),
        request.transcript
    );
    let later = t0() + Duration::from_secs(9);
    assert_eq!(
        create(store, &request, later).await,
        CreateOutcome::Replayed(ticket.clone())
    );
    let events = store.events_after(&ticket.ticket_id, 0).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].sequence, events[0].at), (1, t0()));
    assert_eq!(
        events[0].kind,
        EventKind::Queued {
            skill: "orders".into(),
            priority: 0
        }
    );
    assert!(store.ticket("unknown").await.unwrap().is_none());
}

async fn a_reused_key_with_another_payload_is_told_apart(store: &dyn Store) {
    let id = created_id(store, &escalation("k-1", "u-1"), t0()).await;
    let mut other = escalation("k-1", "u-1");
    other.reason = "something else".into();
    let outcome = create(store, &other, t0()).await;
    assert!(
        matches!(&outcome, CreateOutcome::KeyReused(t) if t.ticket_id == id),
        "{outcome:?}"
    );
}

async fn a_customer_has_one_open_ticket_per_entrance(store: &dyn Store) {
    let id = created_id(store, &escalation("k-1", "u-1"), t0()).await;
    let outcome = create(store, &escalation("k-2", "u-1"), t0()).await;
    assert!(
        matches!(&outcome, CreateOutcome::AlreadyOpen(t) if t.ticket_id == id),
        "{outcome:?}"
    );
    assert_eq!(
        store
            .open_ticket_for("u-1", Entrance::Consumer)
            .await
            .unwrap()
            .map(|t| t.ticket_id),
        Some(id.clone())
    );
    let mut merchant = escalation("k-3", "u-1");
    merchant.entrance = Entrance::Merchant;
    let merchant_id = created_id(store, &merchant, t0()).await;
    assert_ne!(merchant_id, id);
    store
        .close_ticket(&id, CloseReason::Resolved, "bye", t0())
        .await
        .unwrap();
    assert!(
        store
            .open_ticket_for("u-1", Entrance::Consumer)
            .await
            .unwrap()
            .is_none()
    );
    let again = created_id(store, &escalation("k-4", "u-1"), t0()).await;
    assert_ne!(again, id);
}

async fn concurrent_creates_make_one_ticket(store: &dyn Store) {
    // Eight different keys for the same customer at once: one ticket, the rest see it.
    let requests: Vec<Escalation> = (0..8)
        .map(|i| escalation(&format!("k-{i}"), "u-1"))
        .collect();
    let outcomes = join_all(requests.iter().map(|r| create(store, r, t0()))).await;
    let created: Vec<_> = outcomes.iter().map(id_of).filter(|(_, new)| *new).collect();
    assert_eq!(created.len(), 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| id_of(o).0 == created[0].0),
        "{outcomes:?}"
    );
    // Eight retries of one key at once: one ticket, the rest replay it.
    let request = escalation("same-key", "u-2");
    let outcomes = join_all((0..8).map(|_| create(store, &request, t0()))).await;
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, CreateOutcome::Created(_)))
        .count();
    let replayed = outcomes
        .iter()
        .filter(|o| matches!(o, CreateOutcome::Replayed(_)))
        .count();
    assert_eq!((created, replayed), (1, 7), "{outcomes:?}");
}

async fn tickets_created_together_share_a_commit_but_not_a_failure(store: &dyn Store) {
    // Many customers at once: every ticket is stored, each with its own transcript.
    let requests: Vec<Escalation> = (0..64)
        .map(|i| escalation(&format!("many-{i}"), &format!("crowd-{i}")))
        .collect();
    let outcomes = join_all(requests.iter().map(|r| create(store, r, t0()))).await;
    assert!(outcomes.iter().all(|o| id_of(o).1), "{outcomes:?}");
    for outcome in &outcomes {
        let id = id_of(outcome).0;
        assert_eq!(store.transcript(id).await.unwrap(), requests[0].transcript);
        assert_eq!(store.events_after(id, 0).await.unwrap().len(), 1);
    }
    // A ticket the database refuses (priority out of range) fails alone: the tickets
    // written in the same group are stored all the same.
    let mut bad = escalation("bad-priority", "odd-1");
    bad.priority = 42;
    let good = [
        escalation("good-1", "fine-1"),
        escalation("good-2", "fine-2"),
    ];
    let ids = [new_id(), new_id(), new_id()];
    let digests = [good[0].digest(), bad.digest(), good[1].digest()];
    let (first, refused, second) = tokio::join!(
        store.create_ticket(&ids[0], &good[0], &digests[0], t0()),
        store.create_ticket(&ids[1], &bad, &digests[1], t0()),
        store.create_ticket(&ids[2], &good[1], &digests[2], t0()),
    );
    assert!(matches!(first, Ok(CreateOutcome::Created(_))), "{first:?}");
    assert!(
        matches!(second, Ok(CreateOutcome::Created(_))),
        "{second:?}"
    );
    assert!(refused.is_err(), "{refused:?}");
    assert!(
        store
            .open_ticket_for("odd-1", Entrance::Consumer)
            .await
            .unwrap()
            .is_none()
    );
}

async fn queue_position_is_priority_then_age(store: &dyn Store) {
    let at = |secs: u64| t0() + Duration::from_secs(secs);
    let request = |customer: &str, priority: u8| {
        let mut r = escalation(&format!("k-{customer}"), customer);
        r.priority = priority;
        r
    };
    let old_low = created_id(store, &request("u-1", 0), at(0)).await;
    let new_high = created_id(store, &request("u-2", 5), at(10)).await;
    let old_high = created_id(store, &request("u-3", 5), at(5)).await;
    let newest_low = created_id(store, &request("u-4", 0), at(20)).await;
    // Same priority, same instant: the smaller (earlier v7) id goes first.
    let tie_a = created_id(store, &request("u-5", 0), at(20)).await;
    // Other queues do not count.
    let mut other_skill = request("u-6", 9);
    other_skill.skill = "logistics".into();
    let other_skill = created_id(store, &other_skill, at(0)).await;
    let mut merchant = request("u-7", 9);
    merchant.entrance = Entrance::Merchant;
    created_id(store, &merchant, at(0)).await;

    let (first, second) = if newest_low < tie_a {
        (&newest_low, &tie_a)
    } else {
        (&tie_a, &newest_low)
    };
    for (position, id) in [
        (1, &old_high),
        (2, &new_high),
        (3, &old_low),
        (4, first),
        (5, second),
    ] {
        let expected = Some(QueuePosition {
            position,
            waiting: 5,
        });
        assert_eq!(
            store.queue_position(id).await.unwrap(),
            expected,
            "ticket {id}"
        );
    }
    assert_eq!(
        store.queue_position(&other_skill).await.unwrap(),
        Some(QueuePosition {
            position: 1,
            waiting: 1
        })
    );
    // A closed ticket leaves the queue and those behind it move up.
    store
        .close_ticket(&new_high, CloseReason::CustomerLeft, "left", at(30))
        .await
        .unwrap();
    assert_eq!(store.queue_position(&new_high).await.unwrap(), None);
    assert_eq!(
        store.queue_position(&old_low).await.unwrap(),
        Some(QueuePosition {
            position: 2,
            waiting: 4
        })
    );
    assert_eq!(store.queue_position("unknown").await.unwrap(), None);
}

async fn closing_records_one_event(store: &dyn Store) {
    let id = created_id(store, &escalation("k-1", "u-1"), t0()).await;
    let at = t0() + Duration::from_secs(60);
    let first = store
        .close_ticket(&id, CloseReason::CustomerLeft, "left", at)
        .await
        .unwrap()
        .unwrap();
    let ticket = &first.ticket;
    assert_eq!(ticket.status, TicketStatus::Closed);
    assert_eq!(
        (ticket.closed_at, ticket.close_reason),
        (Some(at), Some(CloseReason::CustomerLeft))
    );
    assert_eq!(ticket.last_sequence, 2);
    let event = first.event.clone().expect("the close is recorded");
    assert_eq!((event.sequence, event.at), (2, at));
    assert_eq!(
        event.kind,
        EventKind::Closed {
            reason: CloseReason::CustomerLeft,
            notice: "left".into()
        }
    );
    let later = at + Duration::from_secs(60);
    let second = store
        .close_ticket(&id, CloseReason::Resolved, "x", later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((second.ticket, second.event), (first.ticket, None));
    assert!(
        store
            .close_ticket("unknown", CloseReason::Resolved, "x", at)
            .await
            .unwrap()
            .is_none()
    );
}

async fn events_replay_after_a_sequence(store: &dyn Store) {
    let id = created_id(store, &escalation("k-1", "u-1"), t0()).await;
    let kinds = [
        EventKind::AgentJoined {
            agent_id: "a-1".into(),
        },
        EventKind::Message {
            sender: Sender::Customer,
            text: "还没发货".into(),
            agent_id: None,
            client_message_id: Some("c-1".into()),
            flagged_terms: vec![],
        },
        EventKind::Message {
            sender: Sender::Agent,
            text: "马上处理".into(),
            agent_id: Some("a-1".into()),
            client_message_id: None,
            flagged_terms: vec!["term one".into(), "term2".into()],
        },
        EventKind::Transferred {
            from_skill: "orders".into(),
            to_skill: "logistics".into(),
            to_agent_id: None,
            note: "物流问题".into(),
        },
        EventKind::Queued {
            skill: "logistics".into(),
            priority: 3,
        },
    ];
    for (i, kind) in kinds.iter().enumerate() {
        let at = t0() + Duration::from_secs(i as u64 + 1);
        let event = store.append_event(&id, at, kind).await.unwrap().unwrap();
        assert_eq!(
            (event.sequence, event.at, &event.kind),
            (i as u64 + 2, at, kind)
        );
    }
    // A retried customer message is refused and uses no sequence number.
    let err = store.append_event(&id, t0(), &kinds[1]).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert_eq!(store.ticket(&id).await.unwrap().unwrap().last_sequence, 6);

    let all = store.events_after(&id, 0).await.unwrap();
    let sequences: Vec<u64> = all.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, [1, 2, 3, 4, 5, 6]);
    let stored: Vec<&EventKind> = all[1..].iter().map(|e| &e.kind).collect();
    assert_eq!(stored, kinds.iter().collect::<Vec<_>>());
    let missed = store.events_after(&id, 4).await.unwrap();
    assert_eq!(missed, all[4..].to_vec());
    assert!(store.events_after(&id, 6).await.unwrap().is_empty());
    assert!(
        store
            .append_event("unknown", t0(), &kinds[0])
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.events_after("unknown", 0).await.unwrap().is_empty());
}

store_suite!(
    create_is_idempotent_by_key,
    a_reused_key_with_another_payload_is_told_apart,
    a_customer_has_one_open_ticket_per_entrance,
    concurrent_creates_make_one_ticket,
    tickets_created_together_share_a_commit_but_not_a_failure,
    queue_position_is_priority_then_age,
    closing_records_one_event,
    events_replay_after_a_sequence,
);
