//! Making and ending offers, and what follows from it. Everything that needs the routing
//! lock here is synchronous (decide, announce to the streams concerned); the store writes
//! that follow (an agent set AWAY after missed offers, a named transfer opened to the
//! whole queue) are returned as pending and written after the lock is released, so no
//! routing decision ever waits on a database round trip.

use std::time::SystemTime;

use super::{Dispatcher, Lapsed, Offer, Routing, state};
use crate::{
    domain::{DomainError, Presence, Ticket, hub::AgentNotice},
    store::Transition,
};

impl Dispatcher {
    /// Expires lapsed offers, then makes new ones; returns the store writes that follow.
    pub(super) fn route(&self, state: &mut Routing) -> Lapsed {
        if !self.routes_here() {
            return Lapsed::default();
        }
        let now = self.inner.clock.now();
        let mut pending = self.expire(state, now);
        for offer in state.plan(now, || uuid::Uuid::now_v7().to_string()) {
            tracing::info!(ticket = %offer.ticket_id, agent = %offer.agent_id, "ticket offered");
            self.inner.metrics.offer_made();
            if self.shared() {
                // Told once stored, by the feed, on whichever replica the agent is.
                pending.made.push(offer);
                continue;
            }
            self.inner.hub.agent(
                &offer.agent_id,
                AgentNotice::Offered {
                    offer_id: offer.offer_id,
                    ticket_id: offer.ticket_id,
                    expires_at: offer.expires_at,
                },
            );
        }
        pending
    }

    /// Ends the offers whose time ran out at `now` and tells whoever they concern;
    /// returns the store writes that follow.
    pub(super) fn expire(&self, state: &mut Routing, now: SystemTime) -> Lapsed {
        let lapsed = state.expire(now);
        self.announce(lapsed)
    }

    /// Tells agents about their ended offers; returns what is left to store (and to tell
    /// once stored).
    pub(super) fn announce(&self, mut lapsed: Lapsed) -> Lapsed {
        let hub = &self.inner.hub;
        let withdrawn = std::mem::take(&mut lapsed.withdrawn);
        for (offer, reason) in &withdrawn {
            self.inner.metrics.offer_ended(match *reason {
                state::DECLINED => "declined",
                state::EXPIRED => "expired",
                _ => "withdrawn",
            });
            if self.shared() {
                continue;
            }
            hub.agent(
                &offer.agent_id,
                AgentNotice::Withdrawn {
                    offer_id: offer.offer_id.clone(),
                    reason: (*reason).to_owned(),
                },
            );
        }
        if self.shared() {
            // Ended in the store (and told by the feed) when persisted.
            lapsed.withdrawn = withdrawn;
        }
        for agent_id in &lapsed.now_away {
            tracing::info!(agent = %agent_id, "agent missed two offers in a row: set away");
        }
        if !lapsed.now_away.is_empty() {
            self.queues_moved();
        }
        lapsed
    }

    /// Stores what lapsed offers did; call without the routing lock. A failure is logged:
    /// routing already acts on it in memory, and the next change is stored again.
    pub(super) async fn persist(&self, pending: Lapsed) {
        let store = &self.inner.store;
        if self.shared() {
            self.persist_offers(&pending).await;
        }
        for ticket_id in pending.untargeted {
            if let Err(e) = store.clear_target(&ticket_id).await {
                tracing::error!(ticket = %ticket_id, error = %e, "could not open a transfer to the queue");
            }
        }
        let now = self.inner.clock.now();
        for agent_id in pending.now_away {
            if let Err(e) = store.set_presence(&agent_id, Presence::Away, now).await {
                tracing::error!(agent = %agent_id, error = %e, "could not store presence");
            }
            // Told once stored: the desk reads the agent back from the store.
            self.inner.hub.agent(&agent_id, AgentNotice::Changed);
            self.tell_replicas(&agent_id).await;
        }
    }

    /// Among replicas: ends the offers that ended here and records those made here.
    async fn persist_offers(&self, pending: &Lapsed) {
        let (store, now) = (&self.inner.store, self.inner.clock.now());
        if !pending.withdrawn.is_empty() {
            let ended: Vec<_> = pending
                .withdrawn
                .iter()
                .map(|(offer, why)| (offer.clone(), (*why).to_owned()))
                .collect();
            if let Err(e) = store.end_offers(&ended, now).await {
                tracing::error!(error = %e, "could not store ended offers");
            }
        }
        if !pending.made.is_empty()
            && let Err(e) = store.record_offers(&pending.made, now).await
        {
            tracing::error!(error = %e, "could not store new offers; they lapse unseen");
        }
    }

    /// Applies what the store's guarded assignment of an accepted offer did (the ticket
    /// as it is now, with `agent_joined` when the agent got it; `None`: no such ticket):
    /// the caller's answer, and what ended on the way.
    pub(super) fn took(
        &self,
        state: &mut Routing,
        offer: &Offer,
        moved: Option<Transition>,
        now: SystemTime,
    ) -> (Result<Ticket, DomainError>, Lapsed) {
        match moved {
            Some(Transition {
                ticket,
                event: Some(event),
            }) => {
                let lapsed = state.assigned(offer, now);
                self.inner.hub.event(event);
                self.inner.metrics.offer_ended("accepted");
                tracing::info!(ticket = %offer.ticket_id, agent = %offer.agent_id, "offer accepted");
                (Ok(ticket), lapsed)
            }
            // Closed, or taken by someone else meanwhile.
            Some(other) => {
                let lapsed = state.lost(offer, Some(&other.ticket));
                let e = DomainError::WrongState(format!(
                    "ticket {} is {} now and can no longer be accepted",
                    offer.ticket_id, other.ticket.status
                ));
                (Err(e), lapsed)
            }
            None => {
                let e = DomainError::NotFound(format!("no ticket '{}'", offer.ticket_id));
                (Err(e), state.remove(&offer.ticket_id))
            }
        }
    }
}
