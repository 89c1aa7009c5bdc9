//! The background pass that makes time-based rules happen: offer expiry (and the AWAY
//! rule), idle conversations. It wakes every period of real time and whenever a fake clock
//! moves, and stops when the server drains.

use std::time::Duration;

use server_kit::{Shutdown, clock::Ticker};
use tokio::task::JoinHandle;

use super::Dispatcher;

/// How often the sweeper looks in real time.
pub const SWEEP_PERIOD: Duration = Duration::from_millis(500);

/// Starts the sweeper; it ends when `shutdown` starts draining.
pub fn spawn(
    dispatcher: Dispatcher,
    clock: &dyn server_kit::Clock,
    shutdown: Shutdown,
) -> JoinHandle<()> {
    let mut ticker = Ticker::new(clock, SWEEP_PERIOD);
    tokio::spawn(async move {
        while shutdown.or_draining(ticker.tick()).await.is_some() {
            if let Err(e) = dispatcher.tick().await {
                tracing::error!(error = %e, "routing sweep failed");
            }
        }
    })
}
