//! Routing: who gets which waiting ticket. The [`Dispatcher`] owns the in-memory
//! [`Routing`] state (offers are ephemeral, with expiry times from the clock), decides
//! with the pure rules in [`plan`], and makes every assignment durable with a guarded
//! store update, so two agents can never hold a ticket even under races. After a restart
//! it rebuilds itself from the store; offers outstanding at the crash are simply made
//! again.

pub mod moves;
pub mod plan;
pub mod positions;
pub mod replica;
mod settle;
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
    hub::{AgentNotice, Hub},
};
use crate::{metrics::AgentMetrics, store::Store};

/// How long an offer stays open unless configured otherwise.
pub const DEFAULT_OFFER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a conversation may go without a customer message unless configured otherwise.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// How long a ticket waits for its own skill before the fallback skill may take it,
/// unless configured otherwise.
pub const DEFAULT_OVERFLOW_AFTER: Duration = Duration::from_secs(2 * 60);

/// Routing's knobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutingSettings {
    /// How long an agent has to accept an offer.
    pub offer_timeout: Duration,
    /// A conversation without a customer message for this long is closed.
    pub idle_timeout: Duration,
    /// Other replicas share the store: what this replica's memory knows of open
    /// tickets is not the whole truth, so lookups go to the store.
    pub replicas: bool,
    /// A ticket waiting this long may go to its entrance's fallback skill too
    /// ([`plan::FALLBACK_SKILL`]); `None`: never.
    pub overflow_after: Option<Duration>,
    /// Skills tickets may be queued for even before an agent has them (the robot's
    /// catalogue hands off to these); any skill of an agent in the roster counts too.
    pub skills: Vec<String>,
}

impl Default for RoutingSettings {
    fn default() -> Self {
        Self {
            offer_timeout: DEFAULT_OFFER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            replicas: false,
            overflow_after: Some(DEFAULT_OVERFLOW_AFTER),
            skills: plan::DEFAULT_SKILLS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
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
    /// Among replicas: whether this one holds the routing lock.
    leading: std::sync::atomic::AtomicBool,
    /// Woken when queues move; the positions publisher waits on it.
    moved: tokio::sync::Notify,
    metrics: AgentMetrics,
}

/// Runs a state change to completion even if the caller goes away (tonic drops handlers
/// whose client hung up), so memory and store never disagree half-way. The task keeps
/// the call's span and request id, inside a `routing.<step>` span of its own.
async fn detached<T: Send + 'static>(
    step: &'static str,
    work: impl Future<Output = Result<T, DomainError>> + Send + 'static,
) -> Result<T, DomainError> {
    use tracing::Instrument;
    server_kit::trace_context::spawn_in_context(work.instrument(step_span(step)))
        .await
        .map_err(|e| DomainError::Internal(format!("a routing task failed: {e}")))?
}

/// The span of one routing step (none unless traces are exported).
fn step_span(step: &'static str) -> tracing::Span {
    if server_kit::telemetry::traces_enabled() {
        tracing::info_span!("routing", otel.name = step)
    } else {
        tracing::Span::none()
    }
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
        Self::observed(store, clock, hub, settings, AgentMetrics::disabled())
    }

