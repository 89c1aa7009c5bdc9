//! Running as one of several agent-service replicas on one PostgreSQL database
//! (`[store] replicas = true`): the ticket events any replica stores reach the live
//! streams of every replica. The store announces each committed event (see
//! [`crate::store::feed`]); this replica hears them on its own connection and posts them
//! to its hub as hints, and a gap in what it heard makes every stream re-read the store.

use server_kit::Shutdown;
use tokio::sync::mpsc;

use crate::{
    domain::hub::Hub,
    store::{
        StoreError,
        feed::{self, Heard},
    },
};

/// Notices heard but not yet posted before the listener waits.
const BACKLOG: usize = 4096;

/// Starts hearing what the other replicas store (on a dedicated connection to `url`)
/// and posting it to `hub`, until `shutdown` drains. Fails if PostgreSQL cannot be
/// reached at start.
pub async fn hear_other_replicas(
    url: &str,
    hub: Hub,
    shutdown: Shutdown,
) -> Result<(), StoreError> {
    let (tx, mut heard) = mpsc::channel(BACKLOG);
    feed::listen(url, tx).await?;
    tokio::spawn(async move {
        while let Some(Some(item)) = shutdown.or_draining(heard.recv()).await {
            match item {
                Heard::Stored {
                    ticket_id,
                    sequence,
                    joined,
                } => hub.stored(&ticket_id, sequence, joined.as_deref()),
                Heard::Gap => hub.resync_all(),
            }
        }
    });
    tracing::info!(
        channel = feed::CHANNEL,
        "hearing the events other replicas store"
    );
    Ok(())
}
