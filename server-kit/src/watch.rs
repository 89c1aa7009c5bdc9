//! The loop every dependency watch runs (a store ping, another service's health): a
//! check at a steady pace until the server drains, each check bounded in time, its
//! outcome handed on (to health, metrics and logs).

use std::{future::Future, time::Duration};

use tokio::task::JoinHandle;

use crate::{Shutdown, server::HealthHandle};

/// Runs `check` every `every` (real time) until `shutdown` starts draining, and hands
/// each outcome to `seen`. A check gets at most `every` (and at least a second); one that
/// runs out of time counts as down (`false`), so a hung dependency reads as unreachable.
pub fn spawn_watch<C, CF, S, SF>(
    shutdown: Shutdown,
    every: Duration,
    check: C,
    mut seen: S,
) -> JoinHandle<()>
where
    C: Fn() -> CF + Send + 'static,
    CF: Future<Output = bool> + Send,
    S: FnMut(bool) -> SF + Send + 'static,
    SF: Future<Output = ()> + Send,
{
    let limit = every.max(Duration::from_secs(1));
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while shutdown.or_draining(ticker.tick()).await.is_some() {
            let up = tokio::time::timeout(limit, check()).await.unwrap_or(false);
            seen(up).await;
        }
    })
}

/// Pings a store every `every` and says so on health: NOT_SERVING while it cannot be
/// reached (no call could do its work, so a balancer should send work elsewhere),
/// SERVING again once it answers. `what` names the store in logs; `seen` gets every
/// outcome too (a metric).
pub fn spawn_store_watch<P, PF, E>(
    shutdown: Shutdown,
    every: Duration,
    health: HealthHandle,
    what: &'static str,
    ping: P,
    seen: impl Fn(bool) + Send + 'static,
) -> JoinHandle<()>
where
    P: Fn() -> PF + Send + 'static,
    PF: Future<Output = Result<(), E>> + Send,
    E: std::fmt::Display,
{
    let check = move || {
        let pinged = ping();
        async move {
            let pinged = pinged.await;
            if let Err(e) = &pinged {
                tracing::debug!(error = %e, "{what} ping failed");
            }
            pinged.is_ok()
        }
    };
    let report = move |up| {
        seen(up);
        let health = health.clone();
        async move {
            if health.set_serving(up).await {
                if up {
                    tracing::info!("{what} answers again: SERVING");
                } else {
                    tracing::error!("{what} cannot be reached: NOT_SERVING");
                }
            }
        }
    };
    spawn_watch(shutdown, every, check, report)
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use super::*;

    #[tokio::test]
    async fn a_hung_check_counts_as_down_and_the_loop_ends_on_drain() {
        let shutdown = Shutdown::new();
        let (ups, downs) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let calls = Arc::new(AtomicUsize::new(0));
        let task = {
            let (ups, downs, calls) = (ups.clone(), downs.clone(), calls.clone());
            spawn_watch(
                shutdown.clone(),
                Duration::from_millis(100),
                move || {
                    let n = calls.fetch_add(1, Ordering::SeqCst);
                    async move {
                        if n == 1 {
                            std::future::pending::<()>().await;
                        }
                        true
                    }
                },
                move |up| {
                    let counter = if up { ups.clone() } else { downs.clone() };
                    async move {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                },
            )
        };
        // The hung check is given up after a second; the ticks after it pass.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        shutdown.trigger();
        task.await.unwrap();
        assert_eq!(downs.load(Ordering::SeqCst), 1, "the hung check");
        assert!(ups.load(Ordering::SeqCst) >= 2);
    }
}
