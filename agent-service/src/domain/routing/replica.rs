//! Routing when several agent-service replicas share one PostgreSQL database. Every
//! replica keeps a copy of the routing state, following what it hears from the store's
//! feed (tickets re-read when their state moved, agents re-read when they changed, offers
//! as made and ended); exactly one replica, the holder of a database lock, makes offers,
//! expires them and runs the idle sweep. Offers are rows: any replica accepts or declines
//! one with a guarded statement, so exactly one accept wins wherever it lands. A new
//! routing replica ends the offers its predecessor left open and offers afresh.

use std::{collections::HashSet, sync::atomic::Ordering, time::SystemTime};

use super::{Dispatcher, OfferProblem, detached, offer_error, state};
use crate::{
    domain::{DomainError, Ticket, hub::AgentNotice},
    store::Taken,
};

/// What a stored ticket event means for routing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The ticket changed state (queued, taken, transferred, closed): re-read it.
    State,
    /// The customer wrote: the conversation is not idle.
    CustomerMessage,
    /// Nothing routing follows (an agent's message).
    Other,
}

/// What a replica hears from the store's feed (its own changes included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Heard {
    /// An event was stored.
    Stored {
        /// The ticket.
        ticket_id: String,
        /// The event's sequence number.
        sequence: u64,
        /// The agent who joined, for an agent-joined event.
        joined: Option<String>,
        /// What it means for routing.
        change: Change,
    },
    /// The routing replica offered a ticket to an agent.
    Offered(super::Offer),
    /// An offer ended (declined, expired, withdrawn, accepted elsewhere).
    OfferEnded {
        /// The offer.
        offer_id: String,
        /// The agent it was made to.
        agent_id: String,
        /// Why.
        reason: String,
    },
    /// An agent's presence or profile changed: re-read them.
    AgentChanged(String),
    /// Notices may have been missed: re-read the store.
    Gap,
}

/// Why open offers end when another replica takes over routing.
const TAKEN_OVER: &str = "routing moved to another replica";

impl Dispatcher {
    /// Whether replicas share the store (offers are rows, one replica routes).
    pub(super) fn shared(&self) -> bool {
        self.inner.settings.replicas
    }

    /// Whether this replica makes offers and runs the time-based rules: always alone,
    /// only while holding the routing lock among replicas.
    pub fn routes_here(&self) -> bool {
        !self.shared() || self.inner.leading.load(Ordering::SeqCst)
    }

    /// Among replicas: tells the others that the agent changed (they re-read them).
    pub(super) async fn tell_replicas(&self, agent_id: &str) {
        if self.shared()
            && let Err(e) = self.inner.store.announce_agent(agent_id).await
        {
            tracing::warn!(agent = %agent_id, error = %e, "could not tell the other replicas");
        }
    }

    /// Starts (or stops) being the replica that routes. Starting ends the offers the
    /// previous one left open, rebuilds from the store and routes.
    pub async fn lead(&self, leading: bool) -> Result<(), DomainError> {
        if !leading {
            self.inner.leading.store(false, Ordering::SeqCst);
            tracing::warn!("no longer the routing replica");
            return Ok(());
        }
        let ended = self
            .inner
            .store
            .end_open_offers(TAKEN_OVER, self.inner.clock.now())
            .await?;
        self.inner.leading.store(true, Ordering::SeqCst);
        tracing::info!(ended, "this replica routes now");
        self.rebuild().await
    }

    /// Takes an offer among replicas: the guarded accept in the store decides.
    pub(super) async fn accept_shared(
        &self,
        agent_id: &str,
        offer_id: &str,
    ) -> Result<Ticket, DomainError> {
        let now = self.inner.clock.now();
        let taken = self
            .inner
            .store
            .accept_offer(offer_id, agent_id, now)
            .await?;
        let (offer, moved) = match taken {
            Taken::Refused(problem) => return Err(offer_error(offer_id, problem)),
            Taken::Accepted(offer, moved) => (offer, moved),
        };
        let mut state = self.inner.state.lock().await;
        let (result, lapsed) = self.took(&mut state, &offer, *moved, now);
        let mut pending = self.announce(lapsed);
        pending.absorb(self.route(&mut state));
        drop(state);
        self.queues_moved();
        self.persist(pending).await;
        result
    }

    /// Passes on an offer among replicas: the guarded decline in the store decides.
    pub(super) async fn decline_shared(
        &self,
        agent_id: &str,
        offer_id: &str,
    ) -> Result<(), DomainError> {
        let now = self.inner.clock.now();
        let declined = self
            .inner
            .store
            .decline_offer(offer_id, agent_id, state::DECLINED, now)
            .await?;
        let offer = declined.map_err(|p: OfferProblem| offer_error(offer_id, p))?;
        let mut state = self.inner.state.lock().await;
        state.decline(&offer.offer_id, now);
        tracing::info!(offer = %offer_id, agent = %agent_id, "offer declined");
        let pending = self.route(&mut state);
        drop(state);
        self.persist(pending).await;
        Ok(())
    }

