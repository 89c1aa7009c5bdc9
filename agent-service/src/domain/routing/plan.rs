//! The routing rules as pure functions: who may be offered a ticket, and who of them is
//! picked (fewest active chats, then longest idle).

use std::{
    cmp::Reverse,
    collections::BTreeSet,
    time::{Duration, SystemTime},
};

use super::state::Waiting;
use crate::domain::{Agent, Presence};

/// A ticket's place in the service order: higher priority first, then longest waiting.
pub type QueueKey = (Reverse<u8>, SystemTime, String);

/// An agent as routing sees them: profile and presence, the conversations they hold,
/// their outstanding offer and their recent misses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentLoad {
    /// Profile and presence.
    pub agent: Agent,
    /// Tickets they are chatting on.
    pub active: BTreeSet<String>,
    /// Their open offer (one at a time).
    pub offer: Option<String>,
    /// Since when their load last changed or they became available.
    pub idle_since: SystemTime,
    /// Offers missed in a row.
    pub missed: u32,
}

impl AgentLoad {
    /// A fresh load for `agent`.
    pub fn new(agent: Agent, idle_since: SystemTime) -> Self {
        Self {
            agent,
            active: BTreeSet::new(),
            offer: None,
            idle_since,
            missed: 0,
        }
    }

    /// Available, without an open offer, and below capacity.
    pub fn has_room(&self) -> bool {
        self.agent.presence == Presence::Available
            && self.offer.is_none()
            && self.active.len() < self.agent.profile.capacity as usize
    }

    /// Conversations held.
    pub fn active_chats(&self) -> u32 {
        u32::try_from(self.active.len()).unwrap_or(u32::MAX)
    }
}

/// Whether `agent` may be offered `ticket` now: available, serving its entrance and
/// skill, with room, and named by it when it was transferred to a named agent.
pub fn eligible(agent: &AgentLoad, ticket: &Waiting) -> bool {
    agent.has_room()
        && agent.agent.serves(ticket.entrance, &ticket.skill)
        && ticket
            .target
            .as_ref()
            .is_none_or(|t| *t == agent.agent.profile.agent_id)
}

/// The agent to offer to: fewest active chats, then longest idle, then smallest id.
pub fn best_agent<'a>(candidates: impl Iterator<Item = &'a AgentLoad>) -> Option<&'a AgentLoad> {
    candidates.min_by(|a, b| {
        (a.active.len(), a.idle_since, &a.agent.profile.agent_id).cmp(&(
            b.active.len(),
            b.idle_since,
            &b.agent.profile.agent_id,
        ))
    })
}

/// The estimated wait of the ticket at `position`: a conversation per place ahead, shared
/// among the concurrent slots of the available agents who could take it.
pub fn estimate_wait(position: u32, handling_time: Duration, available_slots: u32) -> Duration {
    handling_time.saturating_mul(position) / available_slots.max(1)
}
