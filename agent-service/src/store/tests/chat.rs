//! The live-conversation half of the shared store suite: guarded assignment (also under
//! concurrent accepts), transfers, chat messages and their retries, ratings, and the
//! reads that rebuild routing after a restart.

use std::time::{Duration, SystemTime};

use futures_util::future::join_all;

use crate::{
    domain::{
        AgentProfile, CloseReason, Entrance, EventKind, Sender, TicketStatus,
        ticket::fixtures::escalation,
    },
    store::{Appended, CreateOutcome, Rating, Store, TicketTimes},
};

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

pub(super) fn at(secs: u64) -> SystemTime {
    t0() + Duration::from_secs(secs)
}

pub(super) async fn agents(store: &dyn Store, ids: &[&str]) {
    for id in ids {
        let profile = AgentProfile {
            agent_id: (*id).into(),
            work_number: format!("w{id}"),
            display_name: format!("agent {id}"),
            skills: vec!["orders".into(), "logistics".into()],
            entrances: vec![Entrance::Consumer],
            capacity: 3,
        };
        store.upsert_agent(&profile, t0()).await.unwrap();
    }
}

pub(super) async fn ticket(store: &dyn Store, customer: &str, secs: u64) -> String {
    let request = escalation(&format!("k-{customer}"), customer);
    let id = uuid::Uuid::now_v7().to_string();
    match store
        .create_ticket(&id, &request, &request.digest(), at(secs))
        .await
        .unwrap()
    {
        CreateOutcome::Created(t) => t.ticket_id,
        other => panic!("expected a new ticket, got {other:?}"),
    }
}

fn message(sender: Sender, text: &str, client_id: &str, agent: Option<&str>) -> EventKind {
    EventKind::Message {
        sender,
        text: text.into(),
        agent_id: agent.map(str::to_owned),
        client_message_id: Some(client_id.into()),
        flagged_terms: vec![],
    }
}

async fn assignment_is_guarded(store: &dyn Store) {
    agents(store, &["a-1", "a-2"]).await;
    let id = ticket(store, "u-1", 0).await;
    let first = store
        .assign_ticket(&id, "a-1", at(5))
        .await
        .unwrap()
        .unwrap();
    let event = first.event.expect("the first accept wins");
    assert_eq!(
        (event.sequence, &event.kind),
        (
            2,
            &EventKind::AgentJoined {
                agent_id: "a-1".into()
            }
        )
    );
    assert_eq!(first.ticket.status, TicketStatus::WithAgent);
    assert_eq!(first.ticket.assigned_at, Some(at(5)));
    assert_eq!(
        first.ticket.agent.as_ref().map(|a| a.agent_id.as_str()),
        Some("a-1")
    );
    let second = store
        .assign_ticket(&id, "a-2", at(6))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.event, None);
    assert_eq!(second.ticket.agent.map(|a| a.agent_id), Some("a-1".into()));
    assert!(
        store
            .assign_ticket("unknown", "a-1", at(6))
            .await
            .unwrap()
            .is_none()
    );
    // Many agents racing for one ticket: exactly one gets it.
    let other = ticket(store, "u-2", 0).await;
    let ids: Vec<String> = (0..6).map(|i| format!("r-{i}")).collect();
    agents(store, &ids.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let results = join_all(ids.iter().map(|a| store.assign_ticket(&other, a, at(7)))).await;
    let winners = results
        .into_iter()
        .filter(|r| r.as_ref().unwrap().as_ref().unwrap().event.is_some())
        .count();
    assert_eq!(winners, 1);
}