    /// Follows what this replica heard from the store's feed: streams get their hints,
    /// the routing copy re-reads what moved, and the routing replica routes.
    pub async fn heard(&self, batch: Vec<Heard>) {
        let this = self.clone();
        let _ = detached("routing.heard", async move {
            this.follow_heard(batch).await;
            Ok(())
        })
        .await;
    }

    async fn follow_heard(&self, batch: Vec<Heard>) {
        let (mut tickets, mut agents, mut gap) = (HashSet::new(), HashSet::new(), false);
        for item in &batch {
            match item {
                Heard::Stored {
                    ticket_id, change, ..
                } if *change == Change::State => {
                    tickets.insert(ticket_id.as_str());
                }
                Heard::AgentChanged(agent_id) => {
                    agents.insert(agent_id.clone());
                }
                Heard::Gap => gap = true,
                _ => {}
            }
        }
        if gap {
            if let Err(e) = self.rebuild().await {
                tracing::error!(error = %e, "could not rebuild routing after a gap in the feed");
            }
        } else {
            self.follow_store(&batch, tickets, agents).await;
        }
        // Streams hear of it once routing's copy holds it (an offer shown is one routing
        // knows, so taking it at once finds it there).
        self.post(batch);
    }

    /// Posts what was heard to the streams concerned.
    fn post(&self, batch: Vec<Heard>) {
        let hub = &self.inner.hub;
        for item in batch {
            match item {
                Heard::Stored {
                    ticket_id,
                    sequence,
                    joined,
                    ..
                } => hub.stored(&ticket_id, sequence, joined.as_deref()),
                Heard::Offered(offer) => hub.agent(
                    &offer.agent_id,
                    AgentNotice::Offered {
                        offer_id: offer.offer_id,
                        ticket_id: offer.ticket_id,
                        expires_at: offer.expires_at,
                    },
                ),
                // The agent who declined knows.
                Heard::OfferEnded { reason, .. } if reason == state::DECLINED => {}
                Heard::OfferEnded {
                    offer_id,
                    agent_id,
                    reason,
                } => hub.agent(&agent_id, AgentNotice::Withdrawn { offer_id, reason }),
                Heard::AgentChanged(agent_id) => hub.agent(&agent_id, AgentNotice::Changed),
                Heard::Gap => hub.resync_all(),
            }
        }
    }

    /// Re-reads the tickets and agents that moved, then applies the batch in order.
    async fn follow_store(&self, batch: &[Heard], tickets: HashSet<&str>, agents: HashSet<String>) {
        let store = &self.inner.store;
        let mut stored = std::collections::HashMap::new();
        for ticket_id in tickets {
            match store.routed_ticket(ticket_id).await {
                Ok(open) => {
                    stored.insert(ticket_id, open);
                }
                Err(e) => {
                    tracing::warn!(ticket = %ticket_id, error = %e, "could not follow a ticket")
                }
            }
        }
        let mut fresh_agents = Vec::new();
        for agent_id in &agents {
            match store.agent(agent_id).await {
                Ok(Some(agent)) => fresh_agents.push(agent),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(agent = %agent_id, error = %e, "could not follow an agent")
                }
            }
        }
        let now = self.inner.clock.now();
        let mut state = self.inner.state.lock().await;
        let mut lapsed = state::Lapsed::default();
        for agent in &fresh_agents {
            lapsed.absorb(state.upsert_agent(agent, now));
        }
        for item in batch {
            match item {
                Heard::Stored {
                    ticket_id, change, ..
                } => match change {
                    Change::CustomerMessage => state.touch(ticket_id, now),
                    Change::State => {
                        if let Some(open) = stored.remove(ticket_id.as_str()) {
                            lapsed.absorb(self.follow_ticket(&mut state, ticket_id, open, now));
                        }
                    }
                    Change::Other => {}
                },
                Heard::Offered(offer) => state.adopt_offer(offer.clone()),
                Heard::OfferEnded {
                    offer_id, reason, ..
                } => state.offer_ended_elsewhere(offer_id, reason == state::DECLINED, now),
                Heard::AgentChanged(_) | Heard::Gap => {}
            }
        }
        let mut pending = self.announce(lapsed);
        pending.absorb(self.route(&mut state));
        drop(state);
        self.queues_moved();
        self.persist(pending).await;
    }

    fn follow_ticket(
        &self,
        state: &mut state::Routing,
        ticket_id: &str,
        open: Option<crate::store::OpenTicket>,
        now: SystemTime,
    ) -> state::Lapsed {
        let Some(open) = open else {
            return state.follow(ticket_id, None, now);
        };
        let ticket = &open.ticket;
        if ticket.status == crate::domain::TicketStatus::Closed
            && state.chat(ticket_id).is_some()
            && let Some(assigned) = ticket.assigned_at
        {
            self.handling()
                .record(ticket, assigned, ticket.closed_at.unwrap_or(now));
            state.estimates_changed();
        }
        let waiting = super::waiting_of(ticket, open.target_agent_id.clone());
        state.follow(ticket_id, Some((ticket, waiting)), now)
    }
}
