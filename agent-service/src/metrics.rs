//! Every metric agent-service records, by name, in one place: the domain and the store
//! call these typed methods and never see a metric name or the exporter. A disabled
//! [`AgentMetrics`] (the default) records nothing. State gauges (queues, presence, live
//! conversations, complaints) are read at scrape time by `startup::collect`.

use std::time::Duration;

use server_kit::metrics::{GaugeFamily, Meter};

/// Tickets waiting per queue (`entrance`, `skill`).
pub const TICKETS_WAITING: &str = "honeydesk_agent_tickets_waiting";
/// Age of the longest-waiting ticket per queue.
pub const OLDEST_WAIT: &str = "honeydesk_agent_oldest_wait_seconds";
/// Offers made to agents.
pub const OFFERS_MADE: &str = "honeydesk_agent_offers_made_total";
/// Offers that ended, by `outcome` (accepted, declined, expired, withdrawn).
pub const OFFERS_ENDED: &str = "honeydesk_agent_offers_ended_total";
/// Agents by `presence`.
pub const AGENTS: &str = "honeydesk_agent_agents";
/// Conversations with an agent now.
pub const CONVERSATIONS: &str = "honeydesk_agent_conversations";
/// Time from a chat message being stored to its hand-over to a live stream, by `stream`.
pub const RELAY_DELIVERY: &str = "honeydesk_agent_relay_delivery_seconds";
/// Writes (new tickets, chat messages) per group commit.
pub const GROUP_COMMIT_BATCH: &str = "honeydesk_agent_group_commit_batch_size";
/// Store operation durations by `operation` and `outcome` (ok, error).
pub const STORE_OPERATION: &str = "honeydesk_agent_store_operation_duration_seconds";
/// Whether the last store ping succeeded (1) or not (0).
pub const STORE_UP: &str = "honeydesk_agent_store_up";
/// Agent messages flagged abusive.
pub const FLAGGED_MESSAGES: &str = "honeydesk_agent_flagged_messages_total";
/// Complaints by `status`.
pub const COMPLAINTS: &str = "honeydesk_agent_complaints";
/// Open complaints past a deadline.
pub const COMPLAINTS_OVERDUE: &str = "honeydesk_agent_complaints_overdue";
/// Live streams that re-read the store, by `stream` and `reason` (lagged, gap).
pub const STREAM_RESYNCS: &str = "honeydesk_agent_stream_resyncs_total";
/// Tickets created, by `entrance`.
pub const TICKETS_CREATED: &str = "honeydesk_agent_tickets_created_total";

/// Bucket boundaries for histograms that are not durations.
pub const BUCKETS: &[(&str, &[f64])] = &[(
    GROUP_COMMIT_BATCH,
    &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0],
)];

/// agent-service's metrics. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct AgentMetrics {
    meter: Meter,
    families: std::sync::Arc<Families>,
}

#[derive(Debug, Default)]
struct Families {
    waiting: GaugeFamily,
    oldest: GaugeFamily,
    agents: GaugeFamily,
    complaints: GaugeFamily,
}

impl AgentMetrics {
    /// Records into `meter`, describing every metric.
    pub fn new(meter: Meter) -> Self {
        use server_kit::metrics::Unit::Seconds;
        let m = &meter;
        m.describe_gauge(TICKETS_WAITING, None, "Tickets waiting, per queue.");
        m.describe_gauge(
            OLDEST_WAIT,
            Some(Seconds),
            "Wait of the oldest ticket, per queue.",
        );
        m.describe_counter(OFFERS_MADE, None, "Offers made to agents.");
        m.describe_counter(OFFERS_ENDED, None, "Offers ended, by outcome.");
        m.describe_gauge(AGENTS, None, "Agents by presence.");
        m.describe_gauge(CONVERSATIONS, None, "Conversations with an agent now.");
        m.describe_histogram(
            RELAY_DELIVERY,
            Some(Seconds),
            "From a chat message stored to its hand-over to a live stream.",
        );
        m.describe_histogram(
            GROUP_COMMIT_BATCH,
            None,
            "Writes (new tickets, chat messages) per group commit.",
        );
        m.describe_histogram(STORE_OPERATION, Some(Seconds), "Store operations.");
        m.describe_gauge(STORE_UP, None, "1 when the last store ping succeeded.");
        m.describe_counter(FLAGGED_MESSAGES, None, "Agent messages flagged abusive.");
        m.describe_gauge(COMPLAINTS, None, "Complaints by status.");
        m.describe_gauge(COMPLAINTS_OVERDUE, None, "Open complaints past a deadline.");
        m.describe_counter(STREAM_RESYNCS, None, "Live streams that re-read the store.");
        m.describe_counter(TICKETS_CREATED, None, "Tickets created by escalation.");
        Self {
            meter,
            families: Default::default(),
        }
    }

