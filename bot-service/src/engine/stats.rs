//! What operators learn from the robot's traffic: the questions it could not answer
//! (normalised and counted) and how users rated its answers, per intent.

use std::{collections::HashMap, sync::Mutex, time::SystemTime};

use crate::vocabulary::Entrance;

/// Distinct unanswered questions kept; past this the rarest are dropped.
const MAX_UNANSWERED: usize = 10_000;

/// A question that fell to the fallback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unanswered {
    /// Normalised text.
    pub text: String,
    /// Where it was asked.
    pub entrance: Entrance,
    /// How often.
    pub count: u64,
    /// Last asked.
    pub last_seen: SystemTime,
}

/// Helpful / not-helpful counts for one intent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IntentRatings {
    /// Intent name.
    pub intent: String,
    /// Rated helpful.
    pub helpful: u64,
    /// Rated not helpful.
    pub not_helpful: u64,
}

/// Counters shared by all sessions.
#[derive(Default)]
pub struct Stats {
    unanswered: Mutex<HashMap<(Entrance, String), (u64, SystemTime)>>,
    ratings: Mutex<HashMap<String, (u64, u64)>>,
}

impl Stats {
    /// Counts one unanswered (already normalised) question.
    pub fn unanswered(&self, entrance: Entrance, normalised: String, at: SystemTime) {
        if normalised.is_empty() {
            return;
        }
        let mut map = lock(&self.unanswered);
        if map.len() >= MAX_UNANSWERED
            && !map.contains_key(&(entrance, normalised.clone()))
            && let Some(rarest) = map
                .iter()
                .min_by_key(|(_, (count, seen))| (*count, *seen))
                .map(|(k, _)| k.clone())
        {
            map.remove(&rarest);
        }
        let entry = map.entry((entrance, normalised)).or_insert((0, at));
        entry.0 += 1;
        entry.1 = at;
    }

    /// The most frequent unanswered questions, optionally for one entrance.
    pub fn top_unanswered(&self, entrance: Option<Entrance>, limit: usize) -> Vec<Unanswered> {
        let map = lock(&self.unanswered);
        let mut all: Vec<Unanswered> = map
            .iter()
            .filter(|((e, _), _)| entrance.is_none_or(|want| *e == want))
            .map(|((e, text), (count, seen))| Unanswered {
                text: text.clone(),
                entrance: *e,
                count: *count,
                last_seen: *seen,
            })
            .collect();
        all.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(b.last_seen.cmp(&a.last_seen))
                .then(a.text.cmp(&b.text))
        });
        all.truncate(limit);
        all
    }

    /// Records a rating, replacing `previous` if the user changed their mind.
    pub fn rate(&self, intent: &str, helpful: bool, previous: Option<bool>) {
        let mut map = lock(&self.ratings);
        let entry = map.entry(intent.to_owned()).or_default();
        match previous {
            Some(true) => entry.0 = entry.0.saturating_sub(1),
            Some(false) => entry.1 = entry.1.saturating_sub(1),
            None => {}
        }
        if helpful {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }

    /// Ratings per intent, by name.
    pub fn ratings(&self) -> Vec<IntentRatings> {
        let map = lock(&self.ratings);
        let mut all: Vec<IntentRatings> = map
            .iter()
            .map(|(intent, (h, n))| IntentRatings {
                intent: intent.clone(),
                helpful: *h,
                not_helpful: *n,
            })
            .collect();
        all.sort_by(|a, b| a.intent.cmp(&b.intent));
        all
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unanswered_are_counted_and_ranked() {
        let s = Stats::default();
        let t = SystemTime::UNIX_EPOCH;
        s.unanswered(Entrance::Consumer, "a".into(), t);
        s.unanswered(Entrance::Consumer, "b".into(), t);
        s.unanswered(Entrance::Consumer, "b".into(), t);
        s.unanswered(Entrance::Merchant, "c".into(), t);
        let top = s.top_unanswered(Some(Entrance::Consumer), 10);
        assert_eq!(
            top.iter()
                .map(|u| (u.text.as_str(), u.count))
                .collect::<Vec<_>>(),
            [("b", 2), ("a", 1)]
        );
        assert_eq!(s.top_unanswered(None, 1).len(), 1);
    }

    #[test]
    fn changing_a_rating_moves_the_vote() {
        let s = Stats::default();
        s.rate("order.status", true, None);
        s.rate("order.status", false, Some(true));
        assert_eq!(
            s.ratings(),
            vec![IntentRatings {
                intent: "order.status".into(),
                helpful: 0,
                not_helpful: 1
            }]
        );
    }
}
