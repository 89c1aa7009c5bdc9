//! The routing state in memory: the queued tickets in service order, each agent's
//! presence, load and outstanding offer, the open offers and the live conversations.
//! Everything here is synchronous and takes "now" as an argument, so the property test
//! can drive it through thousands of random steps; the [`Dispatcher`](super::Dispatcher)
//! makes its decisions durable.

use std::{
    cmp::Reverse,
    collections::{BTreeMap, HashMap, HashSet, VecDeque},
    time::{Duration, SystemTime},
};

use super::plan::{AgentLoad, QueueKey};
use crate::domain::{Agent, Entrance, Presence};

/// Offers remembered after they end, so a late accept is told the offer expired.
const FINISHED_OFFERS_KEPT: usize = 10_000;

/// A ticket waiting in a queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    /// The ticket.
    pub ticket_id: String,
    /// Which door.
    pub entrance: Entrance,
    /// Which skill queue.
    pub skill: String,
    /// 0..=9, higher first.
    pub priority: u8,
    /// When it started waiting (its creation: a transfer keeps its place in time).
    pub since: SystemTime,
    /// Set when transferred to a named agent: only they may take it.
    pub target: Option<String>,
}

/// An open offer of one ticket to one agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// Its id.
    pub offer_id: String,
    /// The ticket offered.
    pub ticket_id: String,
    /// The agent it is offered to.
    pub agent_id: String,
    /// When it lapses.
    pub expires_at: SystemTime,
}

/// A conversation with an agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chat {
    /// Who holds it.
    pub agent_id: String,
    /// The customer's latest message, or the assignment when none since.
    pub customer_active_at: SystemTime,
}

/// Why an offer could not be acted on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OfferProblem {
    /// No such offer, ever.
    Unknown,
    /// Offered to another agent.
    NotYours,
    /// It ended (expired, declined, withdrawn or already accepted).
    Ended(String),
}

/// What ended offers and misses did, for the dispatcher to persist and announce.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lapsed {
    /// Offers that ended, with the reason.
    pub withdrawn: Vec<(Offer, &'static str)>,
    /// Agents set AWAY after missing offers in a row.
    pub now_away: Vec<String>,
    /// Tickets transferred to a named agent who passed: now open to the whole queue.
    pub untargeted: Vec<String>,
    /// Offers just made, to record when replicas share the store.
    pub made: Vec<Offer>,
}

impl Lapsed {
    /// Adds `other`'s consequences to these.
    pub fn absorb(&mut self, other: Lapsed) {
        self.withdrawn.extend(other.withdrawn);
        self.now_away.extend(other.now_away);
        self.untargeted.extend(other.untargeted);
        self.made.extend(other.made);
    }
}

/// The whole routing state.
#[derive(Debug)]
pub struct Routing {
    offer_timeout: Duration,
    /// After this long waiting, a ticket may go to its entrance's fallback skill too.
    overflow_after: Option<Duration>,
    queue: BTreeMap<QueueKey, Waiting>,
    keys: HashMap<String, QueueKey>,
    lines: Lines,
    agents: HashMap<String, AgentLoad>,
    offers: HashMap<String, Offer>,
    offered: HashMap<String, String>,
    /// Offers the agent accepted while the store is being written: they neither expire
    /// nor end with the agent's presence, only with the ticket.
    accepting: HashSet<String>,
    /// Agents who declined or missed a ticket, with when they may be offered it again.
    passed: HashMap<String, HashMap<String, SystemTime>>,
    chats: HashMap<String, Chat>,
    finished: HashMap<String, (String, &'static str)>,
    finished_order: VecDeque<String>,
    /// Every open ticket (queued or with an agent) by customer and entrance, so "does
    /// this customer have an open conversation?" needs no database read.
    open: HashMap<(String, Entrance), String>,
    open_keys: HashMap<String, (String, Entrance)>,
}

/// Why an offer ended when the agent declined it.
pub const DECLINED: &str = "it was declined";
/// Why an offer ended when its time ran out.
pub const EXPIRED: &str = "the offer expired";

/// Misses in a row after which an agent is set AWAY.
pub const MISSES_BEFORE_AWAY: u32 = 2;

impl Routing {
    /// Empty state; offers last `offer_timeout`.
    pub fn new(offer_timeout: Duration) -> Self {
        Self {
            offer_timeout,
            overflow_after: None,
            queue: BTreeMap::new(),
            keys: HashMap::new(),
            lines: Lines::default(),
            agents: HashMap::new(),
            offers: HashMap::new(),
            offered: HashMap::new(),
            accepting: HashSet::new(),
            passed: HashMap::new(),
            chats: HashMap::new(),
            finished: HashMap::new(),
            finished_order: VecDeque::new(),
            open: HashMap::new(),
            open_keys: HashMap::new(),
        }
    }

