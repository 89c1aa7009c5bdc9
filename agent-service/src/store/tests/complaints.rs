//! The complaint half of the shared store suite: filing with per-day references (also
//! under concurrent filings), idempotency and one complaint per ticket and customer,
//! guarded status changes with their audit trail, filtered lists, sealed evidence links,
//! and stored messages that the database refuses to change.

use std::time::{Duration, SystemTime};

use futures_util::future::join_all;

use crate::{
    domain::{
        AgentCard, AgentProfile, Entrance, EventKind, Language, Sender,
        complaint::{AuditEntry, Category, Complaint, ComplaintStatus},
        evidence::Link,
        ticket::fixtures::escalation,
    },
    store::{
        ComplaintFilter, CreateOutcome, FileOutcome, NewComplaint, SqlStore, Store, TicketStore,
    },
};

fn at(secs: u64) -> SystemTime {
    // 2027-01-15T08:00:00Z, so references carry that day.
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

async fn served_ticket(store: &dyn Store, customer: &str) -> String {
    let profile = AgentProfile {
        agent_id: "a-1".into(),
        work_number: "1001".into(),
        display_name: "小美".into(),
        skills: vec!["orders".into()],
        entrances: vec![Entrance::Consumer],
        capacity: 3,
    };
    store.upsert_agent(&profile, at(0)).await.unwrap();
    let request = escalation(&format!("k-{customer}"), customer);
    let id = uuid::Uuid::now_v7().to_string();
    let CreateOutcome::Created(t) = store
        .create_ticket(&id, &request, &request.digest(), at(1))
        .await
        .unwrap()
    else {
        panic!("expected a new ticket");
    };
    store.assign_ticket(&id, "a-1", at(2)).await.unwrap();
    t.ticket_id
}

fn new_complaint(ticket_id: &str, customer: &str, key: &str) -> NewComplaint {
    let filed = at(100);
    NewComplaint {
        complaint: Complaint {
            reference: String::new(),
            ticket_id: ticket_id.into(),
            customer_id: customer.into(),
            entrance: Entrance::Consumer,
            language: Language::En,
            agent_id: "a-1".into(),
            agent: AgentCard {
                agent_id: "a-1".into(),
                work_number: "1001".into(),
                display_name: "小美".into(),
            },
            category: Category::AbusiveLanguage,
            description: "客服骂人".into(),
            status: ComplaintStatus::Received,
            outcome: String::new(),
            filed_at: filed,
            acknowledge_by: filed + Duration::from_secs(3600),
            decide_by: filed + Duration::from_secs(7200),
            evidence_digest: "d2".into(),
            evidence_messages: 2,
            highlighted_message_ids: vec![format!("{ticket_id}-3")],
            audit: vec![entry(None, ComplaintStatus::Received, 100)],
        },
        idempotency_key: key.into(),
        request_digest: format!("digest-{key}"),
        links: vec![
            Link {
                message_id: format!("{ticket_id}-bot-1"),
                digest: "d1".into(),
            },
            Link {
                message_id: format!("{ticket_id}-3"),
                digest: "d2".into(),
            },
        ],
    }
}

fn entry(from: Option<ComplaintStatus>, to: ComplaintStatus, secs: u64) -> AuditEntry {
    AuditEntry {
        actor_id: "someone".into(),
        actor_role: "supervisor".into(),
        at: at(secs),
        from,
        to,
        note: format!("to {to}"),
    }
}

fn created(outcome: FileOutcome) -> Complaint {
    match outcome {
        FileOutcome::Created(c) => c,
        other => panic!("expected a new complaint, got {other:?}"),
    }
}

async fn complaints_are_filed_once_with_day_references(store: &dyn Store) {
    let ticket = served_ticket(store, "c-1").await;
    let new = new_complaint(&ticket, "c-1", "key-1");
    let c = created(store.file_complaint(&new).await.unwrap());
    assert_eq!(c.reference, "TS-20270115-000001");
    let expected = Complaint {
        reference: c.reference.clone(),
        ..new.complaint.clone()
    };
    assert_eq!(c, expected);
    assert_eq!(
        store.complaint(&c.reference).await.unwrap(),
        Some(c.clone())
    );
    assert_eq!(store.evidence_links(&c.reference).await.unwrap(), new.links);

    // Same key, same request: the same complaint.
    assert_eq!(
        store.file_complaint(&new).await.unwrap(),
        FileOutcome::Replayed(c.clone())
    );
    // Same key, another request.
    let mut other = new.clone();
    other.request_digest = "something else".into();
    assert_eq!(
        store.file_complaint(&other).await.unwrap(),
        FileOutcome::KeyReused(c.clone())
    );
    // Another key, same ticket and customer.
    let again = new_complaint(&ticket, "c-1", "key-2");
    assert_eq!(
        store.file_complaint(&again).await.unwrap(),
        FileOutcome::AlreadyFiled(c.clone())
    );
    // The refusals left no gap in the numbering.
    let second = served_ticket(store, "c-2").await;
    let c2 = created(
        store
            .file_complaint(&new_complaint(&second, "c-2", "key-3"))
            .await
            .unwrap(),
    );
    assert_eq!(c2.reference, "TS-20270115-000002");
    assert!(store.complaint("TS-nothing").await.unwrap().is_none());
}

async fn concurrent_filings_get_distinct_numbers(store: &dyn Store) {
    let mut tickets = Vec::new();
    for i in 0..8 {
        tickets.push(served_ticket(store, &format!("c-{i}")).await);
    }
    let filings = tickets.iter().enumerate().map(|(i, t)| {
        let new = new_complaint(t, &format!("c-{i}"), &format!("key-{i}"));
        async move { created(store.file_complaint(&new).await.unwrap()).reference }
    });
    let mut references = join_all(filings).await;
    references.sort();
    let expected: Vec<String> = (1..=8).map(|n| format!("TS-20270115-{n:06}")).collect();
    assert_eq!(references, expected);
}

async fn status_changes_are_guarded_and_audited(store: &dyn Store) {
    use ComplaintStatus::*;
    let ticket = served_ticket(store, "c-1").await;
    let c = created(
        store
            .file_complaint(&new_complaint(&ticket, "c-1", "k"))
            .await
            .unwrap(),
    );
    let review = entry(Some(Received), InReview, 200);
    let c = store
        .change_complaint_status(&c.reference, Received, &review, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.status, InReview);
    // A change from a status it is no longer in does nothing.
    assert!(
        store
            .change_complaint_status(&c.reference, Received, &review, None)
            .await
            .unwrap()
            .is_none()
    );
    let decide = entry(Some(InReview), Resolved, 300);
    let c = store
        .change_complaint_status(&c.reference, InReview, &decide, Some("已处理"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((c.status, c.outcome.as_str()), (Resolved, "已处理"));
    let trail: Vec<_> = c.audit.iter().map(|e| (e.from, e.to, e.at)).collect();
    assert_eq!(
        trail,
        [
            (None, Received, at(100)),
            (Some(Received), InReview, at(200)),
            (Some(InReview), Resolved, at(300)),
        ]
    );
    assert!(
        store
            .change_complaint_status("TS-none", Received, &review, None)
            .await
            .unwrap()
            .is_none()
    );
}

async fn lists_filter_and_page(store: &dyn Store) {
    use ComplaintStatus::*;
    let mut refs = Vec::new();
    for i in 0..3 {
        let customer = format!("c-{i}");
        let t = served_ticket(store, &customer).await;
        let new = new_complaint(&t, &customer, &format!("k-{i}"));
        refs.push(created(store.file_complaint(&new).await.unwrap()).reference);
    }
    store
        .change_complaint_status(
            &refs[0],
            Received,
            &entry(Some(Received), InReview, 200),
            None,
        )
        .await
        .unwrap();
    let all = |f: ComplaintFilter| async move {
        let f = ComplaintFilter { limit: 10, ..f };
        let found = store.complaints(&f).await.unwrap();
        found.into_iter().map(|c| c.reference).collect::<Vec<_>>()
    };
    let newest_first: Vec<String> = refs.iter().rev().cloned().collect();
    assert_eq!(all(ComplaintFilter::default()).await, newest_first);
    let mine = ComplaintFilter {
        customer_id: Some("c-1".into()),
        entrance: Some(Entrance::Consumer),
        ..Default::default()
    };
    assert_eq!(all(mine).await, [refs[1].clone()]);
    let merchant = ComplaintFilter {
        entrance: Some(Entrance::Merchant),
        ..Default::default()
    };
    assert!(all(merchant).await.is_empty());
    let in_review = ComplaintFilter {
        statuses: vec![InReview],
        agent_id: Some("a-1".into()),
        ..Default::default()
    };
    assert_eq!(all(in_review).await, [refs[0].clone()]);
    // Acknowledge by 100+3600 s, decide by 100+7200 s: received ones are overdue first.
    let overdue_at = |secs| ComplaintFilter {
        overdue_at: Some(at(secs)),
        ..Default::default()
    };
    assert!(all(overdue_at(3000)).await.is_empty());
    assert_eq!(
        all(overdue_at(3800)).await,
        [refs[2].clone(), refs[1].clone()]
    );
    assert_eq!(all(overdue_at(7400)).await, newest_first);
    let page = ComplaintFilter {
        before_reference: Some(refs[2].clone()),
        limit: 1,
        ..Default::default()
    };
    let found = store.complaints(&page).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].reference, refs[1]);
    let served = store
        .served_tickets("c-1", Entrance::Consumer, 10)
        .await
        .unwrap();
    assert_eq!(served.len(), 1);
    assert!(
        store
            .served_tickets("c-1", Entrance::Merchant, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn stored_messages_cannot_be_changed(store: &SqlStore) {
    let ticket = served_ticket(store, "c-1").await;
    let kind = EventKind::Message {
        sender: Sender::Agent,
        text: "爱买不买".into(),
        agent_id: Some("a-1".into()),
        client_message_id: Some("m-1".into()),
        flagged_terms: vec![],
    };
    store.append_event(&ticket, at(3), &kind).await.unwrap();
    let pool = store.pool();
    for sql in [
        "UPDATE ticket_events SET text = 'nice words' WHERE ticket_id = $1",
        "DELETE FROM ticket_events WHERE ticket_id = $1",
        "UPDATE ticket_transcript SET text = 'nice words' WHERE ticket_id = $1",
        "DELETE FROM ticket_transcript WHERE ticket_id = $1",
    ] {
        let err = sqlx::query(sql)
            .bind(&ticket)
            .execute(pool)
            .await
            .expect_err(sql)
            .to_string();
        assert!(err.contains("immutable"), "{sql}: {err}");
    }
    let events = store.events_after(&ticket, 0).await.unwrap();
    assert!(events.iter().any(|e| e.kind == kind));
    assert!(!store.transcript(&ticket).await.unwrap().is_empty());
}

store_suite!(
    complaints_are_filed_once_with_day_references,
    concurrent_filings_get_distinct_numbers,
    status_changes_are_guarded_and_audited,
    lists_filter_and_page,
    stored_messages_cannot_be_changed,
);
