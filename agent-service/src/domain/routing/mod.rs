//! Routing: who gets which waiting ticket. The [`Dispatcher`] owns the in-memory
//! [`Routing`] state (offers are ephemeral, with expiry times from the clock), decides
//! with the pure rules in [`plan`], and makes every assignment durable with a guarded
//! store update, so two agents can never hold a ticket even under races. After a restart
//! it rebuilds itself from the store; offers outstanding at the crash are simply made
//! again.

pub mod moves;
pub mod plan;
pub mod state;
pub mod sweeper;
pub mod views;

use std::{future::Future, sync::Arc, time::Duration};

use server_kit::clock::SharedClock;
use tokio::sync::Mutex;

pub use plan::estimate_wait;
pub use state::{Lapsed, Offer, OfferProblem, Routing, Waiting};
pub use views::{HandlingWindow, QueueSnapshot};

use super::{
    Agent, DomainError, Presence, Ticket, TicketStatus,
    hub::{Hub, Notice},
};
use crate::store::{Store, Transition};

/// How long an offer stays open unless configured otherwise.
pub const DEFAULT_OFFER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a conversation may go without a customer message unless configured otherwise.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Routing's knobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoutingSettings {
    /// How long an agent has to accept an offer.
    pub offer_timeout: Duration,
    /// A conversation without a customer message for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for RoutingSettings {
    fn default() -> Self {
        Self {
            offer_timeout: DEFAULT_OFFER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

/// The router. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    clock: SharedClock,
    hub: Hub,
    settings: RoutingSettings,
    state: Mutex<Routing>,
    handling: std::sync::Mutex<HandlingWindow>,
}

/// Runs a state change to completion even if the caller goes away (tonic drops handlers
/// whose client hung up), so memory and store never disagree half-way.
async fn detached<T: Send + 'static>(
    work: impl Future<Output = Result<T, DomainError>> + Send + 'static,
) -> Result<T, DomainError> {
    tokio::spawn(work)
        .await
        .map_err(|e| DomainError::Internal(format!("a routing task failed: {e}")))?
}

fn waiting_of(ticket: &Ticket, target: Option<String>) -> Waiting {
    Waiting {
        ticket_id: ticket.ticket_id.clone(),
        entrance: ticket.entrance,
        skill: ticket.skill.clone(),
        priority: ticket.priority,
        since: ticket.created_at,
        target,
    }
}

fn offer_error(offer_id: &str, problem: OfferProblem) -> DomainError {
    match problem {
        OfferProblem::Unknown => DomainError::NotFound(format!("no offer '{offer_id}'")),
        OfferProblem::NotYours => {
            DomainError::Forbidden(format!("offer {offer_id} was made to another agent"))
        }
        OfferProblem::Ended(why) => {
            DomainError::WrongState(format!("offer {offer_id} is no longer open: {why}"))
        }
    }
}

