//! The durable store behind agent-service: a trait the domain calls, with one SQL
//! implementation that runs on SQLite (embedded default, WAL with durable commits) and
//! PostgreSQL (for scale), each with its own migrations. Every write is committed before
//! the caller is answered.

mod sql;
pub mod testing;
mod ticket_sql;

use std::time::SystemTime;

use async_trait::async_trait;

pub use sql::{Dialect, SqlStore};

use crate::domain::{
    Agent, AgentProfile, CloseReason, Entrance, Escalation, EventKind, Presence, Ticket,
    TicketEvent, TranscriptLine,
};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or answered with an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored row holds a value the code does not understand.
    #[error("corrupt row in {table}: {detail}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// A unique value is already taken.
    #[error("{0} is already taken")]
    Conflict(String),
    /// The URL names no supported database.
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
}

/// Everything agent-service keeps: agents here, tickets in [`TicketStore`].
#[async_trait]
pub trait Store: TicketStore + Send + Sync + 'static {
    /// Creates the agent or replaces their profile (presence is kept).
    async fn upsert_agent(
        &self,
        profile: &AgentProfile,
        now: SystemTime,
    ) -> Result<Agent, StoreError>;
    /// One agent.
    async fn agent(&self, agent_id: &str) -> Result<Option<Agent>, StoreError>;
    /// Every agent, by work number.
    async fn agents(&self) -> Result<Vec<Agent>, StoreError>;
    /// Records a presence change.
    async fn set_presence(
        &self,
        agent_id: &str,
        presence: Presence,
        at: SystemTime,
    ) -> Result<Option<Agent>, StoreError>;
}

/// What [`TicketStore::create_ticket`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreateOutcome {
    /// A new ticket was stored with its transcript and first event.
    Created(Ticket),
    /// The idempotency key was seen before with the same payload: the ticket it made.
    Replayed(Ticket),
    /// The idempotency key was seen before with another payload: the ticket it made.
    KeyReused(Ticket),
    /// The customer already has an open ticket at that entrance: that one.
    AlreadyOpen(Ticket),
}

/// A ticket after a state change, with the event that recorded the change (`None` when
/// nothing changed because the ticket was already in the target state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The ticket as it is now.
    pub ticket: Ticket,
    /// The stored event, to pass on to whoever watches the ticket.
    pub event: Option<TicketEvent>,
}

/// Where a queued ticket stands in its (entrance, skill) queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuePosition {
    /// 1 = next in line.
    pub position: u32,
    /// How many tickets wait in the same queue, this one included.
    pub waiting: u32,
}

/// Tickets, their transcripts and their numbered events.
#[async_trait]
pub trait TicketStore: Send + Sync + 'static {
    /// Stores a new queued ticket, its transcript and its first event (`queued`,
    /// sequence 1) in one transaction, unless the idempotency key was used before or the
    /// customer already has an open ticket at that entrance.
    async fn create_ticket(
        &self,
        ticket_id: &str,
        request: &Escalation,
        request_digest: &str,
        at: SystemTime,
    ) -> Result<CreateOutcome, StoreError>;
    /// One ticket.
    async fn ticket(&self, ticket_id: &str) -> Result<Option<Ticket>, StoreError>;
    /// The customer's open (queued or with an agent) ticket at `entrance`.
    async fn open_ticket_for(
        &self,
        customer_id: &str,
        entrance: Entrance,
    ) -> Result<Option<Ticket>, StoreError>;
    /// The robot transcript that came with a ticket, in order.
    async fn transcript(&self, ticket_id: &str) -> Result<Vec<TranscriptLine>, StoreError>;
    /// Closes an open ticket and records a `closed` event; a closed ticket is returned
    /// unchanged. `None` for an unknown ticket.
    async fn close_ticket(
        &self,
        ticket_id: &str,
        reason: CloseReason,
        notice: &str,
        at: SystemTime,
    ) -> Result<Option<Transition>, StoreError>;
    /// Where a queued ticket stands; `None` unless it is queued.
    async fn queue_position(&self, ticket_id: &str) -> Result<Option<QueuePosition>, StoreError>;
    /// Records an event under the ticket's next sequence number. `None` for an unknown
    /// ticket; [`StoreError::Conflict`] for a message whose client id was stored before.
    async fn append_event(
        &self,
        ticket_id: &str,
        at: SystemTime,
        kind: &EventKind,
    ) -> Result<Option<TicketEvent>, StoreError>;
    /// The ticket's events with a sequence number above `after_sequence`, in order.
    async fn events_after(
        &self,
        ticket_id: &str,
        after_sequence: u64,
    ) -> Result<Vec<TicketEvent>, StoreError>;
}

#[cfg(test)]
mod tests;