async fn transfers_requeue_for_a_skill_or_an_agent(store: &dyn Store) {
    agents(store, &["a-1", "a-2", "a-3"]).await;
    let id = ticket(store, "u-1", 0).await;
    store.assign_ticket(&id, "a-1", at(1)).await.unwrap();
    // Only the agent who holds it can transfer it.
    let refused = store
        .transfer_ticket(&id, "a-2", "logistics", None, "", at(2))
        .await
        .unwrap()
        .unwrap();
    assert!(refused.events.is_empty());
    let moved = store
        .transfer_ticket(&id, "a-1", "logistics", Some("a-2"), "物流", at(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.ticket.status, TicketStatus::Queued);
    assert_eq!(moved.ticket.skill, "logistics");
    let kinds: Vec<_> = moved
        .events
        .iter()
        .map(|e| (e.sequence, e.kind.clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                3,
                EventKind::Transferred {
                    from_skill: "orders".into(),
                    to_skill: "logistics".into(),
                    to_agent_id: Some("a-2".into()),
                    note: "物流".into(),
                }
            ),
            (
                4,
                EventKind::Queued {
                    skill: "logistics".into(),
                    priority: 0
                }
            ),
        ]
    );
    assert_eq!(store.events_after(&id, 2).await.unwrap(), moved.events);
    // Waiting for a-2: nobody else can take it until the target is cleared.
    let open = store.open_tickets().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].target_agent_id.as_deref(), Some("a-2"));
    assert!(
        store
            .assign_ticket(&id, "a-3", at(3))
            .await
            .unwrap()
            .unwrap()
            .event
            .is_none()
    );
    store.clear_target(&id).await.unwrap();
    assert_eq!(store.open_tickets().await.unwrap()[0].target_agent_id, None);
    assert!(
        store
            .assign_ticket(&id, "a-3", at(3))
            .await
            .unwrap()
            .unwrap()
            .event
            .is_some()
    );
    assert!(
        store
            .transfer_ticket("unknown", "a-1", "x", None, "", at(4))
            .await
            .unwrap()
            .is_none()
    );
}

async fn chat_messages_are_idempotent_and_refused_once_closed(store: &dyn Store) {
    agents(store, &["a-1", "a-2"]).await;
    let id = ticket(store, "u-1", 0).await;
    let hello = message(Sender::Customer, "在吗", "c-1", None);
    // Customers may write while queued; agents only while they hold the ticket.
    let Some(Appended::Stored(first)) = store.append_chat(&id, at(1), &hello, None).await.unwrap()
    else {
        panic!("stored");
    };
    assert_eq!(first.sequence, 2);
    let again = store.append_chat(&id, at(2), &hello, None).await.unwrap();
    assert_eq!(again, Some(Appended::Duplicate(first.clone())));
    let reply = message(Sender::Agent, "您好", "d-1", Some("a-1"));
    assert!(matches!(
        store
            .append_chat(&id, at(2), &reply, Some("a-1"))
            .await
            .unwrap(),
        Some(Appended::Refused(_))
    ));
    store.assign_ticket(&id, "a-1", at(3)).await.unwrap();
    assert!(matches!(
        store
            .append_chat(&id, at(4), &reply, Some("a-2"))
            .await
            .unwrap(),
        Some(Appended::Refused(_))
    ));
    assert!(
        matches!(store.append_chat(&id, at(4), &reply, Some("a-1")).await.unwrap(), Some(Appended::Stored(e)) if e.sequence == 4)
    );
    // Concurrent retries of one message store it once.
    let late = message(Sender::Customer, "好的", "c-2", None);
    let results = join_all((0..6).map(|_| store.append_chat(&id, at(5), &late, None))).await;
    let stored = results
        .iter()
        .filter(|r| matches!(r, Ok(Some(Appended::Stored(_)))))
        .count();
    let dups = results
        .iter()
        .filter(|r| matches!(r, Ok(Some(Appended::Duplicate(_)))))
        .count();
    assert_eq!((stored, dups), (1, 5), "{results:?}");
    let open = store.open_tickets().await.unwrap();
    assert_eq!(open[0].last_customer_message_at, Some(at(5)));
    store
        .close_ticket(&id, CloseReason::Resolved, "bye", at(6))
        .await
        .unwrap();
    let after = message(Sender::Customer, "还有", "c-3", None);
    assert!(
        matches!(store.append_chat(&id, at(7), &after, None).await.unwrap(), Some(Appended::Refused(t)) if t.status == TicketStatus::Closed)
    );
    assert!(
        store
            .append_chat("unknown", at(7), &after, None)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.open_tickets().await.unwrap().is_empty());
}

