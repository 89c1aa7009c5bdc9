//! What happens on the human side of a conversation, as the engine sees it: the queue
//! moving, a person joining, their messages, a transfer, and the close.

use std::time::{Duration, SystemTime};

/// The person serving the customer, as the customer sees them (工号 and name).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgentCard {
    /// The public work number, e.g. "1024".
    pub work_number: String,
    /// The display name.
    pub display_name: String,
}

/// How a human conversation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HumanClose {
    /// The person resolved the problem: the session ends.
    Resolved,
    /// The person handed the customer back to the robot: the session goes on.
    ReturnedToBot,
    /// The customer left (ended the session or left the queue).
    CustomerLeft,
    /// The customer stopped answering.
    CustomerIdle,
}

/// One thing that happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HumanEventKind {
    /// Where the ticket now waits (not stored: sequence 0).
    QueueStatus {
        /// 1 = next.
        position: u32,
        /// Estimated wait; `None` when nobody available can take the conversation.
        estimated_wait: Option<Duration>,
    },
    /// A person accepted the conversation.
    AgentJoined(AgentCard),
    /// The person wrote.
    AgentMessage {
        /// Stable id of the message.
        message_id: String,
        /// What they wrote.
        text: String,
        /// Who.
        agent: Option<AgentCard>,
        /// It matched the abusive-language lexicon (delivered all the same).
        flagged: bool,
    },
    /// The customer's own message, as stored (echoed to every device).
    CustomerMessage {
        /// Stable id of the message.
        message_id: String,
        /// What they wrote.
        text: String,
    },
    /// The conversation moved to another team or person.
    Transferred {
        /// The person it went to, when named.
        to_agent: Option<AgentCard>,
    },
    /// The human conversation ended.
    Closed {
        /// Why.
        reason: HumanClose,
        /// What the human side told the customer.
        notice: String,
    },
}

/// One event of a ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HumanEvent {
    /// The ticket's sequence number (0 for queue-status updates, which are not stored).
    pub sequence: u64,
    /// When it happened.
    pub at: SystemTime,
    /// What happened.
    pub kind: HumanEventKind,
}
