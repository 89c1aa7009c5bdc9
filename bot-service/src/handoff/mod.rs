//! The hand-off port: what the conversation engine needs from the human side, as a trait
//! the engine calls without knowing it is gRPC. [`client::AgentServiceClient`] is the
//! real implementation over agent-service's `TicketService`.

pub mod client;
mod events;
pub mod unreachable;
mod wire;

use std::{pin::Pin, time::Duration};

use async_trait::async_trait;
pub use events::{AgentCard, HumanClose, HumanEvent, HumanEventKind};
use tokio_stream::Stream;

use crate::{session::TranscriptLine, vocabulary::Entrance};

/// Everything agent-service needs to queue a conversation for a person.
#[derive(Clone, Debug, PartialEq)]
pub struct Escalation {
    /// Retries with the same key return the same ticket.
    pub idempotency_key: String,
    /// The customer (session owner).
    pub customer_id: String,
    /// Which door, hence which queues.
    pub entrance: Entrance,
    /// The agent skill that handles the problem.
    pub skill: String,
    /// 0..9, higher served first.
    pub priority: u32,
    /// Why a person was asked for.
    pub reason: String,
    /// The last recognised problem intent.
    pub intent: String,
    /// The robot session.
    pub session_id: String,
    /// The robot conversation so far.
    pub transcript: Vec<TranscriptLine>,
}

/// Where the escalated conversation now waits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuePlace {
    /// The ticket in agent-service.
    pub ticket_id: String,
    /// 1 = next.
    pub position: u32,
    /// Estimated wait; `None` when nobody available can take the conversation.
    pub estimated_wait: Option<Duration>,
    /// The ticket's events the caller already knows of (a ticket it just created holds
    /// only its "queued" event), so following it need not replay them.
    pub known_events: u64,
}

/// A conversation with a person that is still open when the customer starts a new
/// session (they reconnected, or bot-service restarted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenConversation {
    /// Where the ticket stands (position 0 once with a person).
    pub place: QueuePlace,
    /// The person serving it, when one has joined.
    pub agent: Option<AgentCard>,
}

/// Why the human side could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    /// agent-service is down or refusing work.
    #[error("agent-service is unavailable: {0}")]
    Unavailable(String),
    /// agent-service did not answer within the deadline.
    #[error("agent-service did not answer within {0:?}")]
    Timeout(Duration),
    /// agent-service refused the request (a bug or a contract mismatch).
    #[error("agent-service refused the request: {0}")]
    Refused(String),
    /// agent-service turned the customer's request down for a reason the customer can
    /// act on (bad input, wrong state, unknown or someone else's ticket).
    #[error("{1}")]
    Rejected(Rejection, String),
}

/// Why agent-service turned a request down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The input is bad (too long, out of range).
    Invalid,
    /// The ticket is unknown.
    NotFound,
    /// The ticket is someone else's.
    Forbidden,
    /// The ticket is in the wrong state (closed, already rated).
    WrongState,
}

/// The events of a ticket, in sequence order, as they happen.
pub type HumanEvents = Pin<Box<dyn Stream<Item = Result<HumanEvent, HandoffError>> + Send>>;

/// The human side, as the conversation engine sees it.
#[async_trait]
pub trait HumanDesk: Send + Sync + 'static {
    /// Queues a conversation for a person; idempotent by key.
    async fn escalate(&self, escalation: &Escalation) -> Result<QueuePlace, HandoffError>;
    /// Where the customer's ticket waits now (position 0 once it is with a person).
    async fn place(&self, ticket_id: &str, customer_id: &str) -> Result<QueuePlace, HandoffError>;
    /// The customer's open ticket at `entrance`, if any.
    async fn open_conversation(
        &self,
        customer_id: &str,
        entrance: Entrance,
    ) -> Result<Option<OpenConversation>, HandoffError>;
    /// Takes the customer's ticket out of the queue (or ends the human conversation).
    async fn cancel(&self, ticket_id: &str, customer_id: &str) -> Result<(), HandoffError>;
    /// Passes a customer message to the person (stored before this returns); a retry
    /// with the same `client_message_id` is stored once. Returns its sequence number.
    async fn relay(
        &self,
        ticket_id: &str,
        customer_id: &str,
        client_message_id: &str,
        text: &str,
    ) -> Result<u64, HandoffError>;
    /// The ticket's events after `after_sequence` (replayed from the store), then live.
    async fn follow(
        &self,
        ticket_id: &str,
        customer_id: &str,
        after_sequence: u64,
    ) -> Result<HumanEvents, HandoffError>;
    /// The ticket's stored events after `after_sequence`, read once: how a session
    /// catches up with its ticket on each call, whichever replica started it.
    async fn catch_up(
        &self,
        ticket_id: &str,
        customer_id: &str,
        after_sequence: u64,
    ) -> Result<Vec<HumanEvent>, HandoffError>;
    /// The customer's 1-5 rating of the person who served a closed ticket.
    async fn rate(
        &self,
        ticket_id: &str,
        customer_id: &str,
        score: u32,
        comment: &str,
    ) -> Result<(), HandoffError>;
}
