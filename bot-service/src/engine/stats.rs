//! What operators learn from the robot's traffic: the questions it could not answer
//! (normalised, personal data masked, and counted) and how users rated its answers, per
//! intent. [`FeedbackLog`] is the port: agent-service keeps the figures durably for every
//! replica (`handoff::client::feedback`); [`Stats`] keeps them in memory when bot-service
//! runs without agent-service (tests, benchmarks).

use std::{collections::HashMap, sync::Mutex, time::SystemTime};

use async_trait::async_trait;

use crate::{handoff::HandoffError, vocabulary::Entrance};

/// Where the robot's feedback figures are kept.
#[async_trait]
pub trait FeedbackLog: Send + Sync + 'static {
    /// Counts one unanswered question (already normalised and masked).
    async fn unanswered(
        &self,
        entrance: Entrance,
        normalised: String,
        at: SystemTime,
    ) -> Result<(), HandoffError>;
    /// Records a rating, replacing `previous` if the user changed their mind.
    async fn rate(
        &self,
        intent: &str,
        helpful: bool,
        previous: Option<bool>,
    ) -> Result<(), HandoffError>;
    /// The most frequent unanswered questions, optionally for one entrance.
    async fn top_unanswered(
        &self,
        entrance: Option<Entrance>,
        limit: usize,
    ) -> Result<Vec<Unanswered>, HandoffError>;
    /// Ratings per intent, by name.
    async fn ratings(&self) -> Result<Vec<IntentRatings>, HandoffError>;
}

#[async_trait]
impl FeedbackLog for Stats {
    async fn unanswered(
        &self,
        entrance: Entrance,
        normalised: String,
        at: SystemTime,
    ) -> Result<(), HandoffError> {
        Stats::unanswered(self, entrance, normalised, at);
        Ok(())
    }

    async fn rate(
        &self,
        intent: &str,
        helpful: bool,
        previous: Option<bool>,
    ) -> Result<(), HandoffError> {
        Stats::rate(self, intent, helpful, previous);
        Ok(())
    }

    async fn top_unanswered(
        &self,
        entrance: Option<Entrance>,
        limit: usize,
    ) -> Result<Vec<Unanswered>, HandoffError> {
        Ok(Stats::top_unanswered(self, entrance, limit))
    }

    async fn ratings(&self) -> Result<Vec<IntentRatings>, HandoffError> {
        Ok(Stats::ratings(self))
    }
}

/// The votes a rating moves: helpful and not-helpful deltas (-1, 0 or 1 each).
pub fn rating_deltas(helpful: bool, previous: Option<bool>) -> (i32, i32) {
    let vote = |b: bool| if b { (1, 0) } else { (0, 1) };
    let (h, n) = vote(helpful);
    match previous {
        Some(p) => {
            let (ph, pn) = vote(p);
            (h - ph, n - pn)
        }
        None => (h, n),
    }
}

/// The feedback figures could not be read from agent-service.
pub(super) fn unavailable(e: HandoffError) -> super::BotError {
    match e {
        HandoffError::Timeout(_) => {
            super::BotError::AgentTimeout(format!("the feedback figures could not be read: {e}"))
        }
        _ => super::BotError::AgentUnavailable(format!(
            "the feedback figures could not be read: {e}"
        )),
    }
}

/// How long a call waits for a feedback write before leaving it to finish on its own.
const FEEDBACK_WAIT: std::time::Duration = std::time::Duration::from_millis(300);

/// Runs `work` on its own task and waits for it at most [`FEEDBACK_WAIT`]: writes land
/// in order while agent-service answers promptly, and a slow one never holds a turn.
pub(super) async fn briefly_awaited(work: impl std::future::Future<Output = ()> + Send + 'static) {
    let task = tokio::spawn(tracing::Instrument::in_current_span(work));
    let _ = tokio::time::timeout(FEEDBACK_WAIT, task).await;
}

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

/// Counters shared by all sessions, in memory.
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

#[cfg(test)]
mod delta_tests {
    use super::rating_deltas;

    #[test]
    fn a_changed_mind_moves_one_vote() {
        assert_eq!(rating_deltas(true, None), (1, 0));
        assert_eq!(rating_deltas(false, None), (0, 1));
        assert_eq!(rating_deltas(false, Some(true)), (-1, 1));
        assert_eq!(rating_deltas(true, Some(false)), (1, -1));
    }
}
