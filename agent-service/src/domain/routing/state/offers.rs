//! Offers: who is offered which ticket (the planning pass), accepting, declining and
//! expiring them, and where a waiting ticket stands in its queue.

use std::{collections::HashSet, time::SystemTime};

use super::{
    super::plan::{AgentLoad, best_agent, eligible},
    FINISHED_OFFERS_KEPT, Lapsed, MISSES_BEFORE_AWAY, Offer, OfferProblem, Routing,
};
use crate::domain::{Entrance, Presence};

impl Routing {
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

    pub(super) fn end_offer(&mut self, offer_id: &str, why: &'static str, lapsed: &mut Lapsed) {
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
