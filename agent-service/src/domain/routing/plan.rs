//! The routing rules as pure functions: who may be offered a ticket (its own skill's
//! agents, and after a configured wait the entrance's fallback skill's too), who of
//! them is picked (fewest active chats, then longest idle), and the wait a customer is
//! told (unknown when nobody available can take the ticket).

use std::{
    cmp::Reverse,
    collections::BTreeSet,
    time::{Duration, SystemTime},
};

use super::state::Waiting;
use crate::domain::{Agent, DomainError, Entrance, Presence};

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

/// The skill every entrance falls back to: its agents take any question of their
/// entrance once it has waited too long for its own skill (overflow).
pub const FALLBACK_SKILL: &str = "general";

/// The skills the shipped catalogue hands off to: tickets may be queued for them before
/// any agent has them.
pub const DEFAULT_SKILLS: &[&str] = &[
    "orders",
    "logistics",
    "aftersale",
    "payments",
    "account",
    "invoice",
    "merchant_settlement",
    "merchant_compliance",
    "merchant_disputes",
    FALLBACK_SKILL,
    "complaints",
];

/// Checks that `skill` (the request's `field`) is one tickets can be queued for: a
/// configured skill, the fallback skill, or a skill of an agent in the roster. A
/// queue nobody will ever serve is refused, naming the known skills.
pub fn check_skill<'a>(
    field: &str,
    skill: &str,
    configured: &[String],
    agents: impl Iterator<Item = &'a AgentLoad>,
) -> Result<(), DomainError> {
    let mut known: BTreeSet<&str> = configured.iter().map(String::as_str).collect();
    known.insert(FALLBACK_SKILL);
    for a in agents {
        known.extend(a.agent.profile.skills.iter().map(String::as_str));
    }
    if known.contains(skill) {
        return Ok(());
    }
    let list: Vec<&str> = known.into_iter().collect();
    Err(DomainError::invalid(
        field,
        format!("unknown skill '{skill}'; known skills: {}", list.join(", ")),
    ))
}

/// Whether `ticket` has waited at least `overflow_after` at `now` (never when overflow
/// is off, or when it was transferred to a named agent), so agents of the entrance's
/// [`FALLBACK_SKILL`] may take it too.
pub fn overflowing(ticket: &Waiting, now: SystemTime, overflow_after: Option<Duration>) -> bool {
    ticket.target.is_none()
        && overflow_after
            .is_some_and(|after| now.duration_since(ticket.since).unwrap_or_default() >= after)
}

/// Whether `agent` may be offered `ticket` now: available, with room, serving its
/// entrance and skill (or the entrance's fallback skill when the ticket is
/// `overflowing`), and named by it when it was transferred to a named agent.
pub fn eligible(agent: &AgentLoad, ticket: &Waiting, overflowing: bool) -> bool {
    agent.has_room()
        && (agent.agent.serves(ticket.entrance, &ticket.skill)
            || (overflowing && agent.agent.serves(ticket.entrance, FALLBACK_SKILL)))
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

/// The chat slots that will serve a queue: the capacity of the available agents of its
/// own skill, or, when none is available, of the entrance's fallback skill (overflow
/// takes the ticket there). 0 means nobody available can take it.
pub fn serving_slots<'a>(
    agents: impl Iterator<Item = &'a AgentLoad>,
    entrance: Entrance,
    skill: &str,
) -> u32 {
    let (own, fallback) = agents
        .filter(|a| a.agent.presence == Presence::Available)
        .fold((0, 0), |(own, fallback), a| {
            let slots = |serves: bool| if serves { a.agent.profile.capacity } else { 0 };
            (
                own + slots(a.agent.serves(entrance, skill)),
                fallback + slots(a.agent.serves(entrance, FALLBACK_SKILL)),
            )
        });
    if own > 0 { own } else { fallback }
}

/// The estimated wait of the ticket at `position`: a conversation per place ahead, shared
/// among `available_slots` (see [`serving_slots`]), rounded up to whole minutes as a
/// person reads it. `None` when no slot is available: the wait cannot be known, and
/// making one up would mislead the customer.
pub fn estimate_wait(
    position: u32,
    handling_time: Duration,
    available_slots: u32,
) -> Option<Duration> {
    if available_slots == 0 {
        return None;
    }
    let raw = handling_time.saturating_mul(position) / available_slots;
    let minutes = u64::try_from(raw.as_millis().div_ceil(60_000)).unwrap_or(u64::MAX / 60);
    Some(Duration::from_secs(minutes * 60))
}

#[cfg(test)]
mod tests;
