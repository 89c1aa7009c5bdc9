//! Following changes another replica made (several agent-service replicas on one
//! database): offers the routing replica made or ended, and tickets whose stored state
//! moved on. Each step is idempotent, so hearing one's own change again does nothing.

use std::time::SystemTime;

use super::{Lapsed, Offer, Routing, Waiting};
use crate::domain::{Ticket, TicketStatus};

/// Why a mirrored offer ended, for a late look-up.
const ENDED_ELSEWHERE: &str = "it ended";

impl Routing {
    /// An offer the routing replica made: mirrored, so views and a takeover see it. A
    /// ticket or agent has one offer at a time; an older one gives way.
    pub fn adopt_offer(&mut self, offer: Offer) {
        if self.offers.contains_key(&offer.offer_id) {
            return;
        }
        if let Some(old) = self.offered.get(&offer.ticket_id).cloned()
            && let Some(old) = self.offers.get(&old).cloned()
        {
            self.finish(&old, ENDED_ELSEWHERE);
        }
        if let Some(old) = self
            .agents
            .get(&offer.agent_id)
            .and_then(|slot| slot.offer.clone())
            && let Some(old) = self.offers.get(&old).cloned()
        {
            self.finish(&old, ENDED_ELSEWHERE);
        }
        if let Some(slot) = self.agents.get_mut(&offer.agent_id) {
            slot.offer = Some(offer.offer_id.clone());
        }
        self.offered
            .insert(offer.ticket_id.clone(), offer.offer_id.clone());
        self.offers.insert(offer.offer_id.clone(), offer);
    }

    /// An offer ended on another replica: forgotten here; a decline is remembered so the
    /// agent is not offered the same ticket again at once.
    pub fn offer_ended_elsewhere(&mut self, offer_id: &str, declined: bool, now: SystemTime) {
        if declined {
            self.decline(offer_id, now);
        } else if let Some(offer) = self.offers.get(offer_id).cloned() {
            self.finish(&offer, ENDED_ELSEWHERE);
        }
    }

    /// Brings one ticket in line with what the store holds now (`None`: unknown);
    /// `waiting` is how it waits when queued. Returns what ended on the way.
    pub fn follow(
        &mut self,
        ticket_id: &str,
        stored: Option<(&Ticket, Waiting)>,
        now: SystemTime,
    ) -> Lapsed {
        let Some((ticket, waiting)) = stored else {
            return self.remove(ticket_id);
        };
        match (ticket.status, &ticket.agent) {
            (TicketStatus::Closed, _) => {
                self.forget_open(ticket_id);
                self.release(ticket_id, now)
            }
            (TicketStatus::WithAgent, Some(holder)) => {
                self.note_open(&ticket.customer_id, ticket.entrance, ticket_id);
                if self
                    .chat(ticket_id)
                    .is_some_and(|c| c.agent_id == holder.agent_id)
                {
                    return Lapsed::default();
                }
                match self.offer_of_ticket(ticket_id).cloned() {
                    Some(offer) if offer.agent_id == holder.agent_id => self.assigned(&offer, now),
                    _ => {
                        let lapsed = self.remove(ticket_id);
                        let since = ticket.assigned_at.unwrap_or(now);
                        self.hold(ticket_id, &holder.agent_id, since);
                        lapsed
                    }
                }
            }
            _ => {
                self.note_open(&ticket.customer_id, ticket.entrance, ticket_id);
                if self.waiting(ticket_id) == Some(&waiting) {
                    return Lapsed::default();
                }
                // Transferred (or new): whoever held it is free, and it queues again.
                let lapsed = self.release(ticket_id, now);
                self.enqueue(waiting);
                lapsed
            }
        }
    }
}
