//! What routing can tell others without changing anything: a queued ticket's position
//! and estimated wait, an agent's offer, load and card, and a snapshot of every queue
//! for supervisors. Estimates use the handling times of the last hour.

use std::{
    collections::{BTreeMap, VecDeque},
    time::{Duration, SystemTime},
};

use super::{Dispatcher, Offer, plan::AgentLoad};
use crate::{
    domain::{AgentCard, DomainError, Entrance, Presence, Ticket, intake::QueueStatus},
    store::TicketTimes,
};

use super::{
    estimate_wait,
    plan::{check_skill, serving_slots},
};

/// How far back handling times count for estimates.
pub const HANDLING_WINDOW: Duration = Duration::from_secs(60 * 60);

/// How long one conversation takes, for estimates until measured figures exist.
pub const DEFAULT_HANDLING_TIME: Duration = Duration::from_secs(3 * 60);

/// Recent handling times (assignment to close), per queue.
#[derive(Debug, Default)]
pub struct HandlingWindow {
    samples: VecDeque<(SystemTime, Entrance, String, Duration)>,
}

impl HandlingWindow {
    /// Replaces the samples with the closes among `times`.
    pub fn load(&mut self, times: &[TicketTimes]) {
        self.samples.clear();
        let mut closes: Vec<_> = times
            .iter()
            .filter_map(|t| {
                let (assigned, closed) = (t.assigned_at?, t.closed_at?);
                let took = closed.duration_since(assigned).unwrap_or_default();
                Some((closed, t.entrance, t.skill.clone(), took))
            })
            .collect();
        closes.sort_by_key(|c| c.0);
        self.samples.extend(closes);
    }

    /// Adds the handling of a ticket that just closed.
    pub fn record(&mut self, ticket: &Ticket, assigned: SystemTime, closed: SystemTime) {
        let took = closed.duration_since(assigned).unwrap_or_default();
        let sample = (closed, ticket.entrance, ticket.skill.clone(), took);
        self.samples.push_back(sample);
    }

    /// The average handling time of the queue over the window (of all queues when it has
    /// none; the default when nothing closed lately).
    pub fn average(&mut self, entrance: Entrance, skill: &str, now: SystemTime) -> Duration {
        while self
            .samples
            .front()
            .is_some_and(|s| s.0 + HANDLING_WINDOW < now)
        {
            self.samples.pop_front();
        }
        let mean = |it: &mut dyn Iterator<Item = Duration>| {
            let (n, sum) = it.fold((0u32, Duration::ZERO), |(n, s), d| (n + 1, s + d));
            (n > 0).then(|| sum / n)
        };
        let all = &self.samples;
        mean(
            &mut all
                .iter()
                .filter(|s| s.1 == entrance && s.2 == skill)
                .map(|s| s.3),
        )
        .or_else(|| mean(&mut all.iter().map(|s| s.3)))
        .unwrap_or(DEFAULT_HANDLING_TIME)
    }
}

/// One queue right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueSnapshot {
    /// Which door.
    pub entrance: Entrance,
    /// Which skill.
    pub skill: String,
    /// Tickets waiting.
    pub waiting: u32,
    /// Since when the longest-waiting ticket waits.
    pub oldest_since: Option<SystemTime>,
    /// Available agents serving it.
    pub agents_available: u32,
}

impl Dispatcher {
    /// Where a queued ticket stands and how long it will likely wait.
    pub async fn queue_status(&self, ticket_id: &str) -> Option<QueueStatus> {
        let state = self.inner.state.lock().await;
        let (position, waiting) = state.position(ticket_id)?;
        let ticket = state.waiting(ticket_id)?;
        let slots = serving_slots(state.agents(), ticket.entrance, &ticket.skill);
        let (entrance, skill) = (ticket.entrance, ticket.skill.clone());
        drop(state);
        let now = self.inner.clock.now();
        let handling = self.handling().average(entrance, &skill, now);
        Some(QueueStatus {
            position,
            waiting,
            estimated_wait: estimate_wait(position, handling, slots),
        })
    }

    /// The time on routing's clock (what a queue status sent now is dated).
    pub fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }

    /// Checks that tickets can be queued for `skill` (see [`check_skill`]); `field`
    /// names it in the error.
    pub async fn check_skill(&self, field: &str, skill: &str) -> Result<(), DomainError> {
        let state = self.inner.state.lock().await;
        check_skill(field, skill, &self.inner.settings.skills, state.agents())
    }

    /// The customer's open ticket at `entrance`, from memory (no database read); a
    /// ticket stored a moment ago may not be known yet.
    pub async fn open_ticket_of(&self, customer_id: &str, entrance: Entrance) -> Option<String> {
        let state = self.inner.state.lock().await;
        state
            .open_ticket_of(customer_id, entrance)
            .map(str::to_owned)
    }

    /// The agent's open offer.
    pub async fn offer_for(&self, agent_id: &str) -> Option<Offer> {
        let state = self.inner.state.lock().await;
        state.offer_for_agent(agent_id).cloned()
    }

    /// The open offer of a ticket.
    pub async fn offer_of_ticket(&self, ticket_id: &str) -> Option<Offer> {
        let state = self.inner.state.lock().await;
        state.offer_of_ticket(ticket_id).cloned()
    }

    /// The tickets the agent is chatting on.
    pub async fn chats_of(&self, agent_id: &str) -> Vec<String> {
        let state = self.inner.state.lock().await;
        state
            .agent(agent_id)
            .map(|a| a.active.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The public card of an agent.
    pub async fn card(&self, agent_id: &str) -> Option<AgentCard> {
        let state = self.inner.state.lock().await;
        state.agent(agent_id).map(|a| a.agent.card())
    }

    /// Every agent with their load.
    pub async fn loads(&self) -> Vec<AgentLoad> {
        let state = self.inner.state.lock().await;
        state.agents().cloned().collect()
    }

    /// Every queue that has tickets waiting or agents serving it.
    pub async fn snapshot(&self) -> Vec<QueueSnapshot> {
        let state = self.inner.state.lock().await;
        let mut queues: BTreeMap<(Entrance, String), QueueSnapshot> = BTreeMap::new();
        for a in state.agents() {
            for e in &a.agent.profile.entrances {
                for s in &a.agent.profile.skills {
                    ensure(&mut queues, *e, s);
                }
            }
        }
        for w in state.queued() {
            ensure(&mut queues, w.entrance, &w.skill);
        }
        for w in state.queued() {
            if let Some(q) = queues.get_mut(&(w.entrance, w.skill.clone())) {
                q.waiting += 1;
                q.oldest_since = Some(q.oldest_since.map_or(w.since, |o| o.min(w.since)));
            }
        }
        for a in state
            .agents()
            .filter(|a| a.agent.presence == Presence::Available)
        {
            for q in queues.values_mut() {
                if a.agent.serves(q.entrance, &q.skill) {
                    q.agents_available += 1;
                }
            }
        }
        queues.into_values().collect()
    }
}

fn ensure(
    queues: &mut BTreeMap<(Entrance, String), QueueSnapshot>,
    entrance: Entrance,
    skill: &str,
) {
    queues
        .entry((entrance, skill.to_owned()))
        .or_insert_with(|| QueueSnapshot {
            entrance,
            skill: skill.to_owned(),
            waiting: 0,
            oldest_since: None,
            agents_available: 0,
        });
}