async fn open_tickets_come_back_in_service_order(store: &dyn Store) {
    agents(store, &["a-1"]).await;
    let old = ticket(store, "u-1", 0).await;
    let new = ticket(store, "u-2", 10).await;
    let mut urgent = escalation("k-u-3", "u-3");
    urgent.priority = 5;
    let urgent_id = uuid::Uuid::now_v7().to_string();
    store
        .create_ticket(&urgent_id, &urgent, &urgent.digest(), at(20))
        .await
        .unwrap();
    store.assign_ticket(&new, "a-1", at(30)).await.unwrap();
    let open = store.open_tickets().await.unwrap();
    let order: Vec<_> = open
        .iter()
        .map(|o| (o.ticket.ticket_id.clone(), o.ticket.status))
        .collect();
    assert_eq!(
        order,
        [
            (urgent_id, TicketStatus::Queued),
            (old, TicketStatus::Queued),
            (new, TicketStatus::WithAgent)
        ]
    );
    assert_eq!(open[2].last_customer_message_at, None);
}

async fn ratings_are_stored_once(store: &dyn Store) {
    agents(store, &["a-1"]).await;
    let id = ticket(store, "u-1", 0).await;
    assert!(store.rating(&id).await.unwrap().is_none());
    let rating = Rating {
        ticket_id: id.clone(),
        agent_id: "a-1".into(),
        score: 5,
        comment: "很满意".into(),
        rated_at: at(9),
    };
    assert_eq!(store.rate_ticket(&rating).await.unwrap(), rating);
    let second = Rating {
        score: 1,
        ..rating.clone()
    };
    assert_eq!(store.rate_ticket(&second).await.unwrap(), rating);
    assert_eq!(store.rating(&id).await.unwrap(), Some(rating));
}

async fn ticket_times_cover_the_window(store: &dyn Store) {
    agents(store, &["a-1"]).await;
    let served = ticket(store, "u-1", 0).await;
    store.assign_ticket(&served, "a-1", at(60)).await.unwrap();
    store
        .close_ticket(&served, CloseReason::Resolved, "ok", at(360))
        .await
        .unwrap();
    let left = ticket(store, "u-2", 0).await;
    store
        .close_ticket(&left, CloseReason::CustomerLeft, "left", at(100))
        .await
        .unwrap();
    ticket(store, "u-3", 50).await;
    let times = store.ticket_times(at(30)).await.unwrap();
    assert_eq!(
        times,
        [TicketTimes {
            entrance: Entrance::Consumer,
            skill: "orders".into(),
            created_at: at(0),
            assigned_at: Some(at(60)),
            closed_at: Some(at(360)),
        }]
    );
    assert_eq!(store.ticket_times(at(200)).await.unwrap().len(), 1);
    assert!(store.ticket_times(at(400)).await.unwrap().is_empty());
}

