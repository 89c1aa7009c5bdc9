//! Offers: who is offered which ticket (the planning pass), accepting, declining and
//! expiring them, and where a waiting ticket stands in its queue.

use std::{collections::HashSet, time::SystemTime};

use super::{
    super::plan::{AgentLoad, best_agent, eligible, overflowing},
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

    /// The agent accepted the offer and the store is about to be written: until
    /// [`Routing::assigned`] or [`Routing::lost`], it does not expire, and the agent keeps
    /// it (so gets no other offer) whatever their presence.
    pub fn begin_accept(&mut self, offer_id: &str) {
        if self.offers.contains_key(offer_id) {
            self.accepting.insert(offer_id.to_owned());
        }
    }

    /// The offer was accepted and made durable: the agent holds the ticket now.
    pub fn accepted(&mut self, offer_id: &str, now: SystemTime) -> Lapsed {
        match self.offers.get(offer_id).cloned() {
            Some(offer) => self.assigned(&offer, now),
            None => Lapsed::default(),
        }
    }

    /// The store assigned the offered ticket to the offer's agent, though routing may
    /// have moved on while the store was written (the offer expired, the ticket was
    /// re-offered): whatever offer the ticket has now ends, and the agent holds it.
    pub fn assigned(&mut self, offer: &Offer, now: SystemTime) -> Lapsed {
        let mut lapsed = Lapsed::default();
        if self.offers.contains_key(&offer.offer_id) {
            self.finish(offer, "it was accepted");
        }
        if let Some(other) = self.offered.get(&offer.ticket_id).cloned() {
            self.end_offer(&other, "another agent took the ticket", &mut lapsed);
        }
        lapsed.absorb(self.remove(&offer.ticket_id));
        if let Some(slot) = self.agents.get_mut(&offer.agent_id) {
            slot.missed = 0;
            slot.idle_since = now;
        }
        self.hold(&offer.ticket_id, &offer.agent_id, now);
        // Offered another ticket meanwhile but full now: that offer cannot be taken.
        if let Some(slot) = self.agents.get(&offer.agent_id)
            && slot.active.len() >= slot.agent.profile.capacity as usize
            && let Some(open) = slot.offer.clone()
        {
            self.end_offer(&open, "the agent is at capacity", &mut lapsed);
        }
        lapsed
    }

    /// The store refused to assign the offered ticket: it is closed, or someone else
    /// holds it. Routing follows the store.
    /// Without `stored` (the store did not answer) the offer just ends.
    pub fn lost(&mut self, offer: &Offer, stored: Option<&crate::domain::Ticket>) -> Lapsed {
        let mut lapsed = Lapsed::default();
        self.end_offer(
            &offer.offer_id,
            "the ticket was taken or closed",
            &mut lapsed,
        );
        let Some(stored) = stored else {
            return lapsed;
        };
        match (&stored.status, &stored.agent) {
            (crate::domain::TicketStatus::WithAgent, Some(holder))
                if self
                    .chat(&offer.ticket_id)
                    .is_none_or(|c| c.agent_id != holder.agent_id) =>
            {
                let since = stored.assigned_at.unwrap_or(stored.created_at);
                lapsed.absorb(self.remove(&offer.ticket_id));
                self.hold(&offer.ticket_id, &holder.agent_id, since);
            }
            (crate::domain::TicketStatus::Closed, _) => {
                lapsed.absorb(self.remove(&offer.ticket_id));
            }
            _ => {}
        }
        lapsed
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
            self.end_offer(offer_id, super::DECLINED, &mut lapsed);
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
            .filter(|o| o.expires_at <= now && !self.accepting.contains(&o.offer_id))
            .cloned()
            .collect();
        for offer in due {
            self.pass(&offer, now, &mut lapsed);
            self.end_offer(&offer.offer_id, super::EXPIRED, &mut lapsed);
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
        if !lapsed.now_away.is_empty() {
            self.estimates_changed();
        }
        lapsed
    }

    /// Makes new offers: in service order, each waiting ticket without an offer goes to
    /// the best eligible agent, until no agent has room.
    pub fn plan(&mut self, now: SystemTime, mut new_id: impl FnMut() -> String) -> Vec<Offer> {
        let mut made = Vec::new();
        let mut free = self.agents.values().filter(|a| a.has_room()).count();
        let mut exhausted: HashSet<(Entrance, String, bool)> = HashSet::new();
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
            let overflowing = overflowing(waiting, now, self.overflow_after);
            let queue = (waiting.entrance, waiting.skill.clone(), overflowing);
            if waiting.target.is_none() && exhausted.contains(&queue) {
                continue;
            }
            let taken: HashSet<&str> = picks.iter().map(|(_, a)| a.as_str()).collect();
            let candidates: Vec<&AgentLoad> = self
                .agents
                .values()
                .filter(|a| !taken.contains(a.agent.profile.agent_id.as_str()))
                .filter(|a| eligible(a, waiting, overflowing))
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

    pub(super) fn finish(&mut self, offer: &Offer, why: &'static str) {
        self.offers.remove(&offer.offer_id);
        self.accepting.remove(&offer.offer_id);
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
