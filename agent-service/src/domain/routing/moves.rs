//! Tickets leaving an agent: closes (by the agent, the customer or the idle rule) and
//! transfers (to another skill queue or a named agent), plus the sweeper's periodic pass.

use std::time::SystemTime;

use super::{Dispatcher, Lapsed, Routing, detached, waiting_of};
use crate::domain::{
    CloseReason, DomainError, Ticket, TicketStatus,
    ticket::{limit_chars, require_id},
};

/// What both sides are told when a conversation closes for want of customer messages.
/// (Customers read bot-service's own notice, in their language; this one is the desk's.)
pub const IDLE_NOTICE: &str =
    "This conversation was closed because the customer did not reply for a while.";

/// Longest transfer or close note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// Where a transfer sends a ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransferTarget {
    /// Another skill queue of the same entrance.
    Skill(String),
    /// A named agent (their agent id).
    Agent(String),
}

impl Dispatcher {
    /// Closes a ticket. With `by_agent`, only the agent holding it may; without, the
    /// customer or the system closes it whatever its state. Closing a closed ticket as the
    /// customer returns it unchanged.
    pub async fn close(
        &self,
        ticket_id: &str,
        reason: CloseReason,
        notice: &str,
        by_agent: Option<&str>,
    ) -> Result<Ticket, DomainError> {
        limit_chars("note", notice, MAX_NOTE_CHARS)?;
        let this = self.clone();
        let (ticket_id, notice) = (ticket_id.to_owned(), notice.to_owned());
        let by_agent = by_agent.map(str::to_owned);
        detached("routing.close", async move {
            let mut state = this.inner.state.lock().await;
            if let Some(agent) = &by_agent {
                this.check_holder(&state, &ticket_id, agent).await?;
            }
            let mut pending = Lapsed::default();
            let ticket = this
                .close_locked(&mut state, &ticket_id, reason, &notice, &mut pending)
                .await;
            pending.absorb(this.route(&mut state));
            drop(state);
            this.persist(pending).await;
            ticket
        })
        .await
    }