async fn flagged_agent_messages_are_counted_per_agent(store: &dyn Store) {
    agents(store, &["a-1", "a-2"]).await;
    assert!(store.flag_counts().await.unwrap().is_empty());
    let flagged = |text: &str, id: &str, agent: &str| {
        let mut kind = message(Sender::Agent, text, id, Some(agent));
        if let EventKind::Message { flagged_terms, .. } = &mut kind {
            flagged_terms.push("傻逼".into());
        }
        kind
    };
    for (customer, agent) in [("u-1", "a-1"), ("u-2", "a-2")] {
        let id = ticket(store, customer, 0).await;
        store.assign_ticket(&id, agent, at(1)).await.unwrap();
        let clean = message(Sender::Agent, "您好", &format!("{agent}-0"), Some(agent));
        store
            .append_chat(&id, at(2), &clean, Some(agent))
            .await
            .unwrap();
        let bad = flagged("傻逼", &format!("{agent}-1"), agent);
        store
            .append_chat(&id, at(3), &bad, Some(agent))
            .await
            .unwrap();
        // A retry is stored once, so it counts once.
        store
            .append_chat(&id, at(4), &bad, Some(agent))
            .await
            .unwrap();
        if agent == "a-1" {
            let worse = flagged("傻逼!!", "a-1-2", agent);
            store
                .append_chat(&id, at(5), &worse, Some(agent))
                .await
                .unwrap();
        }
    }
    let counts = store.flag_counts().await.unwrap();
    assert_eq!(counts.len(), 2, "{counts:?}");
    assert_eq!((counts["a-1"], counts["a-2"]), (2, 1));
    // Replayed for a supervisor who reconnects: oldest first, from an instant, limited.
    let texts = |events: Vec<crate::domain::TicketEvent>| -> Vec<(SystemTime, String)> {
        events
            .into_iter()
            .map(|e| match e.kind {
                EventKind::Message { text, .. } => (e.at, text),
                other => panic!("not a message: {other:?}"),
            })
            .collect()
    };
    let all = texts(store.flagged_since(at(0), 10).await.unwrap());
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(all.windows(2).all(|w| w[0].0 <= w[1].0), "{all:?}");
    let later = texts(store.flagged_since(at(5), 10).await.unwrap());
    assert_eq!(later, vec![(at(5), "傻逼!!".to_owned())]);
    assert_eq!(store.flagged_since(at(0), 1).await.unwrap().len(), 1);
}

/// Messages sent at once share commits (group commit): each is still stored exactly once,
/// each ticket's sequence has no gap, callers are told what is stored, and a refused message (a closed ticket) in the same batch fails nobody else.
async fn concurrent_messages_share_commits_without_gaps(store: &dyn Store) {
    agents(store, &["a-1"]).await;
    let open = [ticket(store, "u-1", 0).await, ticket(store, "u-2", 0).await];
    let closed = ticket(store, "u-3", 0).await;
    store
        .close_ticket(&closed, CloseReason::Resolved, "bye", at(1))
        .await
        .unwrap();
    let sends = (0..10).flat_map(|n| {
        let open = &open;
        let closed = &closed;
        [&open[0], &open[1], closed].into_iter().map(move |id| {
            let kind = message(Sender::Customer, &format!("m{n}"), &format!("c-{n}"), None);
            async move { (id.clone(), store.append_chat(id, at(2), &kind, None).await) }
        })
    });
    let results = join_all(sends).await;
    for id in &open {
        let mut mine: Vec<_> = results
            .iter()
            .filter(|(t, _)| t == id)
            .map(|(_, r)| match r {
                Ok(Some(Appended::Stored(e))) => e.clone(),
                other => panic!("stored on the open ticket, got {other:?}"),
            })
            .collect();
        mine.sort_by_key(|e| e.sequence);
        let sequences: Vec<u64> = mine.iter().map(|e| e.sequence).collect();
        assert_eq!(sequences, (2..12).collect::<Vec<_>>(), "each once, no gaps");
        let stored = store.events_after(id, 1).await.unwrap();
        assert_eq!(stored, mine, "what callers were told is what is stored");
    }
    assert!(
        results
            .iter()
            .filter(|(t, _)| *t == closed)
            .all(|(_, r)| matches!(r, Ok(Some(Appended::Refused(_))))),
        "the closed ticket refuses every message"
    );
}

store_suite!(
    flagged_agent_messages_are_counted_per_agent,
    assignment_is_guarded,
    transfers_requeue_for_a_skill_or_an_agent,
    chat_messages_are_idempotent_and_refused_once_closed,
    open_tickets_come_back_in_service_order,
    ratings_are_stored_once,
    ticket_times_cover_the_window,
    concurrent_messages_share_commits_without_gaps,
);
