//! Following changes another replica made (several agent-service replicas on one
//! database): offers the routing replica made or ended, and tickets whose stored state
//! moved on. Each step is idempotent, so hearing one's own change again does nothing.

use std::time::SystemTime;

use super::{Lapsed, Offer, Routing, Waiting};
use crate::domain::{Ticket, TicketStatus};

/// Why a mirrored offer ended, for a late look-up.
const ENDED_ELSEWHERE: &str = "it ended";

impl Routing {
    /// An offer the routing replica made: mirrored, so views and a takeover see it, while
    /// its ticket still waits. A ticket or agent has one offer at a time; an older one
    /// gives way.
    pub fn adopt_offer(&mut self, offer: Offer) {
        // Already known, or the ticket moved on before the notice was heard (taken here
        // the moment the offer was shown): nothing to mirror.
        if self.offers.contains_key(&offer.offer_id) || self.waiting(&offer.ticket_id).is_none() {
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::{Agent, AgentCard, AgentProfile, Entrance, Presence};

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
    }

    fn routing_with_agent() -> Routing {
        let mut routing = Routing::new(Duration::from_secs(30));
        let agent = Agent {
            profile: AgentProfile {
                agent_id: "a-1".into(),
                work_number: "1".into(),
                display_name: "one".into(),
                skills: vec!["orders".into()],
                entrances: vec![Entrance::Consumer],
                capacity: 2,
            },
            presence: Presence::Available,
            presence_since: t(0),
        };
        routing.upsert_agent(&agent, t(0));
        routing
    }

    fn ticket(status: TicketStatus, agent: Option<&str>) -> (Ticket, Waiting) {
        let ticket = Ticket {
            ticket_id: "t-1".into(),
            customer_id: "c-1".into(),
            entrance: Entrance::Consumer,
            skill: "orders".into(),
            priority: 0,
            reason: String::new(),
            intent: String::new(),
            bot_session_id: "s-1".into(),
            status,
            agent: agent.map(|id| AgentCard {
                agent_id: id.into(),
                work_number: "1".into(),
                display_name: "one".into(),
            }),
            created_at: t(1),
            assigned_at: agent.map(|_| t(2)),
            closed_at: None,
            close_reason: None,
            last_sequence: 1,
        };
        let waiting = Waiting {
            ticket_id: "t-1".into(),
            entrance: Entrance::Consumer,
            skill: "orders".into(),
            priority: 0,
            since: t(1),
            target: None,
        };
        (ticket, waiting)
    }

    fn offer() -> Offer {
        Offer {
            offer_id: "o-1".into(),
            ticket_id: "t-1".into(),
            agent_id: "a-1".into(),
            expires_at: t(31),
        }
    }

    #[test]
    fn a_followed_ticket_queues_takes_its_offer_and_closes_idempotently() {
        let mut routing = routing_with_agent();
        let (queued, waiting) = ticket(TicketStatus::Queued, None);
        routing.follow("t-1", Some((&queued, waiting.clone())), t(1));
        routing.follow("t-1", Some((&queued, waiting.clone())), t(1));
        assert_eq!(routing.position("t-1"), Some((1, 1)));
        routing.adopt_offer(offer());
        assert_eq!(routing.offer_for_agent("a-1"), Some(&offer()));
        let (held, _) = ticket(TicketStatus::WithAgent, Some("a-1"));
        routing.follow("t-1", Some((&held, waiting.clone())), t(3));
        assert!(routing.offer("o-1").is_none(), "the offer was taken");
        assert_eq!(
            routing.chat("t-1").map(|c| c.agent_id.as_str()),
            Some("a-1")
        );
        assert_eq!(routing.agent("a-1").map(|a| a.active.len()), Some(1));
        let (closed, _) = ticket(TicketStatus::Closed, Some("a-1"));
        routing.follow("t-1", Some((&closed, waiting.clone())), t(4));
        routing.follow("t-1", Some((&closed, waiting)), t(4));
        assert!(routing.chat("t-1").is_none());
        assert_eq!(routing.agent("a-1").map(|a| a.active.len()), Some(0));
        assert!(routing.open_ticket_of("c-1", Entrance::Consumer).is_none());
    }

    #[test]
    fn an_offer_heard_after_its_ticket_was_taken_is_not_mirrored() {
        let mut routing = routing_with_agent();
        let (held, waiting) = ticket(TicketStatus::WithAgent, Some("a-1"));
        routing.follow("t-1", Some((&held, waiting)), t(2));
        routing.adopt_offer(offer());
        assert!(routing.offer("o-1").is_none());
        assert!(routing.offer_for_agent("a-1").is_none());
    }

    #[test]
    fn a_decline_heard_from_another_replica_keeps_the_agent_from_the_ticket() {
        let mut routing = routing_with_agent();
        let (queued, waiting) = ticket(TicketStatus::Queued, None);
        routing.follow("t-1", Some((&queued, waiting)), t(1));
        routing.adopt_offer(offer());
        routing.offer_ended_elsewhere("o-1", true, t(5));
        assert!(routing.offer("o-1").is_none());
        assert!(
            routing.plan(t(6), || "o-2".into()).is_empty(),
            "not offered again at once"
        );
        assert_eq!(
            routing.plan(t(36), || "o-3".into()).len(),
            1,
            "after a timeout"
        );
    }
}
