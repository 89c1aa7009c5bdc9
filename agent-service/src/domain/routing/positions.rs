//! Queue positions for everyone waiting, computed once per burst of queue movement, only
//! for the places that moved (a ticket joining at the back moves nobody), and posted only
//! to the tickets whose place or estimate changed. (Before, every movement
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

use super::{Dispatcher, estimate_wait, plan::serving_slots, state::QueueId};
use crate::domain::intake::QueueStatus;

/// The shortest time between two publications of positions.
pub const POSITIONS_INTERVAL: Duration = Duration::from_millis(200);

/// What a customer sees of their place; `waiting` alone changing is not worth a message.
type Shown = (u32, Option<Duration>);

impl Dispatcher {
    /// Notes that queues moved: positions are published soon.
    pub(super) fn queues_moved(&self) {
        self.inner.moved.notify_one();
    }

    /// Starts the publisher; it ends when `shutdown` starts draining.
    pub fn spawn_positions(&self, shutdown: Shutdown) -> JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut shown = HashMap::new();
            while shutdown
                .or_draining(this.inner.moved.notified())
                .await
                .is_some()
            {
                this.publish_positions(&mut shown).await;
                // At most one pass per interval, however often the queues move.
                if shutdown
                    .or_draining(tokio::time::sleep(POSITIONS_INTERVAL))
                    .await
                    .is_none()
                {
                    break;
                }
            }
        })
    }

    /// Computes the place of every watched waiting ticket that may have moved since the
    /// last pass and posts the ones that differ from `shown`, which it keeps up to date.
    async fn publish_positions(&self, shown: &mut HashMap<String, Shown>) {
        let hub = &self.inner.hub;
        let mut places = Vec::new();
        let mut queues: HashMap<QueueId, u32> = HashMap::new();
        {
            let mut state = self.inner.state.lock().await;
            let changes = state.take_position_changes();
            for ticket_id in &changes.left {
                shown.remove(ticket_id);
            }
            for (queue, from) in &changes.moved {
                for (w, position, waiting) in state.places(queue, *from) {
                    if hub.ticket_is_watched(&w.ticket_id) {
                        places.push((w.ticket_id.clone(), queue.clone(), position, waiting));
                    }
                }
                let slots = serving_slots(state.agents(), queue.0, &queue.1);
                queues.insert(queue.clone(), slots);
            }
        }
        let now: SystemTime = self.inner.clock.now();
        let estimates: HashMap<QueueId, (Duration, u32)> = queues
            .into_iter()
            .map(|(queue, slots)| {
                let average = self.handling().average(queue.0, &queue.1, now);
                (queue, (average, slots))
            })
            .collect();
        for (ticket_id, queue, position, waiting) in places {
            let (average, slots) = estimates[&queue];
            let status = QueueStatus {
                position,
                waiting,
                estimated_wait: estimate_wait(position, average, slots),
            };
            let seen = (status.position, status.estimated_wait);
            if shown.get(&ticket_id) != Some(&seen) {
                hub.queue(&ticket_id, status);
                shown.insert(ticket_id, seen);
            }
        }
    }
}