    /// The same state letting tickets that waited `after` go to the entrance's
    /// fallback skill too (`None`: never).
    pub fn with_overflow(mut self, after: Option<Duration>) -> Self {
        self.overflow_after = after;
        self
    }

    /// How long an offer stays open.
    pub fn offer_timeout(&self) -> Duration {
        self.offer_timeout
    }

    /// Adds an agent or refreshes their profile and presence; their load is kept. An
    /// agent who is no longer available loses their offer.
    pub fn upsert_agent(&mut self, agent: &Agent, now: SystemTime) -> Lapsed {
        let slot = self
            .agents
            .entry(agent.profile.agent_id.clone())
            .or_insert_with(|| AgentLoad::new(agent.clone(), agent.presence_since));
        let became_available =
            agent.presence == Presence::Available && slot.agent.presence != Presence::Available;
        let slots_changed =
            slot.agent.presence != agent.presence || slot.agent.profile != agent.profile;
        slot.agent = agent.clone();
        if became_available {
            slot.idle_since = now;
            slot.missed = 0;
        }
        if slots_changed || became_available {
            self.lines.all_moved();
        }
        let mut lapsed = Lapsed::default();
        if agent.presence != Presence::Available
            && let Some(offer_id) = self.agents[&agent.profile.agent_id].offer.clone()
            && !self.accepting.contains(&offer_id)
        {
            self.end_offer(&offer_id, "the agent is not available", &mut lapsed);
        }
        lapsed
    }

    /// Notes that the customer's ticket at `entrance` is open.
    pub fn note_open(&mut self, customer_id: &str, entrance: Entrance, ticket_id: &str) {
        let key = (customer_id.to_owned(), entrance);
        self.open.insert(key.clone(), ticket_id.to_owned());
        self.open_keys.insert(ticket_id.to_owned(), key);
    }

    /// Notes that the ticket closed.
    pub fn forget_open(&mut self, ticket_id: &str) {
        if let Some(key) = self.open_keys.remove(ticket_id)
            && self.open.get(&key).is_some_and(|t| t == ticket_id)
        {
            self.open.remove(&key);
        }
    }

    /// The customer's open ticket at `entrance`, as far as routing knows.
    pub fn open_ticket_of(&self, customer_id: &str, entrance: Entrance) -> Option<&str> {
        self.open
            .get(&(customer_id.to_owned(), entrance))
            .map(String::as_str)
    }

    /// One agent with their load.
    pub fn agent(&self, agent_id: &str) -> Option<&AgentLoad> {
        self.agents.get(agent_id)
    }

    /// Every agent with their load.
    pub fn agents(&self) -> impl Iterator<Item = &AgentLoad> {
        self.agents.values()
    }

    /// Puts a ticket in its queue (again, after a transfer).
    pub fn enqueue(&mut self, waiting: Waiting) {
        self.remove(&waiting.ticket_id);
        let key = (
            Reverse(waiting.priority),
            waiting.since,
            waiting.ticket_id.clone(),
        );
        self.keys.insert(waiting.ticket_id.clone(), key.clone());
        let line = (waiting.entrance, waiting.skill.clone());
        self.lines.insert(line, key.clone());
        self.queue.insert(key, waiting);
    }

    /// Records a conversation with an agent (after a restart).
    pub fn hold(&mut self, ticket_id: &str, agent_id: &str, customer_active_at: SystemTime) {
        self.remove(ticket_id);
        if let Some(slot) = self.agents.get_mut(agent_id) {
            slot.active.insert(ticket_id.to_owned());
        }
        self.chats.insert(
            ticket_id.to_owned(),
            Chat {
                agent_id: agent_id.to_owned(),
                customer_active_at,
            },
        );
    }

