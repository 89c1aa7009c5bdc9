//! Each queue's waiting tickets in service order, kept sorted so a ticket's position is a
//! binary search (O(log n)) instead of a scan of every waiting ticket: positions are read
//! on every enqueue and for every watcher, and 双11 queues hold tens of thousands.

use std::collections::HashMap;

use super::super::plan::QueueKey;
use crate::domain::Entrance;

/// One queue: an entrance and a skill.
pub type QueueId = (Entrance, String);

/// The queues' keys in service order.
#[derive(Debug, Default)]
pub struct Lines {
    lines: HashMap<QueueId, Vec<QueueKey>>,
}

impl Lines {
    /// Adds `key` to `queue` in its place.
    pub fn insert(&mut self, queue: QueueId, key: QueueKey) {
        let line = self.lines.entry(queue).or_default();
        if let Err(at) = line.binary_search(&key) {
            line.insert(at, key);
        }
    }

    /// Takes `key` out of `queue`.
    pub fn remove(&mut self, queue: &QueueId, key: &QueueKey) {
        if let Some(line) = self.lines.get_mut(queue) {
            if let Ok(at) = line.binary_search(key) {
                line.remove(at);
            }
            if line.is_empty() {
                self.lines.remove(queue);
            }
        }
    }

    /// `key`'s place in `queue`: (position from 1, tickets waiting in the queue).
    pub fn position(&self, queue: &QueueId, key: &QueueKey) -> Option<(u32, u32)> {
        let line = self.lines.get(queue)?;
        let at = line.binary_search(key).ok()?;
        Some((count(at + 1), count(line.len())))
    }

    /// Every queue with its keys in service order.
    pub fn iter(&self) -> impl Iterator<Item = (&QueueId, &[QueueKey])> {
        self.lines.iter().map(|(q, keys)| (q, keys.as_slice()))
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
