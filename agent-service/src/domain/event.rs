//! The events of a ticket: everything that happens to it, numbered 1, 2, 3 … per ticket
//! so that a stream can resume after the last number it saw and miss nothing.

use std::time::SystemTime;

use super::{CloseReason, Sender};

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The ticket entered a queue (created, or re-queued by a transfer).
    Queued {
        /// The queue's skill.
        skill: String,
        /// 0..=9.
        priority: u8,
    },
    /// An agent accepted the ticket.
    AgentJoined {
        /// Who.
        agent_id: String,
    },
    /// A chat message in the human conversation.
    Message {
        /// Who wrote it.
        sender: Sender,
        /// What they wrote.
        text: String,
        /// The author, for agent messages.
        agent_id: Option<String>,
        /// The sender's retry key: a retry with the same key stores nothing new.
        client_message_id: Option<String>,
        /// Abusive-language lexicon hits (agent messages).
        flagged_terms: Vec<String>,
    },
    /// The ticket moved to another skill queue or to a named agent.
    Transferred {
        /// The queue it left.
        from_skill: String,
        /// The queue it went to.
        to_skill: String,
        /// Set for a transfer to a named agent.
        to_agent_id: Option<String>,
        /// The transferring agent's note.
        note: String,
    },
    /// The ticket closed.
    Closed {
        /// Why.
        reason: CloseReason,
        /// What both sides are told.
        notice: String,
    },
}

impl EventKind {
    /// The stored name of the kind.
    pub fn as_str(&self) -> &'static str {
        match self {
            EventKind::Queued { .. } => "queued",
            EventKind::AgentJoined { .. } => "agent_joined",
            EventKind::Message { .. } => "message",
            EventKind::Transferred { .. } => "transferred",
            EventKind::Closed { .. } => "closed",
        }
    }
}

/// One stored event of a ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketEvent {
    /// The ticket.
    pub ticket_id: String,
    /// 1, 2, 3 … per ticket, without gaps.
    pub sequence: u64,
    /// When it happened.
    pub at: SystemTime,
    /// What happened.
    pub kind: EventKind,
}

impl TicketEvent {
    /// A message's public id, as streams, histories and complaint evidence name it: the
    /// ticket and the sequence number.
    pub fn message_id(&self) -> String {
        format!("{}-{}", self.ticket_id, self.sequence)
    }
}
