//! Every metric bot-service records, by name, in one place: the engine calls these
//! typed methods and never sees a metric name or the exporter. A disabled
//! [`BotMetrics`] (the default) records nothing. The live-session gauge is read at
//! scrape time (`startup`'s collector).

use std::time::Duration;

use server_kit::metrics::{GaugeFamily, Meter};

use crate::vocabulary::{Entrance, IntentKind};

/// Turns the robot answered, by `entrance` and `kind` (faq, task, chitchat, handoff,
/// complaint, fallback).
pub const TURNS: &str = "honeydesk_bot_turns_total";
/// Turns that fell to the fallback, by `entrance`.
pub const FALLBACKS: &str = "honeydesk_bot_fallbacks_total";
/// Confidence of recognised intents, by `entrance`.
pub const CONFIDENCE: &str = "honeydesk_bot_recognition_confidence";
/// Customer messages relayed to a person, by `entrance`.
pub const RELAYED: &str = "honeydesk_bot_relayed_messages_total";
/// Hand-offs to a person asked for, by `entrance`.
pub const HANDOFFS_REQUESTED: &str = "honeydesk_bot_handoffs_requested_total";
/// Hand-offs that failed, by `entrance` and `reason` (unavailable, timeout, refused).
pub const HANDOFFS_FAILED: &str = "honeydesk_bot_handoffs_failed_total";
/// Task back-end calls by `backend` and `outcome` (done, rejected, unknown, unavailable).
pub const TASK_CALLS: &str = "honeydesk_bot_task_calls_total";
/// Task back-end call durations by `backend`.
pub const TASK_CALL_DURATION: &str = "honeydesk_bot_task_call_duration_seconds";
/// Sessions held in memory, by `state` (bot, queued, with_agent, closed, in_turn).
pub const SESSIONS: &str = "honeydesk_bot_sessions";
/// Whether agent-service answered its last health check SERVING (1) or not (0).
pub const AGENT_LINK_UP: &str = "honeydesk_bot_agent_link_up";

/// Bucket boundaries for histograms that are not durations.
pub const BUCKETS: &[(&str, &[f64])] = &[(
    CONFIDENCE,
    &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0],
)];

/// bot-service's metrics. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct BotMetrics {
    meter: Meter,
    sessions: std::sync::Arc<GaugeFamily>,
}

impl BotMetrics {
    /// Records into `meter`, describing every metric.
    pub fn new(meter: Meter) -> Self {
        let m = &meter;
        m.describe_counter(TURNS, None, "Turns the robot answered, by intent kind.");
        m.describe_counter(FALLBACKS, None, "Turns that fell to the fallback.");
        m.describe_histogram(CONFIDENCE, None, "Confidence of recognised intents.");
        m.describe_counter(RELAYED, None, "Customer messages relayed to a person.");
        m.describe_counter(HANDOFFS_REQUESTED, None, "Hand-offs to a person asked for.");
        m.describe_counter(HANDOFFS_FAILED, None, "Hand-offs that failed, by reason.");
        m.describe_counter(TASK_CALLS, None, "Task back-end calls, by outcome.");
        m.describe_histogram(
            TASK_CALL_DURATION,
            Some(server_kit::metrics::Unit::Seconds),
            "Task back-end call durations.",
        );
        m.describe_gauge(SESSIONS, None, "Sessions held in memory, by state.");
        m.describe_gauge(AGENT_LINK_UP, None, "1 when agent-service answers SERVING.");
        Self {
            meter,
            sessions: Default::default(),
        }
    }

    /// Records nothing.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// The robot answered a turn at `entrance`: recognised as `kind` with `confidence`,
    /// or a fallback (`None`).
    pub fn turn(&self, entrance: Entrance, recognised: Option<(IntentKind, f64)>) {
        let e = entrance.as_str();
        let kind = recognised.map_or("fallback", |(k, _)| k.as_str());
        self.meter
            .counter(TURNS, &[("entrance", e), ("kind", kind)])
            .increment(1);
        match recognised {
            Some((_, confidence)) => self
                .meter
                .histogram(CONFIDENCE, &[("entrance", e)])
                .record(confidence),
            None => self
                .meter
                .counter(FALLBACKS, &[("entrance", e)])
                .increment(1),
        }
    }

    /// A customer message went to a person.
    pub fn relayed(&self, entrance: Entrance) {
        self.meter
            .counter(RELAYED, &[("entrance", entrance.as_str())])
            .increment(1);
    }

    /// A hand-off was asked for.
    pub fn handoff_requested(&self, entrance: Entrance) {
        self.meter
            .counter(HANDOFFS_REQUESTED, &[("entrance", entrance.as_str())])
            .increment(1);
    }

    /// A hand-off failed for `reason` (unavailable, timeout, refused).
    pub fn handoff_failed(&self, entrance: Entrance, reason: &'static str) {
        self.meter
            .counter(
                HANDOFFS_FAILED,
                &[("entrance", entrance.as_str()), ("reason", reason)],
            )
            .increment(1);
    }

    /// A task back end answered with `outcome` after `took`.
    pub fn task_call(&self, backend: &str, outcome: &'static str, took: Duration) {
        self.meter
            .counter(TASK_CALLS, &[("backend", backend), ("outcome", outcome)])
            .increment(1);
        self.meter
            .histogram(TASK_CALL_DURATION, &[("backend", backend)])
            .record(took.as_secs_f64());
    }

    /// Sessions per state now.
    pub fn sessions(&self, by_state: impl IntoIterator<Item = (&'static str, usize)>) {
        let readings = by_state
            .into_iter()
            .map(|(s, n)| (vec![s.to_owned()], n as f64));
        self.sessions
            .set(&self.meter, SESSIONS, &["state"], readings);
    }

    /// agent-service answered SERVING, or not.
    pub fn agent_link(&self, up: bool) {
        self.meter
            .gauge(AGENT_LINK_UP, &[])
            .set(if up { 1.0 } else { 0.0 });
    }
}