    /// The queued ticket, if it waits.
    pub fn waiting(&self, ticket_id: &str) -> Option<&Waiting> {
        self.keys.get(ticket_id).and_then(|k| self.queue.get(k))
    }

    /// The conversation, if an agent holds the ticket.
    pub fn chat(&self, ticket_id: &str) -> Option<&Chat> {
        self.chats.get(ticket_id)
    }

    /// Every conversation.
    pub fn chats(&self) -> impl Iterator<Item = (&String, &Chat)> {
        self.chats.iter()
    }

    /// The queued tickets in service order.
    pub fn queued(&self) -> impl Iterator<Item = &Waiting> {
        self.queue.values()
    }

    /// The ticket's place in its queue: (position from 1, waiting in that queue).
    pub fn position(&self, ticket_id: &str) -> Option<(u32, u32)> {
        let key = self.keys.get(ticket_id)?;
        let me = self.queue.get(key)?;
        self.lines.position(&(me.entrance, me.skill.clone()), key)
    }

    /// Every queued ticket with its place: (ticket, position from 1, waiting in its
    /// queue), queue by queue.
    pub fn positions(&self) -> impl Iterator<Item = (&Waiting, u32, u32)> {
        self.lines
            .iter()
            .flat_map(move |(queue, _)| self.places(queue, 0))
    }

    /// The tickets of `queue` from place `from` (0-based) on, with their places.
    pub fn places(
        &self,
        queue: &QueueId,
        from: usize,
    ) -> impl Iterator<Item = (&Waiting, u32, u32)> {
        let keys = self.lines.keys(queue);
        let waiting = lines::count(keys.len());
        keys.iter()
            .enumerate()
            .skip(from)
            .filter_map(move |(i, key)| Some((self.queue.get(key)?, lines::count(i + 1), waiting)))
    }

    /// Which places changed since the last call (for the positions publisher).
    pub fn take_position_changes(&mut self) -> Changes {
        self.lines.take_changes()
    }

    /// Every waiting ticket's estimate may differ now: capacity or handling times moved.
    pub fn estimates_changed(&mut self) {
        self.lines.all_moved();
    }

    /// Takes the ticket out of routing (closed, or about to move): its offer is withdrawn
    /// and its agent's slot freed.
    pub fn remove(&mut self, ticket_id: &str) -> Lapsed {
        let mut lapsed = Lapsed::default();
        if let Some(offer_id) = self.offered.get(ticket_id).cloned() {
            self.end_offer(&offer_id, "the customer left", &mut lapsed);
        }
        if let Some(key) = self.keys.remove(ticket_id)
            && let Some(waiting) = self.queue.remove(&key)
        {
            self.lines.remove(&(waiting.entrance, waiting.skill), &key);
        }
        self.passed.remove(ticket_id);
        if let Some(chat) = self.chats.remove(ticket_id)
            && let Some(slot) = self.agents.get_mut(&chat.agent_id)
        {
            slot.active.remove(ticket_id);
        }
        lapsed
    }

    /// Frees the agent's slot for a ticket that leaves them, marking them idle from `now`.
    pub fn release(&mut self, ticket_id: &str, now: SystemTime) -> Lapsed {
        if let Some(chat) = self.chats.get(ticket_id)
            && let Some(slot) = self.agents.get_mut(&chat.agent_id)
        {
            slot.idle_since = now;
        }
        self.remove(ticket_id)
    }

    /// Notes a customer message in a conversation.
    pub fn touch(&mut self, ticket_id: &str, at: SystemTime) {
        if let Some(chat) = self.chats.get_mut(ticket_id) {
            chat.customer_active_at = chat.customer_active_at.max(at);
        }
    }

    /// Conversations without a customer message for `idle` by `now`.
    pub fn idle_chats(&self, now: SystemTime, idle: Duration) -> Vec<String> {
        self.chats
            .iter()
            .filter(|(_, c)| c.customer_active_at + idle <= now)
            .map(|(id, _)| id.clone())
            .collect()
    }
}

mod check;
mod lines;
mod mirror;
mod offers;

use lines::Lines;
pub use lines::{Changes, QueueId};
#[cfg(test)]
mod tests;
