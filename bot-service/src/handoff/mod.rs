//! The hand-off port: what the conversation engine needs from the human side, as a trait
//! the engine calls without knowing it is gRPC. [`client::AgentServiceClient`] is the
//! real implementation over agent-service's `TicketService`.

pub mod client;

use std::time::Duration;

use async_trait::async_trait;

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
    /// Estimated wait.
    pub estimated_wait: Duration,
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
}

/// The human side, as the conversation engine sees it.
#[async_trait]
pub trait HumanDesk: Send + Sync + 'static {
    /// Queues a conversation for a person; idempotent by key.
    async fn escalate(&self, escalation: &Escalation) -> Result<QueuePlace, HandoffError>;
    /// Where the customer's ticket waits now (position 0 once it is with a person).
    async fn place(&self, ticket_id: &str, customer_id: &str) -> Result<QueuePlace, HandoffError>;
    /// Takes the customer's ticket out of the queue (or ends the human conversation).
    async fn cancel(&self, ticket_id: &str, customer_id: &str) -> Result<(), HandoffError>;
}