    /// [`Dispatcher::new`], recording offers and stream figures into `metrics`.
    pub fn observed(
        store: Arc<dyn Store>,
        clock: SharedClock,
        hub: Hub,
        settings: RoutingSettings,
        metrics: AgentMetrics,
    ) -> Self {
        let routing = Routing::new(settings.offer_timeout).with_overflow(settings.overflow_after);
        Self {
            inner: Arc::new(Inner {
                store,
                clock,
                hub,
                settings,
                state: Mutex::new(routing),
                handling: std::sync::Mutex::new(HandlingWindow::default()),
                moved: tokio::sync::Notify::new(),
                leading: std::sync::atomic::AtomicBool::new(false),
                metrics,
            }),
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &RoutingSettings {
        &self.inner.settings
    }

    /// Where routing and the streams record their figures.
    pub fn metrics(&self) -> &AgentMetrics {
        &self.inner.metrics
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
        let settings = &self.inner.settings;
        *state = Routing::new(settings.offer_timeout).with_overflow(settings.overflow_after);
        for agent in &agents {
            state.upsert_agent(agent, now);
        }
        let (mut queued, mut held) = (0, 0);
        for o in open {
            let t = &o.ticket;
            state.note_open(&t.customer_id, t.entrance, &t.ticket_id);
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
        if self.shared() {
            // Offers the routing replica made stay valid (a new one ended them first).
            for offer in store.open_offers().await? {
                state.adopt_offer(offer);
            }
        }
        tracing::info!(agents = agents.len(), queued, held, "routing rebuilt");
        let pending = self.route(&mut state);
        drop(state);
        self.persist(pending).await;
        Ok(())
    }

    /// Queues a newly stored ticket and routes.
    pub async fn enqueue(&self, ticket: &Ticket) {
        use tracing::Instrument;
        async {
            let mut state = self.inner.state.lock().await;
            state.note_open(&ticket.customer_id, ticket.entrance, &ticket.ticket_id);
            state.enqueue(waiting_of(ticket, None));
            let pending = self.route(&mut state);
            drop(state);
            self.queues_moved();
            self.persist(pending).await;
        }
        .instrument(step_span("routing.enqueue"))
        .await
    }

    /// The agent takes the offered ticket: it is theirs once the store says so. The
    /// offer is checked under the routing lock, the store's guarded update (only a
    /// queued ticket can be assigned) runs outside it, and its outcome is applied under
    /// the lock again, whatever happened meanwhile.
    pub async fn accept(&self, agent_id: &str, offer_id: &str) -> Result<Ticket, DomainError> {
        let (this, agent_id, offer_id) = (self.clone(), agent_id.to_owned(), offer_id.to_owned());
        detached("routing.accept", async move {
            if this.shared() {
                return this.accept_shared(&agent_id, &offer_id).await;
            }
            let (offer, mut pending) = {
                let mut state = this.inner.state.lock().await;
                let pending = this.expire(&mut state, this.inner.clock.now());
                let offer = state
                    .check_offer(&agent_id, &offer_id)
                    .map_err(|p| offer_error(&offer_id, p))
                    .cloned();
                state.begin_accept(&offer_id);
                (offer, pending)
            };
            let offer = match offer {
                Ok(offer) => offer,
                Err(e) => {
                    this.persist(pending).await;
                    return Err(e);
                }
            };
            let now = this.inner.clock.now();
            let assigned = this
                .inner
                .store
                .assign_ticket(&offer.ticket_id, &agent_id, now)
                .await;
            let mut state = this.inner.state.lock().await;
            // Only the ticket's close can end an offer being accepted.
            let closed_meanwhile = state.offer(&offer_id).is_none();
            let (result, lapsed) = match assigned {
                Ok(moved) => this.took(&mut state, &offer, moved, now),
                // The outcome is unknown: the offer lapses as usual, and the store (or the
                // next accept) says who holds the ticket.
                Err(e) => (Err(e.into()), state.lost(&offer, None)),
            };
            pending.absorb(this.announce(lapsed));
            pending.absorb(this.route(&mut state));
            drop(state);
            this.queues_moved();
            this.persist(pending).await;
            if closed_meanwhile && result.is_ok() {
                this.recheck_closed(&offer.ticket_id).await;
            }
            result
        })
        .await
    }

    /// The agent passes on the offer: it goes to the next agent.
    pub async fn decline(&self, agent_id: &str, offer_id: &str) -> Result<(), DomainError> {
        let (this, agent_id, offer_id) = (self.clone(), agent_id.to_owned(), offer_id.to_owned());
        detached("routing.decline", async move {
            if this.shared() {
                return this.decline_shared(&agent_id, &offer_id).await;
            }
            let mut state = this.inner.state.lock().await;
            let now = this.inner.clock.now();
            let mut pending = this.expire(&mut state, now);
            let checked = state
                .check_offer(&agent_id, &offer_id)
                .map(|_| ())
                .map_err(|p| offer_error(&offer_id, p));
            if checked.is_ok() {
                let lapsed = state.decline(&offer_id, now);
                pending.absorb(this.announce(lapsed));
                tracing::info!(offer = %offer_id, agent = %agent_id, "offer declined");
                pending.absorb(this.route(&mut state));
            }
            drop(state);
            this.persist(pending).await;
            checked
        })
        .await
    }

    /// Records the agent's presence and routes (an agent who leaves loses their offer).
    /// The store is written first, outside the routing lock; routing then takes the
    /// stored agent (an older presence arriving late is ignored).
    pub async fn set_presence(
        &self,
        agent_id: &str,
        presence: Presence,
    ) -> Result<Agent, DomainError> {
        let (this, agent_id) = (self.clone(), agent_id.to_owned());
        detached("routing.set_presence", async move {
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
            this.refresh_agent(&agent).await;
            Ok(agent)
        })
        .await
    }

    /// Takes a changed profile (or presence) into account.
    pub async fn refresh_agent(&self, agent: &Agent) {
        let mut state = self.inner.state.lock().await;
        let now = self.inner.clock.now();
        let mut pending = self.announce(state.upsert_agent(agent, now));
        pending.absorb(self.route(&mut state));
        drop(state);
        self.inner
            .hub
            .agent(&agent.profile.agent_id, AgentNotice::Changed);
        self.queues_moved();
        self.persist(pending).await;
        self.tell_replicas(&agent.profile.agent_id).await;
    }

    /// A ticket closed while its accept was being stored: if the store says it is
    /// closed, routing lets go of it too (the close found nothing to release).
    async fn recheck_closed(&self, ticket_id: &str) {
        if let Ok(Some(t)) = self.inner.store.ticket(ticket_id).await
            && t.status == TicketStatus::Closed
        {
            let mut state = self.inner.state.lock().await;
            let lapsed = state.release(ticket_id, self.inner.clock.now());
            let pending = self.announce(lapsed);
            drop(state);
            self.persist(pending).await;
        }
    }

    fn handling(&self) -> std::sync::MutexGuard<'_, HandlingWindow> {
        self.inner
            .handling
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
