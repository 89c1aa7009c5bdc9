//! The durable store behind agent-service: a trait the domain calls, with one SQL
//! implementation that runs on SQLite (embedded default, WAL with durable commits) and
//! PostgreSQL (for scale), each with its own migrations. Every write is committed before
//! the caller is answered.

mod chat_sql;
pub mod claim;
mod complaint_sql;
mod complaints;
mod counts_sql;
mod event_sql;
pub mod feed;
mod feedback;
mod group_commit;
pub mod instrumented;
mod intake_sql;
pub mod lease;
mod offer_sql;
mod offers;
mod rows;
mod sql;
pub mod testing;
mod ticket_sql;
mod timeouts;

use std::{collections::HashMap, time::SystemTime};

use async_trait::async_trait;

pub use complaints::{ComplaintCounts, ComplaintFilter, ComplaintStore, FileOutcome, NewComplaint};
pub use feedback::{FeedbackStore, ReplyRatingCount, UnansweredCount};
pub use instrumented::{Instrumented, Outage};
pub use offers::{OfferStore, Taken};
pub use sql::{Dialect, SqlStore};
pub use timeouts::Timeouts;

use crate::domain::{
    Agent, AgentProfile, CloseReason, Entrance, Escalation, EventKind, Presence, Ticket,
    TicketEvent, TranscriptLine,
};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or answered with an error.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// The database did not answer in time (a statement ran or waited on a lock past
    /// the statement timeout, or no connection came free): what ran out. The statement's
    /// transaction was rolled back.
    #[error("the database did not answer in time: {0}")]
    TimedOut(&'static str),
    /// The caller's deadline passed before its write was committed: it was not stored,
    /// and will not be.
    #[error("the call's deadline passed before its write was committed, so nothing was stored")]
    Expired,
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
    /// The store cannot be reached (or was switched off by a test).
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match timeouts::timed_out(&e) {
            Some(what) => StoreError::TimedOut(what),
            None => StoreError::Database(e),
        }
    }
}

/// Everything agent-service keeps: agents here, tickets in [`TicketStore`], the live
/// conversation in [`ChatStore`], shared offers in [`OfferStore`], complaints in [`ComplaintStore`], the robot's feedback
/// figures in [`FeedbackStore`].
#[async_trait]
pub trait Store:
    TicketStore + ChatStore + OfferStore + ComplaintStore + FeedbackStore + Send + Sync + 'static
{
    /// A cheap round trip that succeeds only while the database answers (health).
    async fn ping(&self) -> Result<(), StoreError>;
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

/// An open ticket as routing rebuilds it after a restart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenTicket {
    /// The ticket (queued or with an agent).
    pub ticket: Ticket,
    /// A queued ticket transferred to a named agent waits for that agent.
    pub target_agent_id: Option<String>,
    /// The customer's latest message (tickets with an agent).
    pub last_customer_message_at: Option<SystemTime>,
}

/// A ticket after a transfer, with the events that recorded it (`transferred`, then
/// `queued`); no events when the ticket was not with the transferring agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moved {
    /// The ticket as it is now.
    pub ticket: Ticket,
    /// The stored events, in order.
    pub events: Vec<TicketEvent>,
}

/// What [`ChatStore::append_chat`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Appended {
    /// Stored under the next sequence number.
    Stored(TicketEvent),
    /// A message with that client id was stored before: that one.
    Duplicate(TicketEvent),
    /// The ticket is closed, or not with the agent named as the guard: as it is.
    Refused(Ticket),
}

/// A satisfaction rating.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rating {
    /// The ticket rated.
    pub ticket_id: String,
    /// The agent rated.
    pub agent_id: String,
    /// 1..=5.
    pub score: u8,
    /// Optional words.
    pub comment: String,
    /// When.
    pub rated_at: SystemTime,
}

/// Satisfaction ratings given to one agent in one queue: how many, and their sum (so
/// averages over any grouping stay exact).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RatingTotal {
    /// The agent rated.
    pub agent_id: String,
    /// The rated ticket's entrance.
    pub entrance: Entrance,
    /// The rated ticket's skill.
    pub skill: String,
    /// Ratings given.
    pub count: u64,
    /// Their scores added up.
    pub sum: u64,
}

/// The instants of a recently assigned or closed ticket, for figures and estimates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketTimes {
    /// The queue's entrance.
    pub entrance: Entrance,
    /// The queue's skill.
    pub skill: String,
    /// When it was stored.
    pub created_at: SystemTime,
    /// When an agent last accepted it.
    pub assigned_at: Option<SystemTime>,
    /// When it closed.
    pub closed_at: Option<SystemTime>,
}

/// The live conversation: assignment, transfers, messages, ratings, and what routing
/// needs to rebuild itself after a restart.
#[async_trait]
pub trait ChatStore: Send + Sync + 'static {
    /// Every queued or with-agent ticket, queued ones in service order (priority, then
    /// age).
    async fn open_tickets(&self) -> Result<Vec<OpenTicket>, StoreError>;
    /// Gives a queued ticket to `agent_id` and records `agent_joined`, only if it is still
    /// queued (and, when transferred to a named agent, names this one): two agents can
    /// never hold it. The event is `None` when it was not. `None` for an unknown ticket.
    async fn assign_ticket(
        &self,
        ticket_id: &str,
        agent_id: &str,
        at: SystemTime,
    ) -> Result<Option<Transition>, StoreError>;
    /// Puts a ticket that `from_agent` holds back in a queue (`to_skill`, waiting for
    /// `to_agent` when named) and records `transferred` and `queued`. `None` for an
    /// unknown ticket.
    async fn transfer_ticket(
        &self,
        ticket_id: &str,
        from_agent: &str,
        to_skill: &str,
        to_agent: Option<&str>,
        note: &str,
        at: SystemTime,
    ) -> Result<Option<Moved>, StoreError>;
    /// Lets a ticket transferred to a named agent be taken by anyone in its queue.
    async fn clear_target(&self, ticket_id: &str) -> Result<(), StoreError>;
    /// Records a chat event while the ticket is open (and, with `agent_guard`, with that
    /// agent). A message whose client id was stored before returns that one. `None` for
    /// an unknown ticket.
    async fn append_chat(
        &self,
        ticket_id: &str,
        at: SystemTime,
        kind: &EventKind,
        agent_guard: Option<&str>,
    ) -> Result<Option<Appended>, StoreError>;
    /// Stores the ticket's rating unless it has one; returns the stored rating (the
    /// earlier one when there was one).
    async fn rate_ticket(&self, rating: &Rating) -> Result<Rating, StoreError>;
    /// The ticket's rating.
    async fn rating(&self, ticket_id: &str) -> Result<Option<Rating>, StoreError>;
    /// Ratings given at or after `since`, totalled per agent and queue.
    async fn rating_totals(&self, since: SystemTime) -> Result<Vec<RatingTotal>, StoreError>;
    /// Tickets assigned or closed (after an assignment) since `since`.
    async fn ticket_times(&self, since: SystemTime) -> Result<Vec<TicketTimes>, StoreError>;
    /// How many stored agent messages were flagged abusive, per agent (agents with none
    /// are left out).
    async fn flag_counts(&self) -> Result<HashMap<String, u64>, StoreError>;
    /// Flagged agent messages stored at or after `since`, oldest first, at most `limit`.
    async fn flagged_since(
        &self,
        since: SystemTime,
        limit: u32,
    ) -> Result<Vec<TicketEvent>, StoreError>;
}

#[cfg(test)]
mod tests;
