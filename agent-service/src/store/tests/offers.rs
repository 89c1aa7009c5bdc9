//! The shared-offers half of the store suite (offers are rows when replicas share the
//! database): one accept wins among concurrent ones, an offer acts only while open, the
//! agent's and unexpired, and a takeover ends whatever was left open.

use futures_util::future::join;

use super::chat::{agents, at, ticket};
use crate::{
    domain::{
        TicketStatus,
        routing::{Offer, OfferProblem, state::EXPIRED},
    },
    store::{Store, Taken},
};

fn offer(id: &str, ticket_id: &str, agent: &str, expires: u64) -> Offer {
    Offer {
        offer_id: id.into(),
        ticket_id: ticket_id.into(),
        agent_id: agent.into(),
        expires_at: at(expires),
    }
}

fn refused(taken: Taken) -> OfferProblem {
    match taken {
        Taken::Refused(p) => p,
        Taken::Accepted(offer, _) => panic!("expected a refusal, {offer:?} was accepted"),
    }
}

async fn one_of_two_concurrent_accepts_wins(store: &dyn Store) {
    agents(store, &["a-1", "a-2"]).await;
    let t = ticket(store, "c-1", 1).await;
    // Two routing replicas for a moment (a takeover race): one offer each.
    let offers = [offer("o-1", &t, "a-1", 60), offer("o-2", &t, "a-2", 60)];
    store.record_offers(&offers, at(2)).await.unwrap();
    assert_eq!(store.open_offers().await.unwrap().len(), 2);
    let (first, second) = join(
        store.accept_offer("o-1", "a-1", at(3)),
        store.accept_offer("o-2", "a-2", at(3)),
    )
    .await;
    let joined: Vec<_> = [first.unwrap(), second.unwrap()]
        .into_iter()
        .filter_map(|taken| match taken {
            Taken::Accepted(o, moved)
                if moved.as_ref().as_ref().is_some_and(|m| m.event.is_some()) =>
            {
                Some(o.agent_id)
            }
            _ => None,
        })
        .collect();
    assert_eq!(joined.len(), 1, "exactly one accept wins");
    let stored = store.ticket(&t).await.unwrap().unwrap();
    assert_eq!(stored.status, TicketStatus::WithAgent);
    assert_eq!(stored.agent.unwrap().agent_id, joined[0]);
    assert!(store.open_offers().await.unwrap().is_empty());
    // A retried accept is told the offer is over.
    let again = store.accept_offer("o-1", "a-1", at(4)).await.unwrap();
    assert!(matches!(refused(again), OfferProblem::Ended(_)));
}

async fn an_offer_acts_only_while_open_theirs_and_unexpired(store: &dyn Store) {
    agents(store, &["a-1", "a-2"]).await;
    let (t1, t2) = (ticket(store, "c-1", 1).await, ticket(store, "c-2", 2).await);
    let offers = [offer("o-1", &t1, "a-1", 30), offer("o-2", &t2, "a-2", 30)];
    store.record_offers(&offers, at(3)).await.unwrap();
    let not_yours = store.accept_offer("o-1", "a-2", at(4)).await.unwrap();
    assert_eq!(refused(not_yours), OfferProblem::NotYours);
    let unknown = store.accept_offer("o-9", "a-1", at(4)).await.unwrap();
    assert_eq!(refused(unknown), OfferProblem::Unknown);
    let late = store.accept_offer("o-1", "a-1", at(31)).await.unwrap();
    assert_eq!(refused(late), OfferProblem::Ended(EXPIRED.into()));
    // Declined once; a second decline or an accept is refused.
    let declined = store.decline_offer("o-2", "a-2", "it was declined", at(5));
    assert_eq!(declined.await.unwrap().unwrap().ticket_id, t2);
    let twice = store.decline_offer("o-2", "a-2", "it was declined", at(6));
    assert_eq!(
        twice.await.unwrap().unwrap_err(),
        OfferProblem::Ended("it was declined".into())
    );
    let after = store.accept_offer("o-2", "a-2", at(6)).await.unwrap();
    assert!(matches!(refused(after), OfferProblem::Ended(_)));
    assert_eq!(
        store.ticket(&t2).await.unwrap().unwrap().status,
        TicketStatus::Queued
    );
}

async fn a_takeover_ends_every_open_offer(store: &dyn Store) {
    agents(store, &["a-1", "a-2"]).await;
    let (t1, t2) = (ticket(store, "c-1", 1).await, ticket(store, "c-2", 2).await);
    let offers = [offer("o-1", &t1, "a-1", 30), offer("o-2", &t2, "a-2", 30)];
    store.record_offers(&offers, at(3)).await.unwrap();
    let ended = [(offers[0].clone(), "the customer left".to_owned())];
    assert_eq!(store.end_offers(&ended, at(4)).await.unwrap(), 1);
    assert_eq!(
        store.end_offers(&ended, at(5)).await.unwrap(),
        0,
        "ends once"
    );
    assert_eq!(store.open_offers().await.unwrap(), vec![offers[1].clone()]);
    assert_eq!(store.end_open_offers("taken over", at(6)).await.unwrap(), 1);
    assert!(store.open_offers().await.unwrap().is_empty());
    let late = store.accept_offer("o-2", "a-2", at(7)).await.unwrap();
    assert_eq!(refused(late), OfferProblem::Ended("taken over".into()));
    let seen = store.routed_ticket(&t2).await.unwrap().unwrap();
    assert_eq!((seen.ticket.ticket_id, seen.target_agent_id), (t2, None));
    assert!(store.routed_ticket("nope").await.unwrap().is_none());
}

store_suite!(
    one_of_two_concurrent_accepts_wins,
    an_offer_acts_only_while_open_theirs_and_unexpired,
    a_takeover_ends_every_open_offer,
);
