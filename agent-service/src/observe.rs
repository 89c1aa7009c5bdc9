//! agent-service's operational loops: the store health watch (a cheap ping every few
//! seconds; health says NOT_SERVING while the store cannot be reached, SERVING again
//! once it can) and the collector that reads queue, presence, conversation and
//! complaint gauges from the live state just before each Prometheus scrape.

use std::{sync::Arc, time::Duration};

use server_kit::{Shutdown, clock::SharedClock, metrics::Collector, server::HealthHandle};
use tokio::task::JoinHandle;

use crate::{
    domain::{Presence, routing::Dispatcher},
    metrics::AgentMetrics,
    store::Store,
};

/// Pings `store` every `every` (real time) and reports the outcome to health and
/// metrics; ends when `shutdown` starts draining.
pub fn spawn_store_watch(
    store: Arc<dyn Store>,
    health: HealthHandle,
    metrics: AgentMetrics,
    every: Duration,
    shutdown: Shutdown,
) -> JoinHandle<()> {
    let ping = move || {
        let store = store.clone();
        async move { store.ping().await }
    };
    let seen = move |up| metrics.store_up(up);
    server_kit::watch::spawn_store_watch(shutdown, every, health, "the store", ping, seen)
}

/// Reads the state gauges: queues, agents by presence, conversations, complaints.
pub fn collector(
    dispatcher: Dispatcher,
    store: Arc<dyn Store>,
    clock: SharedClock,
    metrics: AgentMetrics,
) -> Collector {
    Arc::new(move || {
        let (dispatcher, store, clock, metrics) = (
            dispatcher.clone(),
            store.clone(),
            clock.clone(),
            metrics.clone(),
        );
        Box::pin(async move {
            let now = clock.now();
            let queues = dispatcher.snapshot().await;
            metrics.queues(queues.into_iter().map(|q| {
                let wait = q
                    .oldest_since
                    .map(|o| now.duration_since(o).unwrap_or_default())
                    .unwrap_or_default();
                (q.entrance.as_str().to_owned(), q.skill, q.waiting, wait)
            }));
            let loads = dispatcher.loads().await;
            let presences = [Presence::Available, Presence::Away, Presence::Offline];
            let by_presence = presences.map(|p| {
                let n = loads.iter().filter(|l| l.agent.presence == p).count();
                (p.as_str().to_owned(), n as u32)
            });
            let chats = loads.iter().map(|l| l.active.len()).sum();
            metrics.agents(by_presence, chats);
            match store.complaint_counts(now).await {
                Ok(c) => metrics.complaints(
                    c.by_status
                        .into_iter()
                        .map(|(s, n)| (s.as_str().to_owned(), n)),
                    c.overdue,
                ),
                Err(e) => tracing::debug!(error = %e, "complaint figures unavailable"),
            }
        })
    })
}
