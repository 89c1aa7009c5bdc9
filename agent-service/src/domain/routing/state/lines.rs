//! Each queue's waiting tickets in service order, kept sorted so a ticket's position is a
//! binary search (O(log n)) instead of a scan of every waiting ticket: positions are read
//! on every enqueue and for every watcher, and 双11 queues hold tens of thousands. Each
//! line also remembers from which place on positions changed since they were last
//! published: a ticket joining at the back moves nobody, so a surge of new tickets costs
//! the positions publisher nothing.

use std::collections::HashMap;

use super::super::plan::QueueKey;
use crate::domain::Entrance;

/// One queue: an entrance and a skill.
pub type QueueId = (Entrance, String);

/// The queues' keys in service order.
#[derive(Debug, Default)]
pub struct Lines {
    lines: HashMap<QueueId, Line>,
    /// Tickets that left a line since the last [`Lines::take_changes`].
    left: Vec<String>,
}

#[derive(Debug, Default)]
struct Line {
    keys: Vec<QueueKey>,
    /// The first place whose ticket may have moved since the last publication.
    moved_from: Option<usize>,
}

impl Line {
    fn moved(&mut self, at: usize) {
        self.moved_from = Some(self.moved_from.map_or(at, |m| m.min(at)));
    }
}

/// Where positions changed: per queue, the first place from which they may differ.
#[derive(Debug, Default)]
pub struct Changes {
    /// Queues whose tickets from this place on may have moved.
    pub moved: Vec<(QueueId, usize)>,
    /// Tickets no longer waiting.
    pub left: Vec<String>,
}

impl Lines {
    /// Adds `key` to `queue` in its place.
    pub fn insert(&mut self, queue: QueueId, key: QueueKey) {
        let line = self.lines.entry(queue).or_default();
        if let Err(at) = line.keys.binary_search(&key) {
            if at < line.keys.len() {
                line.moved(at);
            }
            line.keys.insert(at, key);
        }
    }

    /// Takes `key` out of `queue`.
    pub fn remove(&mut self, queue: &QueueId, key: &QueueKey) {
        if let Some(line) = self.lines.get_mut(queue) {
            if let Ok(at) = line.keys.binary_search(key) {
                line.keys.remove(at);
                if at < line.keys.len() {
                    line.moved(at);
                }
                self.left.push(key.2.clone());
            }
            if line.keys.is_empty() {
                self.lines.remove(queue);
            }
        }
    }

    /// Every waiting ticket's estimate may have changed (capacity or handling times).
    pub fn all_moved(&mut self) {
        for line in self.lines.values_mut() {
            line.moved(0);
        }
    }

    /// What changed since the last call.
    pub fn take_changes(&mut self) -> Changes {
        let moved = self
            .lines
            .iter_mut()
            .filter_map(|(q, line)| Some((q.clone(), line.moved_from.take()?)))
            .collect();
        Changes {
            moved,
            left: std::mem::take(&mut self.left),
        }
    }

    /// `key`'s place in `queue`: (position from 1, tickets waiting in the queue).
    pub fn position(&self, queue: &QueueId, key: &QueueKey) -> Option<(u32, u32)> {
        let line = self.lines.get(queue)?;
        let at = line.keys.binary_search(key).ok()?;
        Some((count(at + 1), count(line.keys.len())))
    }

    /// The queue's keys in service order.
    pub fn keys(&self, queue: &QueueId) -> &[QueueKey] {
        self.lines.get(queue).map_or(&[], |l| l.keys.as_slice())
    }

    /// Every queue with its keys in service order.
    pub fn iter(&self) -> impl Iterator<Item = (&QueueId, &[QueueKey])> {
        self.lines.iter().map(|(q, l)| (q, l.keys.as_slice()))
    }
}

/// A count as the wire carries it.
pub fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use std::{cmp::Reverse, time::SystemTime};

    use super::*;

    fn key(n: u64) -> QueueKey {
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(n);
        (Reverse(0), at, format!("t-{n}"))
    }

    #[test]
    fn joining_at_the_back_moves_nobody_and_leaving_the_front_moves_everyone() {
        let q: QueueId = (Entrance::Consumer, "orders".into());
        let mut lines = Lines::default();
        for n in 1..=3 {
            lines.insert(q.clone(), key(n));
        }
        assert!(lines.take_changes().moved.is_empty());
        lines.insert(q.clone(), key(0)); // earlier: goes first
        assert_eq!(lines.take_changes().moved, [(q.clone(), 0)]);
        lines.remove(&q, &key(2));
        let changes = lines.take_changes();
        assert_eq!(changes.moved, [(q.clone(), 2)]);
        assert_eq!(changes.left, ["t-2"]);
        lines.remove(&q, &key(3)); // the last one: nobody behind it
        assert!(lines.take_changes().moved.is_empty());
        assert_eq!(lines.position(&q, &key(1)), Some((2, 2)));
    }
}
