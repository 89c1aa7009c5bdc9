//! bot-service's operational loops: the agent-service link watch (its health checked
//! every few seconds and reported under a health name of our own,
//! [`AGENT_LINK_HEALTH`], so probes can tell "the robot is down" from "the robot is up
//! but cannot hand off"), the catalogue follower (the catalogue file re-read every few
//! seconds and put in force when its content changed, so replicas sharing one file all
//! follow it), and the collector that reads the live-session gauge just before each
//! Prometheus scrape.

use std::{sync::Arc, time::Duration};

use server_kit::{
    Shutdown,
    clock::{Clock, Ticker},
    metrics::Collector,
    server::HealthHandle,
};
use tokio::task::JoinHandle;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::{
    engine::{Engine, Followed},
    handoff::client::AgentServiceClient,
    metrics::BotMetrics,
};

/// The health service name under which bot-service reports agent-service reachability.
pub const AGENT_LINK_HEALTH: &str = "honeydesk.bot.v1.AgentServiceLink";

/// How often agent-service's health is checked.
pub const AGENT_CHECK_PERIOD: Duration = Duration::from_secs(2);

/// Checks agent-service's health every `every` and reports it; ends when `shutdown`
/// starts draining.
pub fn spawn_agent_watch(
    agent: Arc<AgentServiceClient>,
    health: HealthHandle,
    metrics: BotMetrics,
    every: Duration,
    shutdown: Shutdown,
) -> JoinHandle<()> {
    let check = move || {
        let mut client = HealthClient::new(agent.channel());
        async move {
            let request = HealthCheckRequest {
                service: String::new(),
            };
            matches!(
                client.check(request).await,
                Ok(r) if r.get_ref().status == ServingStatus::Serving as i32
            )
        }
    };
    let mut last = None;
    let seen = move |up| {
        metrics.agent_link(up);
        let changed = last != Some(up);
        last = Some(up);
        let health = health.clone();
        async move {
            if changed {
                health.set_dependency(AGENT_LINK_HEALTH, up).await;
                if up {
                    tracing::info!("agent-service answers SERVING");
                } else {
                    tracing::warn!("agent-service is not serving: hand-offs will fail");
                }
            }
        }
    };
    server_kit::watch::spawn_watch(shutdown, every, check, seen)
}

/// Checks the catalogue file every `every` (real time, and whenever a fake clock moves)
/// and puts a changed one in force; a file that does not load leaves the old catalogue
/// in force and is reported once per content, not at every check. Ends when `shutdown`
/// starts draining.
pub fn spawn_catalogue_follower(
    engine: Arc<Engine>,
    clock: &dyn Clock,
    every: Duration,
    shutdown: Shutdown,
) -> JoinHandle<()> {
    let mut ticker = Ticker::new(clock, every);
    tokio::spawn(async move {
        let mut refused: Option<String> = None;
        while shutdown.or_draining(ticker.tick()).await.is_some() {
            let engine = engine.clone();
            let skip = refused.clone();
            // Reading, hashing and (when changed) learning the catalogue is blocking
            // work of up to a tenth of a second: off the request threads.
            let checked =
                tokio::task::spawn_blocking(move || engine.follow_catalogue(skip.as_deref())).await;
            match checked {
                Ok(Ok(Followed::Loaded(_))) => refused = None,
                Ok(Ok(Followed::Refused(digest))) => refused = Some(digest),
                Ok(Ok(Followed::Unchanged)) | Err(_) => {}
                Ok(Err(e)) => tracing::debug!(error = %e, "catalogue file not readable"),
            }
        }
    })
}

/// Reads the live-session gauge.
pub fn collector(engine: Arc<Engine>, metrics: BotMetrics) -> Collector {
    Arc::new(move || {
        let (engine, metrics) = (engine.clone(), metrics.clone());
        Box::pin(async move {
            metrics.sessions(engine.sessions_by_state().into_iter().flatten());
        })
    })
}
