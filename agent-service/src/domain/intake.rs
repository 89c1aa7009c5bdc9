//! Escalation intake: the rules for turning a hand-off request from the robot into a
//! queued ticket (idempotency, one open ticket per customer and entrance, durable before
//! acknowledged), and the customer's view of it: look it up, see where it stands in the
//! queue, cancel it.

use std::{sync::Arc, time::Duration};

use server_kit::clock::SharedClock;

pub use super::routing::{estimate_wait, views::DEFAULT_HANDLING_TIME};
use super::{
    CloseReason, DomainError, Entrance, Escalation, Ticket, TicketEvent, TicketStatus,
    routing::Dispatcher, ticket::require_id,
};
use crate::store::{CreateOutcome, Store};

/// What both sides are told when the customer leaves.
pub const CUSTOMER_LEFT_NOTICE: &str = "The customer left the conversation.";

/// Where a queued ticket stands, as the customer is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueStatus {
    /// 1 = next in line.
    pub position: u32,
    /// How many tickets wait in the same queue.
    pub waiting: u32,
    /// How long until an agent is likely to join, in whole minutes; `None` when nobody
    /// available can take the ticket, so no honest estimate exists.
    pub estimated_wait: Option<Duration>,
}

/// A ticket with its queue status (set while it is queued).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketView {
    /// The ticket.
    pub ticket: Ticket,
    /// Where it stands, while queued.
    pub queue: Option<QueueStatus>,
}

/// The answer to an escalation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intaken {
    /// The ticket and where it stands.
    pub view: TicketView,
    /// False when an existing ticket was returned (same key, or already open).
    pub created: bool,
}

/// Escalation intake over the store.
#[derive(Clone)]
pub struct Intake {
    store: Arc<dyn Store>,
    clock: SharedClock,
    dispatcher: Dispatcher,
}

impl Intake {
    /// Intake over `store`, timed by `clock`, queueing with `dispatcher`.
    pub fn new(store: Arc<dyn Store>, clock: SharedClock, dispatcher: Dispatcher) -> Self {
        Self {
            store,
            clock,
            dispatcher,
        }
    }

    /// Queues the escalation, or returns the ticket it already made (same key) or the
    /// customer's open ticket at that entrance. A new ticket is durably stored with its
    /// transcript before this returns.
    pub async fn create(&self, escalation: &Escalation) -> Result<Intaken, DomainError> {
        escalation.validate()?;
        self.dispatcher
            .check_skill("skill", &escalation.skill)
            .await?;
        let ticket_id = uuid::Uuid::now_v7().to_string();
        let outcome = self
            .store
            .create_ticket(
                &ticket_id,
                escalation,
                &escalation.digest(),
                self.clock.now(),
            )
            .await?;
        let (ticket, created) = match outcome {
            CreateOutcome::Created(t) => (t, true),
            CreateOutcome::Replayed(t) | CreateOutcome::AlreadyOpen(t) => (t, false),
            CreateOutcome::KeyReused(_) => {
                return Err(DomainError::WrongState(
                    "idempotency_key was already used for a different request; \
                     use a new key for a new escalation"
                        .into(),
                ));
            }
        };
        if created {
            self.dispatcher
                .metrics()
                .ticket_created(ticket.entrance.as_str());
            self.dispatcher.enqueue(&ticket).await;
            tracing::info!(
                ticket = %ticket.ticket_id,
                customer = %ticket.customer_id,
                entrance = %ticket.entrance,
                skill = %ticket.skill,
                priority = ticket.priority,
                "ticket queued"
            );
        }
        Ok(Intaken {
            view: self.view(ticket).await?,
            created,
        })
    }

    /// The customer's ticket with its queue status.
    pub async fn get(&self, ticket_id: &str, customer_id: &str) -> Result<TicketView, DomainError> {
        let ticket = self.owned(ticket_id, customer_id).await?;
        self.view(ticket).await
    }

