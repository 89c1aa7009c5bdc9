//! Supervisors' figures: per queue, what waits now and how the last window went (with
//! the customers' satisfaction ratings given in it); per agent, their load now, how
//! many of their messages were flagged abusive, and their satisfaction ratings.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, SystemTime},
};

use server_kit::clock::SharedClock;

use super::{
    Agent, DomainError, Entrance,
    flags::{Flag, Flags},
    routing::Dispatcher,
    streams::ItemStream,
};
use crate::store::Store;

/// How far back averages look unless asked otherwise.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60 * 60);

/// Figures for one (entrance, skill) queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueFigures {
    /// Which door.
    pub entrance: Entrance,
    /// Which skill.
    pub skill: String,
    /// Tickets waiting now.
    pub waiting: u32,
    /// How long the longest-waiting ticket has waited.
    pub longest_wait: Duration,
    /// Available agents serving the queue.
    pub agents_available: u32,
    /// Creation to acceptance, over tickets accepted in the window.
    pub average_wait: Duration,
    /// Acceptance to close, over conversations closed in the window.
    pub average_handling: Duration,
    /// Conversations closed in the window.
    pub handled: u32,
    /// Satisfaction ratings of the queue's conversations given in the window.
    pub satisfaction: Satisfaction,
}

/// Customers' 1-5 satisfaction ratings, summed so any grouping averages exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Satisfaction {
    /// Ratings given.
    pub ratings: u64,
    /// Their scores added up.
    pub sum: u64,
}

impl Satisfaction {
    /// Adds ratings.
    fn add(&mut self, ratings: u64, sum: u64) {
        self.ratings += ratings;
        self.sum += sum;
    }

    /// The mean score; `None` without ratings.
    pub fn average(&self) -> Option<f64> {
        (self.ratings > 0).then(|| self.sum as f64 / self.ratings as f64)
    }
}

/// Figures for one agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentFigures {
    /// Profile and presence.
    pub agent: Agent,
    /// Conversations they hold now.
    pub active_chats: u32,
    /// Their stored messages flagged for abusive language, ever.
    pub flagged_messages: u64,
    /// Their satisfaction ratings, ever.
    pub satisfaction: Satisfaction,
}

/// Most stored flags one `watch_flags` call replays.
pub const FLAG_REPLAY_LIMIT: u32 = 10_000;

/// Queue and agent figures, and the abuse flags, for supervisors, over the store and
/// the dispatcher.
#[derive(Clone)]
pub struct Supervision {
    store: Arc<dyn Store>,
    clock: SharedClock,
    dispatcher: Dispatcher,
}

#[derive(Default)]
struct Sums {
    waits: (u32, Duration),
    handling: (u32, Duration),
}

fn mean((n, total): (u32, Duration)) -> Duration {
    if n == 0 { Duration::ZERO } else { total / n }
}

fn since(later: SystemTime, earlier: SystemTime) -> Duration {
    later.duration_since(earlier).unwrap_or_default()
}

impl Supervision {
    /// Figures over `store` and `dispatcher`, timed by `clock`.
    pub fn new(store: Arc<dyn Store>, clock: SharedClock, dispatcher: Dispatcher) -> Self {
        Self {
            store,
            clock,
            dispatcher,
        }
    }

    /// Every queue with tickets waiting or agents serving it; averages over `window`.
    pub async fn queue_figures(&self, window: Duration) -> Result<Vec<QueueFigures>, DomainError> {
        let now = self.clock.now();
        let from = now.checked_sub(window).unwrap_or(SystemTime::UNIX_EPOCH);
        let mut sums: HashMap<(Entrance, String), Sums> = HashMap::new();
        for t in self.store.ticket_times(from).await? {
            let s = sums.entry((t.entrance, t.skill.clone())).or_default();
            if let Some(assigned) = t.assigned_at.filter(|a| *a >= from) {
                s.waits.0 += 1;
                s.waits.1 += since(assigned, t.created_at);
            }
            if let (Some(assigned), Some(closed)) =
                (t.assigned_at, t.closed_at.filter(|c| *c >= from))
            {
                s.handling.0 += 1;
                s.handling.1 += since(closed, assigned);
            }
        }
        let mut rated: HashMap<(Entrance, String), Satisfaction> = HashMap::new();
        for r in self.store.rating_totals(from).await? {
            rated
                .entry((r.entrance, r.skill))
                .or_default()
                .add(r.count, r.sum);
        }
        Ok(self
            .dispatcher
            .snapshot()
            .await
            .into_iter()
            .map(|q| {
                let s = sums
                    .remove(&(q.entrance, q.skill.clone()))
                    .unwrap_or_default();
                let key = (q.entrance, q.skill.clone());
                QueueFigures {
                    satisfaction: rated.remove(&key).unwrap_or_default(),
                    longest_wait: q.oldest_since.map_or(Duration::ZERO, |o| since(now, o)),
                    average_wait: mean(s.waits),
                    average_handling: mean(s.handling),
                    handled: s.handling.0,
                    entrance: q.entrance,
                    skill: q.skill,
                    waiting: q.waiting,
                    agents_available: q.agents_available,
                }
            })
            .collect())
    }

    /// Abuse flags for a supervisor: those stored since `since` (at most
    /// [`FLAG_REPLAY_LIMIT`]), then live ones, each once.
    pub async fn watch_flags(
        &self,
        flags: &Flags,
        since: Option<SystemTime>,
    ) -> Result<ItemStream<Flag>, DomainError> {
        let live = flags.subscribe();
        let replay = match since {
            Some(since) => self
                .store
                .flagged_since(since, FLAG_REPLAY_LIMIT)
                .await?
                .iter()
                .filter_map(Flag::of)
                .collect(),
            None => Vec::new(),
        };
        Ok(flags.stream(live, replay))
    }

    /// Every agent by work number, with their load and their flag count.
    pub async fn agent_figures(&self) -> Result<Vec<AgentFigures>, DomainError> {
        let loads = self.dispatcher.loads().await;
        let flags = self.store.flag_counts().await?;
        let mut rated: HashMap<String, Satisfaction> = HashMap::new();
        for r in self.store.rating_totals(SystemTime::UNIX_EPOCH).await? {
            rated.entry(r.agent_id).or_default().add(r.count, r.sum);
        }
        let mut figures: Vec<AgentFigures> = self
            .store
            .agents()
            .await?
            .into_iter()
            .map(|agent| {
                let id = &agent.profile.agent_id;
                AgentFigures {
                    active_chats: loads
                        .iter()
                        .find(|l| l.agent.profile.agent_id == *id)
                        .map_or(0, |l| l.active_chats()),
                    flagged_messages: flags.get(id).copied().unwrap_or(0),
                    satisfaction: rated.get(id).copied().unwrap_or_default(),
                    agent,
                }
            })
            .collect();
        figures.sort_by(|a, b| {
            a.agent
                .profile
                .work_number
                .cmp(&b.agent.profile.work_number)
        });
        Ok(figures)
    }
}