    /// Records nothing.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// An offer was made.
    pub fn offer_made(&self) {
        self.meter.counter(OFFERS_MADE, &[]).increment(1);
    }

    /// An offer ended: `outcome` is accepted, declined, expired or withdrawn.
    pub fn offer_ended(&self, outcome: &'static str) {
        self.meter
            .counter(OFFERS_ENDED, &[("outcome", outcome)])
            .increment(1);
    }

    /// A ticket was created at `entrance`.
    pub fn ticket_created(&self, entrance: &str) {
        self.meter
            .counter(TICKETS_CREATED, &[("entrance", entrance)])
            .increment(1);
    }

    /// A stored message reached a `stream` (customer, desk) after `took`.
    pub fn relay_delivered(&self, stream: &'static str, took: Duration) {
        self.meter
            .histogram(RELAY_DELIVERY, &[("stream", stream)])
            .record(took.as_secs_f64());
    }

    /// A group commit wrote `writes` writes.
    pub fn group_commit(&self, writes: usize) {
        self.meter
            .histogram(GROUP_COMMIT_BATCH, &[])
            .record(writes as f64);
    }

    /// A store operation took `took` and succeeded or not.
    pub fn store_operation(&self, operation: &'static str, ok: bool, took: Duration) {
        let outcome = if ok { "ok" } else { "error" };
        self.meter
            .histogram(
                STORE_OPERATION,
                &[("operation", operation), ("outcome", outcome)],
            )
            .record(took.as_secs_f64());
    }

    /// The store answered a ping, or not.
    pub fn store_up(&self, up: bool) {
        self.meter
            .gauge(STORE_UP, &[])
            .set(if up { 1.0 } else { 0.0 });
    }

    /// An agent message was flagged.
    pub fn message_flagged(&self) {
        self.meter.counter(FLAGGED_MESSAGES, &[]).increment(1);
    }

    /// A live `stream` (customer, desk) re-read the store for `reason` (lagged, gap).
    pub fn stream_resync(&self, stream: &'static str, reason: &'static str) {
        self.meter
            .counter(STREAM_RESYNCS, &[("stream", stream), ("reason", reason)])
            .increment(1);
    }

    /// The queues now: (entrance, skill, waiting, oldest wait).
    pub fn queues(&self, queues: impl IntoIterator<Item = (String, String, u32, Duration)>) {
        let (mut waiting, mut oldest) = (Vec::new(), Vec::new());
        for (entrance, skill, count, wait) in queues {
            let labels = vec![entrance, skill];
            waiting.push((labels.clone(), f64::from(count)));
            oldest.push((labels, wait.as_secs_f64()));
        }
        let names = ["entrance", "skill"];
        self.families
            .waiting
            .set(&self.meter, TICKETS_WAITING, &names, waiting);
        self.families
            .oldest
            .set(&self.meter, OLDEST_WAIT, &names, oldest);
    }

    /// Agents per presence and the conversations they hold now.
    pub fn agents(&self, by_presence: impl IntoIterator<Item = (String, u32)>, chats: usize) {
        let readings = by_presence
            .into_iter()
            .map(|(p, n)| (vec![p], f64::from(n)));
        self.families
            .agents
            .set(&self.meter, AGENTS, &["presence"], readings);
        self.meter.gauge(CONVERSATIONS, &[]).set(chats as f64);
    }

    /// Complaints per status, and how many open ones are overdue.
    pub fn complaints(&self, by_status: impl IntoIterator<Item = (String, u64)>, overdue: u64) {
        let readings = by_status.into_iter().map(|(s, n)| (vec![s], n as f64));
        self.families
            .complaints
            .set(&self.meter, COMPLAINTS, &["status"], readings);
        self.meter
            .gauge(COMPLAINTS_OVERDUE, &[])
            .set(overdue as f64);
    }
}