impl Dispatcher {
    /// A dispatcher over `store`, timed by `clock`, posting to `hub`. Empty until
    /// [`Dispatcher::rebuild`].
    pub fn new(
        store: Arc<dyn Store>,
        clock: SharedClock,
        hub: Hub,
        settings: RoutingSettings,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                clock,
                hub,
                settings,
                state: Mutex::new(Routing::new(settings.offer_timeout)),
                handling: std::sync::Mutex::new(HandlingWindow::default()),
            }),
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> RoutingSettings {
        self.inner.settings
    }

    /// The notice board streams listen to.
    pub fn hub(&self) -> &Hub {
        &self.inner.hub
    }

    /// Reloads agents, waiting tickets (in their order) and open conversations from the
    /// store, then routes.
    pub async fn rebuild(&self) -> Result<(), DomainError> {
        let store = &self.inner.store;
        let now = self.inner.clock.now();
        let agents = store.agents().await?;
        let open = store.open_tickets().await?;
        let recent = store.ticket_times(now - views::HANDLING_WINDOW).await?;
        self.handling().load(&recent);
        let mut state = self.inner.state.lock().await;
        *state = Routing::new(self.inner.settings.offer_timeout);
        for agent in &agents {
            state.upsert_agent(agent, now);
        }
        let (mut queued, mut held) = (0, 0);
        for o in open {
            let t = &o.ticket;
            match (t.status, &t.agent) {
                (TicketStatus::WithAgent, Some(agent)) => {
                    let since = t.assigned_at.unwrap_or(t.created_at);
                    let active = o.last_customer_message_at.map_or(since, |m| m.max(since));
                    state.hold(&t.ticket_id, &agent.agent_id, active);
                    held += 1;
                }
                _ => {
                    state.enqueue(waiting_of(t, o.target_agent_id));
                    queued += 1;
                }
            }
        }
        tracing::info!(agents = agents.len(), queued, held, "routing rebuilt");
        self.route(&mut state).await;
        Ok(())
    }

    /// Queues a newly stored ticket and routes.
    pub async fn enqueue(&self, ticket: &Ticket) {
        let mut state = self.inner.state.lock().await;
        state.enqueue(waiting_of(ticket, None));
        self.route(&mut state).await;
        self.inner.hub.post(Notice::QueuesMoved);
    }

    /// The agent takes the offered ticket: it is theirs once the store says so.
    pub async fn accept(&self, agent_id: &str, offer_id: &str) -> Result<Ticket, DomainError> {
        let (this, agent_id, offer_id) = (self.clone(), agent_id.to_owned(), offer_id.to_owned());
        detached(async move {
            let mut state = this.inner.state.lock().await;
            let now = this.inner.clock.now();
            this.expire(&mut state, now).await;
            let offer = state
                .check_offer(&agent_id, &offer_id)
                .map_err(|p| offer_error(&offer_id, p))?
                .clone();
            let assigned = this
                .inner
                .store
                .assign_ticket(&offer.ticket_id, &agent_id, now)
                .await?;
            let result = match assigned {
                Some(Transition {
                    ticket,
                    event: Some(event),
                }) => {
                    state.accepted(&offer_id, now);
                    this.inner.hub.event(event);
                    tracing::info!(ticket = %offer.ticket_id, agent = %agent_id, "offer accepted");
                    Ok(ticket)
                }
                other => {
                    // Closed or taken meanwhile: it no longer waits.
                    state.remove(&offer.ticket_id);
                    Err(match other {
                        Some(t) => DomainError::WrongState(format!(
                            "ticket {} is {} now and can no longer be accepted",
                            offer.ticket_id, t.ticket.status
                        )),
                        None => DomainError::NotFound(format!("no ticket '{}'", offer.ticket_id)),
                    })
                }
            };
            this.route(&mut state).await;
            this.inner.hub.post(Notice::QueuesMoved);
            result
        })
        .await
    }

    /// The agent passes on the offer: it goes to the next agent.
    pub async fn decline(&self, agent_id: &str, offer_id: &str) -> Result<(), DomainError> {
        let (this, agent_id, offer_id) = (self.clone(), agent_id.to_owned(), offer_id.to_owned());
        detached(async move {
            let mut state = this.inner.state.lock().await;
            let now = this.inner.clock.now();
            this.expire(&mut state, now).await;
            state
                .check_offer(&agent_id, &offer_id)
                .map_err(|p| offer_error(&offer_id, p))?;
            let lapsed = state.decline(&offer_id, now);
            this.settle(&mut state, lapsed).await;
            tracing::info!(offer = %offer_id, agent = %agent_id, "offer declined");
            this.route(&mut state).await;
            Ok(())
        })
        .await
    }

    /// Records the agent's presence and routes (an agent who leaves loses their offer).
    pub async fn set_presence(
        &self,
        agent_id: &str,
        presence: Presence,
    ) -> Result<Agent, DomainError> {
        let (this, agent_id) = (self.clone(), agent_id.to_owned());
        detached(async move {
            let mut state = this.inner.state.lock().await;
            let now = this.inner.clock.now();
            let agent = this
                .inner
                .store
                .set_presence(&agent_id, presence, now)
                .await?
                .ok_or_else(|| {
                    DomainError::NotFound(format!(
                        "no agent '{agent_id}': ask a supervisor to add you to the roster"
                    ))
                })?;
            this.apply_agent(&mut state, &agent).await;
            Ok(agent)
        })
        .await
    }

    /// Takes a changed profile (or presence) into account.
    pub async fn refresh_agent(&self, agent: &Agent) {
        let mut state = self.inner.state.lock().await;
        self.apply_agent(&mut state, agent).await;
    }

    async fn apply_agent(&self, state: &mut Routing, agent: &Agent) {
        let now = self.inner.clock.now();
        let lapsed = state.upsert_agent(agent, now);
        self.settle(state, lapsed).await;
        self.route(state).await;
        let agent_id = agent.profile.agent_id.clone();
        self.inner.hub.post(Notice::AgentChanged { agent_id });
        self.inner.hub.post(Notice::QueuesMoved);
    }

    /// Expires lapsed offers, then makes new ones.
    async fn route(&self, state: &mut Routing) {
        let now = self.inner.clock.now();
        self.expire(state, now).await;
        for offer in state.plan(now, || uuid::Uuid::now_v7().to_string()) {
            tracing::info!(ticket = %offer.ticket_id, agent = %offer.agent_id, "ticket offered");
            self.inner.hub.post(Notice::Offered {
                agent_id: offer.agent_id,
                offer_id: offer.offer_id,
                ticket_id: offer.ticket_id,
                expires_at: offer.expires_at,
            });
        }
    }

    /// Persists and announces what lapsed offers did. A store failure here is logged: the
    /// agent stays AWAY in memory and the next presence change is stored again.
    /// Ends the offers whose time ran out at `now` and tells whoever they concern.
    async fn expire(&self, state: &mut Routing, now: std::time::SystemTime) {
        let lapsed = state.expire(now);
        self.settle(state, lapsed).await;
    }

    async fn settle(&self, state: &mut Routing, lapsed: Lapsed) {
        let now = self.inner.clock.now();
        let hub = &self.inner.hub;
        for (offer, reason) in lapsed.withdrawn {
            hub.post(Notice::Withdrawn {
                agent_id: offer.agent_id,
                offer_id: offer.offer_id,
                reason: reason.to_owned(),
            });
        }
        for ticket_id in lapsed.untargeted {
            if let Err(e) = self.inner.store.clear_target(&ticket_id).await {
                tracing::error!(ticket = %ticket_id, error = %e, "could not open a transfer to the queue");
            }
        }
        for agent_id in lapsed.now_away {
            tracing::info!(agent = %agent_id, "agent missed two offers in a row: set away");
            match self
                .inner
                .store
                .set_presence(&agent_id, Presence::Away, now)
                .await
            {
                Ok(Some(agent)) => {
                    state.upsert_agent(&agent, now);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(agent = %agent_id, error = %e, "could not store presence")
                }
            }
            hub.post(Notice::AgentChanged { agent_id });
            hub.post(Notice::QueuesMoved);
        }
    }

    fn handling(&self) -> std::sync::MutexGuard<'_, HandlingWindow> {
        self.inner
            .handling
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
