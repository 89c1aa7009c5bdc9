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

use super::plan::{AgentLoad, QueueKey, best_agent, eligible};
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
}

/// The whole routing state.
#[derive(Debug)]
pub struct Routing {
    offer_timeout: Duration,
    queue: BTreeMap<QueueKey, Waiting>,
    keys: HashMap<String, QueueKey>,
    agents: HashMap<String, AgentLoad>,
    offers: HashMap<String, Offer>,
    offered: HashMap<String, String>,
    /// Agents who declined or missed a ticket, with when they may be offered it again.
    passed: HashMap<String, HashMap<String, SystemTime>>,
    chats: HashMap<String, Chat>,
    finished: HashMap<String, (String, &'static str)>,
    finished_order: VecDeque<String>,
}

/// Misses in a row after which an agent is set AWAY.
pub const MISSES_BEFORE_AWAY: u32 = 2;

impl Routing {
    /// Empty state; offers last `offer_timeout`.
    pub fn new(offer_timeout: Duration) -> Self {
        Self {
            offer_timeout,
            queue: BTreeMap::new(),
            keys: HashMap::new(),
            agents: HashMap::new(),
            offers: HashMap::new(),
            offered: HashMap::new(),
            passed: HashMap::new(),
            chats: HashMap::new(),
            finished: HashMap::new(),
            finished_order: VecDeque::new(),
        }
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
        slot.agent = agent.clone();
        if became_available {
            slot.idle_since = now;
            slot.missed = 0;
        }
        let mut lapsed = Lapsed::default();
        if agent.presence != Presence::Available
            && let Some(offer_id) = slot.offer.clone()
        {
            self.end_offer(&offer_id, "the agent is not available", &mut lapsed);
        }
        lapsed
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

    /// Takes the ticket out of routing (closed, or about to move): its offer is withdrawn
    /// and its agent's slot freed.
    pub fn remove(&mut self, ticket_id: &str) -> Lapsed {
        let mut lapsed = Lapsed::default();
        if let Some(offer_id) = self.offered.get(ticket_id).cloned() {
            self.end_offer(&offer_id, "the customer left", &mut lapsed);
        }
        if let Some(key) = self.keys.remove(ticket_id) {
            self.queue.remove(&key);
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

    /// The open offer with this id.
    pub fn offer(&self, offer_id: &str) -> Option<&Offer> {
        self.offers.get(offer_id)
    }

    /// The open offer of a ticket.
    pub fn offer_of_ticket(&self, ticket_id: &str) -> Option<&Offer> {
        self.offered
            .get(ticket_id)
            .and_then(|id| self.offers.get(id))
    }

    /// The agent's open offer.
    pub fn offer_for_agent(&self, agent_id: &str) -> Option<&Offer> {
        let offer_id = self.agents.get(agent_id)?.offer.as_ref()?;
        self.offers.get(offer_id)
    }

    /// The agent's open offer `offer_id`, or why it cannot be acted on.
    pub fn check_offer(&self, agent_id: &str, offer_id: &str) -> Result<&Offer, OfferProblem> {
        match self.offers.get(offer_id) {
            Some(o) if o.agent_id == agent_id => Ok(o),
            Some(_) => Err(OfferProblem::NotYours),
            None => match self.finished.get(offer_id) {
                Some((owner, _)) if owner != agent_id => Err(OfferProblem::NotYours),
                Some((_, why)) => Err(OfferProblem::Ended((*why).to_owned())),
                None => Err(OfferProblem::Unknown),
            },
        }
    }

    /// The offer was accepted and made durable: the agent holds the ticket now.
    pub fn accepted(&mut self, offer_id: &str, now: SystemTime) {
        let Some(offer) = self.offers.get(offer_id).cloned() else {
            return;
        };
        self.finish(&offer, "it was accepted");
        self.remove(&offer.ticket_id);
        if let Some(slot) = self.agents.get_mut(&offer.agent_id) {
            slot.missed = 0;
            slot.idle_since = now;
        }
        self.hold(&offer.ticket_id, &offer.agent_id, now);
    }

    /// The agent declined: the ticket goes to someone else (the agent may be offered it
    /// again after one offer timeout).
    pub fn decline(&mut self, offer_id: &str, now: SystemTime) -> Lapsed {
        let mut lapsed = Lapsed::default();
        if let Some(offer) = self.offers.get(offer_id).cloned() {
            if let Some(slot) = self.agents.get_mut(&offer.agent_id) {
                slot.missed = 0;
            }
            self.pass(&offer, now, &mut lapsed);
            self.end_offer(offer_id, "it was declined", &mut lapsed);
            lapsed.withdrawn.clear();
        }
        lapsed
    }

    /// Ends the offers that lapsed by `now`; agents who missed two in a row go AWAY.
    pub fn expire(&mut self, now: SystemTime) -> Lapsed {
        let mut lapsed = Lapsed::default();
        let due: Vec<Offer> = self
            .offers
            .values()
            .filter(|o| o.expires_at <= now)
            .cloned()
            .collect();
        for offer in due {
            self.pass(&offer, now, &mut lapsed);
            self.end_offer(&offer.offer_id, "the offer expired", &mut lapsed);
            let Some(slot) = self.agents.get_mut(&offer.agent_id) else {
                continue;
            };
            slot.missed += 1;
            if slot.missed >= MISSES_BEFORE_AWAY && slot.agent.presence == Presence::Available {
                slot.agent.presence = Presence::Away;
                slot.agent.presence_since = now;
                lapsed.now_away.push(offer.agent_id.clone());
            }
        }
        lapsed
    }

    /// Makes new offers: in service order, each waiting ticket without an offer goes to
    /// the best eligible agent, until no agent has room.
    pub fn plan(&mut self, now: SystemTime, mut new_id: impl FnMut() -> String) -> Vec<Offer> {
        let mut made = Vec::new();
        let mut free = self.agents.values().filter(|a| a.has_room()).count();
        let mut exhausted: HashSet<(Entrance, String)> = HashSet::new();
        let mut picks = Vec::new();
        for waiting in self.queue.values() {
            if free == 0 {
                break;
            }
            if self.offered.contains_key(&waiting.ticket_id)
                || picks
                    .iter()
                    .any(|(t, _): &(String, String)| t == &waiting.ticket_id)
            {
                continue;
            }
            let queue = (waiting.entrance, waiting.skill.clone());
            if waiting.target.is_none() && exhausted.contains(&queue) {
                continue;
            }
            let taken: HashSet<&str> = picks.iter().map(|(_, a)| a.as_str()).collect();
            let candidates: Vec<&AgentLoad> = self
                .agents
                .values()
                .filter(|a| !taken.contains(a.agent.profile.agent_id.as_str()))
                .filter(|a| eligible(a, waiting))
                .collect();
            if candidates.is_empty() {
                if waiting.target.is_none() {
                    exhausted.insert(queue);
                }
                continue;
            }
            let passed = self.passed.get(&waiting.ticket_id);
            let fresh = candidates.into_iter().filter(|a| {
                passed
                    .and_then(|p| p.get(&a.agent.profile.agent_id))
                    .is_none_or(|until| *until <= now)
            });
            if let Some(agent) = best_agent(fresh) {
                picks.push((
                    waiting.ticket_id.clone(),
                    agent.agent.profile.agent_id.clone(),
                ));
                free -= 1;
            }
        }
        for (ticket_id, agent_id) in picks {
            let offer = Offer {
                offer_id: new_id(),
                ticket_id: ticket_id.clone(),
                agent_id: agent_id.clone(),
                expires_at: now + self.offer_timeout,
            };
            if let Some(slot) = self.agents.get_mut(&agent_id) {
                slot.offer = Some(offer.offer_id.clone());
            }
            self.offered.insert(ticket_id, offer.offer_id.clone());
            self.offers.insert(offer.offer_id.clone(), offer.clone());
            made.push(offer);
        }
        made
    }

    /// The ticket's place in its queue: (position from 1, waiting in that queue).
    pub fn position(&self, ticket_id: &str) -> Option<(u32, u32)> {
        let me = self.waiting(ticket_id)?;
        let mut position = 0;
        let mut waiting = 0;
        for w in self.queue.values() {
            if w.entrance == me.entrance && w.skill == me.skill {
                waiting += 1;
                if w.ticket_id == me.ticket_id {
                    position = waiting;
                }
            }
        }
        Some((position, waiting))
    }

    fn pass(&mut self, offer: &Offer, now: SystemTime, lapsed: &mut Lapsed) {
        self.passed
            .entry(offer.ticket_id.clone())
            .or_default()
            .insert(offer.agent_id.clone(), now + self.offer_timeout);
        if let Some(key) = self.keys.get(&offer.ticket_id)
            && let Some(waiting) = self.queue.get_mut(key)
            && waiting.target.is_some()
        {
            waiting.target = None;
            lapsed.untargeted.push(offer.ticket_id.clone());
        }
    }

    fn end_offer(&mut self, offer_id: &str, why: &'static str, lapsed: &mut Lapsed) {
        let Some(offer) = self.offers.get(offer_id).cloned() else {
            return;
        };
        self.finish(&offer, why);
        lapsed.withdrawn.push((offer, why));
    }

    fn finish(&mut self, offer: &Offer, why: &'static str) {
        self.offers.remove(&offer.offer_id);
        self.offered.remove(&offer.ticket_id);
        if let Some(slot) = self.agents.get_mut(&offer.agent_id)
            && slot.offer.as_deref() == Some(offer.offer_id.as_str())
        {
            slot.offer = None;
        }
        self.finished
            .insert(offer.offer_id.clone(), (offer.agent_id.clone(), why));
        self.finished_order.push_back(offer.offer_id.clone());
        while self.finished_order.len() > FINISHED_OFFERS_KEPT {
            if let Some(old) = self.finished_order.pop_front() {
                self.finished.remove(&old);
            }
        }
    }
}

mod check;
#[cfg(test)]
mod tests;
