//! Queue positions for everyone waiting, computed once per burst of queue movement and
//! posted only to the tickets whose place or estimate changed. (Before, every movement
//! made every watcher scan the queue under the routing lock: O(W²) per movement.) A
//! publisher task coalesces movements: it wakes on the first, computes every position in
//! one pass, then waits [`POSITIONS_INTERVAL`] before looking again, so a 双11 burst of
//! thousands of enqueues a second costs a few passes a second.

use std::{
    collections::HashMap,
    time::{Duration, SystemTime},
};

use server_kit::Shutdown;
use tokio::task::JoinHandle;

use super::{Dispatcher, estimate_wait};
use crate::domain::{Entrance, intake::QueueStatus};

/// The shortest time between two publications of positions.
pub const POSITIONS_INTERVAL: Duration = Duration::from_millis(200);

/// What a customer sees of their place; `waiting` alone changing is not worth a message.
type Shown = (u32, Duration);

impl Dispatcher {
    /// Notes that queues moved: positions are published soon.
    pub(super) fn queues_moved(&self) {
        self.inner.moved.notify_one();
    }

    /// Starts the publisher; it ends when `shutdown` starts draining.
    pub fn spawn_positions(&self, shutdown: Shutdown) -> JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let draining = shutdown.draining();
            tokio::pin!(draining);
            let mut shown = HashMap::new();
            loop {
                tokio::select! {
                    _ = &mut draining => break,
                    _ = this.inner.moved.notified() => {}
                }
                shown = this.publish_positions(&shown).await;
                tokio::select! {
                    _ = &mut draining => break,
                    _ = tokio::time::sleep(POSITIONS_INTERVAL) => {}
                }
            }
        })
    }

    /// Computes the place of every watched waiting ticket and posts the ones that differ
    /// from `shown`; returns what is shown now.
    async fn publish_positions(&self, shown: &HashMap<String, Shown>) -> HashMap<String, Shown> {
        let hub = &self.inner.hub;
        let mut places = Vec::new();
        let mut queues: HashMap<(Entrance, String), u32> = HashMap::new();
        {
            let state = self.inner.state.lock().await;
            for (w, position, waiting) in state.positions() {
                if hub.ticket_is_watched(&w.ticket_id) {
                    places.push((
                        w.ticket_id.clone(),
                        w.entrance,
                        w.skill.clone(),
                        position,
                        waiting,
                    ));
                    queues.entry((w.entrance, w.skill.clone())).or_default();
                }
            }
            for ((entrance, skill), slots) in &mut queues {
                *slots = state
                    .agents()
                    .filter(|a| a.agent.available_for(*entrance, skill))
                    .map(|a| a.agent.profile.capacity)
                    .sum();
            }
        }
        let now: SystemTime = self.inner.clock.now();
        let handling: HashMap<(Entrance, String), (Duration, u32)> = queues
            .into_iter()
            .map(|((entrance, skill), slots)| {
                let average = self.handling().average(entrance, &skill, now);
                ((entrance, skill), (average, slots))
            })
            .collect();
        let mut now_shown = HashMap::with_capacity(places.len());
        for (ticket_id, entrance, skill, position, waiting) in places {
            let (average, slots) = handling[&(entrance, skill)];
            let status = QueueStatus {
                position,
                waiting,
                estimated_wait: estimate_wait(position, average, slots),
            };
            let seen = (status.position, status.estimated_wait);
            if shown.get(&ticket_id) != Some(&seen) {
                hub.queue(&ticket_id, status);
            }
            now_shown.insert(ticket_id, seen);
        }
        now_shown
    }
}