    async fn close_locked(
        &self,
        state: &mut Routing,
        ticket_id: &str,
        reason: CloseReason,
        notice: &str,
        pending: &mut Lapsed,
    ) -> Result<Ticket, DomainError> {
        let now = self.inner.clock.now();
        let closed = self
            .inner
            .store
            .close_ticket(ticket_id, reason, notice, now)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("no ticket '{ticket_id}'")))?;
        if let Some(event) = closed.event {
            state.forget_open(ticket_id);
            if state.chat(ticket_id).is_some()
                && let Some(assigned) = closed.ticket.assigned_at
            {
                self.handling().record(&closed.ticket, assigned, now);
                state.estimates_changed();
            }
            let lapsed = state.release(ticket_id, now);
            pending.absorb(self.announce(lapsed));
            self.inner.hub.event(event);
            self.queues_moved();
            tracing::info!(ticket = %ticket_id, reason = %reason, "ticket closed");
        }
        Ok(closed.ticket)
    }

    /// Moves a ticket the agent holds to another skill queue or a named agent; whoever
    /// takes it next sees the whole history.
    pub async fn transfer(
        &self,
        agent_id: &str,
        ticket_id: &str,
        target: TransferTarget,
        note: &str,
    ) -> Result<Ticket, DomainError> {
        limit_chars("note", note, MAX_NOTE_CHARS)?;
        match &target {
            TransferTarget::Skill(skill) => {
                require_id("skill", skill)?;
                self.check_skill("skill", skill).await?;
            }
            TransferTarget::Agent(id) if id == agent_id => {
                return Err(DomainError::invalid(
                    "agent_id",
                    "names yourself; transfer to another agent",
                ));
            }
            TransferTarget::Agent(id) => require_id("agent_id", id)?,
        }
        let this = self.clone();
        let (agent_id, ticket_id, note) =
            (agent_id.to_owned(), ticket_id.to_owned(), note.to_owned());
        detached("routing.transfer", async move {
            let mut state = this.inner.state.lock().await;
            let ticket = this.check_holder(&state, &ticket_id, &agent_id).await?;
            let (skill, to_agent) = match target {
                TransferTarget::Skill(skill) if skill == ticket.skill => {
                    return Err(DomainError::invalid(
                        "skill",
                        format!("the ticket is already in the '{skill}' queue"),
                    ));
                }
                TransferTarget::Skill(skill) => (skill, None),
                TransferTarget::Agent(to) => {
                    let receiver = state
                        .agent(&to)
                        .ok_or_else(|| DomainError::NotFound(format!("no agent '{to}'")))?;
                    if !receiver.agent.serves(ticket.entrance, &ticket.skill) {
                        return Err(DomainError::WrongState(format!(
                            "agent {to} does not serve the {} '{}' queue",
                            ticket.entrance, ticket.skill
                        )));
                    }
                    (ticket.skill.clone(), Some(to))
                }
            };
            let now = this.inner.clock.now();
            let moved = this
                .inner
                .store
                .transfer_ticket(&ticket_id, &agent_id, &skill, to_agent.as_deref(), &note, now)
                .await?
                .ok_or_else(|| DomainError::NotFound(format!("no ticket '{ticket_id}'")))?;
            if moved.events.is_empty() {
                return Err(DomainError::WrongState(format!(
                    "ticket {ticket_id} is no longer with you"
                )));
            }
            let lapsed = state.release(&ticket_id, now);
            let mut pending = this.announce(lapsed);
            state.enqueue(waiting_of(&moved.ticket, to_agent));
            for event in moved.events {
                this.inner.hub.event(event);
            }
            tracing::info!(ticket = %ticket_id, from = %agent_id, to_skill = %skill, "ticket transferred");
            pending.absorb(this.route(&mut state));
            drop(state);
            this.queues_moved();
            this.persist(pending).await;
            Ok(moved.ticket)
        })
        .await
    }

    /// Notes a customer message, which keeps the conversation from idling out.
    pub async fn touch(&self, ticket_id: &str, at: SystemTime) {
        self.inner.state.lock().await.touch(ticket_id, at);
    }

    /// The sweeper's pass: closes idle conversations, expires offers, routes.
    pub async fn tick(&self) -> Result<(), DomainError> {
        if !self.routes_here() {
            return Ok(());
        }
        let mut state = self.inner.state.lock().await;
        let now = self.inner.clock.now();
        let mut pending = Lapsed::default();
        let mut result = Ok(());
        for ticket_id in state.idle_chats(now, self.inner.settings.idle_timeout) {
            tracing::info!(ticket = %ticket_id, "closing an idle conversation");
            let reason = CloseReason::CustomerIdle;
            let closed = self
                .close_locked(&mut state, &ticket_id, reason, IDLE_NOTICE, &mut pending)
                .await;
            if let Err(e) = closed {
                result = Err(e);
                break;
            }
        }
        pending.absorb(self.route(&mut state));
        drop(state);
        self.persist(pending).await;
        result
    }

    /// The ticket, if `agent_id` holds it; otherwise why not (NOT_FOUND, PERMISSION_DENIED,
    /// FAILED_PRECONDITION).
    async fn check_holder(
        &self,
        state: &Routing,
        ticket_id: &str,
        agent_id: &str,
    ) -> Result<Ticket, DomainError> {
        let ticket = self
            .inner
            .store
            .ticket(ticket_id)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("no ticket '{ticket_id}'")))?;
        let holder = ticket.agent.as_ref().map(|a| a.agent_id.as_str());
        if holder != Some(agent_id) && state.chat(ticket_id).is_none_or(|c| c.agent_id != agent_id)
        {
            return Err(DomainError::Forbidden(format!(
                "ticket {ticket_id} is not yours"
            )));
        }
        match ticket.status {
            TicketStatus::WithAgent => Ok(ticket),
            TicketStatus::Closed => Err(DomainError::WrongState(format!(
                "ticket {ticket_id} is closed"
            ))),
            TicketStatus::Queued => Err(DomainError::WrongState(format!(
                "ticket {ticket_id} is waiting in a queue, not with you"
            ))),
        }
    }
}