    /// The customer's ticket with its queue status and its stored events after
    /// `after_sequence`: a robot session catching up with its ticket. The events are
    /// read only when the ticket says it has newer ones.
    pub async fn events_since(
        &self,
        ticket_id: &str,
        customer_id: &str,
        after_sequence: u64,
    ) -> Result<(TicketView, Vec<TicketEvent>), DomainError> {
        let ticket = self.owned(ticket_id, customer_id).await?;
        let events = if ticket.last_sequence > after_sequence {
            self.store.events_after(ticket_id, after_sequence).await?
        } else {
            Vec::new()
        };
        Ok((self.view(ticket).await?, events))
    }

    /// The customer's open (queued or with an agent) ticket at `entrance`, if any: a new
    /// robot session uses it to pick the conversation up again.
    pub async fn find_open(
        &self,
        customer_id: &str,
        entrance: Entrance,
    ) -> Result<Option<TicketView>, DomainError> {
        require_id("customer_id", customer_id)?;
        let ticket = if self.dispatcher.settings().replicas {
            // Tickets other replicas took in are known only to the store.
            self.store.open_ticket_for(customer_id, entrance).await?
        } else {
            // A single replica's routing knows every open ticket: most customers have
            // none, and are told so without a database read.
            let Some(known) = self.dispatcher.open_ticket_of(customer_id, entrance).await else {
                return Ok(None);
            };
            match self.store.ticket(&known).await? {
                Some(t) if t.is_open() && t.customer_id == customer_id => Some(t),
                _ => self.store.open_ticket_for(customer_id, entrance).await?,
            }
        };
        match ticket {
            Some(ticket) => Ok(Some(self.view(ticket).await?)),
            None => Ok(None),
        }
    }

    /// The customer left: closes the ticket (queued or with an agent) with the reason
    /// "customer left", withdrawing any offer of it. Cancelling a closed ticket returns it
    /// unchanged.
    pub async fn cancel(&self, ticket_id: &str, customer_id: &str) -> Result<Ticket, DomainError> {
        let ticket = self.owned(ticket_id, customer_id).await?;
        if !ticket.is_open() {
            return Ok(ticket);
        }
        let ticket = self
            .dispatcher
            .close(
                ticket_id,
                CloseReason::CustomerLeft,
                CUSTOMER_LEFT_NOTICE,
                None,
            )
            .await?;
        tracing::info!(ticket = %ticket_id, customer = %customer_id, "ticket cancelled");
        Ok(ticket)
    }

    /// Where a queued ticket stands and how long it will likely wait; `None` unless the
    /// ticket is queued.
    pub async fn queue_status(&self, ticket: &Ticket) -> Option<QueueStatus> {
        if ticket.status != TicketStatus::Queued {
            return None;
        }
        self.dispatcher.queue_status(&ticket.ticket_id).await
    }

    async fn view(&self, ticket: Ticket) -> Result<TicketView, DomainError> {
        let queue = self.queue_status(&ticket).await;
        Ok(TicketView { ticket, queue })
    }

    async fn owned(&self, ticket_id: &str, customer_id: &str) -> Result<Ticket, DomainError> {
        owned_ticket(self.store.as_ref(), ticket_id, customer_id).await
    }
}

/// The ticket, if it exists and belongs to `customer_id` (NOT_FOUND, PERMISSION_DENIED).
pub(crate) async fn owned_ticket(
    store: &dyn Store,
    ticket_id: &str,
    customer_id: &str,
) -> Result<Ticket, DomainError> {
    if ticket_id.is_empty() {
        return Err(DomainError::invalid("ticket_id", "is required"));
    }
    require_id("customer_id", customer_id)?;
    let ticket = store
        .ticket(ticket_id)
        .await?
        .ok_or_else(|| unknown_ticket(ticket_id))?;
    if ticket.customer_id != customer_id {
        return Err(DomainError::Forbidden(format!(
            "ticket {ticket_id} belongs to another customer"
        )));
    }
    Ok(ticket)
}

fn unknown_ticket(ticket_id: &str) -> DomainError {
    DomainError::NotFound(format!("no ticket '{ticket_id}'"))
}

#[cfg(test)]
mod tests;
