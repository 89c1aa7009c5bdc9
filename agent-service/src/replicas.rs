//! Running as one of several agent-service replicas on one PostgreSQL database
//! (`[store] replicas = true`). Two background tasks: one hears what every replica
//! stores (the store's feed, see [`crate::store::feed`]) and hands it to routing and the
//! streams in batches; the other keeps trying for the routing lock
//! ([`crate::store::lease`]), so exactly one replica routes and a survivor takes over
//! within [`LEASE_PERIOD`] of the routing replica's death.

use std::time::Duration;

use server_kit::Shutdown;
use tokio::{sync::mpsc, task::JoinHandle};

use crate::{
    domain::routing::Dispatcher,
    store::{StoreError, feed, lease::Lease},
};

/// Notices heard but not yet handed on before the listener waits.
const BACKLOG: usize = 4096;

/// Most notices handed to routing at once.
const BATCH: usize = 512;

/// How often a replica tries for the routing lock (and the holder checks it still has it).
pub const LEASE_PERIOD: Duration = Duration::from_secs(1);

/// Starts hearing what the replicas store (on a dedicated connection to `url`) and
/// competing for the routing lock, until `shutdown` drains. Fails if PostgreSQL cannot
/// be reached at start.
pub async fn join(
    url: &str,
    dispatcher: Dispatcher,
    shutdown: Shutdown,
) -> Result<JoinHandle<()>, StoreError> {
    let (tx, mut heard) = mpsc::channel(BACKLOG);
    feed::listen(url, tx).await?;
    let hearing = dispatcher.clone();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        while let Some(Some(first)) = stop.or_draining(heard.recv()).await {
            let mut batch = vec![first];
            while batch.len() < BATCH
                && let Ok(more) = heard.try_recv()
            {
                batch.push(more);
            }
            hearing.heard(batch).await;
        }
    });
    tracing::info!(
        channel = feed::CHANNEL,
        "hearing what the other replicas store"
    );
    let mut lease = Lease::new(url);
    Ok(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(LEASE_PERIOD);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while shutdown.or_draining(ticks.tick()).await.is_some() {
            let held = lease.renew().await;
            if held != dispatcher.routes_here()
                && let Err(e) = dispatcher.lead(held).await
            {
                tracing::error!(error = %e, "could not take over routing; trying again");
                let _ = dispatcher.lead(false).await;
            }
        }
        // Stepping down on a graceful stop lets a survivor take over at once.
        drop(lease);
    }))
}
