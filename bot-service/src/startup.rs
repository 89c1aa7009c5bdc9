//! Assembling bot-service: load the catalogue, connect (lazily) to agent-service and the
//! task back ends, bind the port and the metrics listener, wire the gRPC services behind
//! authentication, open the session store (memory, or Redis shared by replicas), and run
//! the idle sweeper and the agent-service and session store health watches.
//! Tests call [`Application::build`] exactly as `main` does, on port 0.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use honeydesk_proto::bot::v1::{
    conversation_service_server::ConversationServiceServer,
    intent_service_server::IntentServiceServer,
};
use server_kit::{
    Shutdown,
    auth::interceptor,
    clock::{SharedClock, Ticker},
    config::DEV_JWT_SECRET,
    metrics::{Meter, MetricsEndpoint, MetricsError},
    net::SocketAudit,
    server::{GrpcServer, HealthHandle, ServeError},
};
use tonic::service::interceptor::InterceptedService;

use crate::{
    actions::{Backends, client::ActionClient},
    config::{ActionSettings, BotSettings, DEFAULT_PORT},
    engine::{BotError, Engine, EngineSettings},
    grpc::{CallerLimits, ConversationApi, IntentApi},
    handoff::client::AgentServiceClient,
    link::LinkSettings,
    metrics::BotMetrics,
    observe,
    session::{Registry, SessionStore, redis::RedisSessions},
};

/// How often idle sessions are looked for (a fake clock also wakes the sweeper).
const SWEEP_PERIOD: Duration = Duration::from_secs(5);

/// Why bot-service could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The catalogue is invalid.
    #[error("loading the intent catalogue: {0}")]
    Catalogue(#[from] BotError),
    /// The agent-service address is unusable.
    #[error("agent.url: {0}")]
    AgentLink(#[from] tonic::transport::Error),
    /// A task back end's address is unusable.
    #[error("actions.backends.{name}: {source}")]
    ActionBackend {
        /// The back end's name.
        name: String,
        /// Why.
        source: tonic::transport::Error,
    },
    /// A token key file (JWKS or the service's own private key) is unusable.
    #[error(transparent)]
    Keys(#[from] server_kit::keys::KeyError),
    /// An outbound TLS setting is unusable (an `https://` URL without a CA, a bad file).
    #[error(transparent)]
    Tls(#[from] server_kit::tls::TlsError),
    /// The session store setting is unusable.
    #[error("sessions.store: {0}")]
    Sessions(#[from] crate::session::SessionStoreError),
    /// The metrics listener could not be set up.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// The server failed.
    #[error(transparent)]
    Serve(#[from] ServeError),
}

/// A built, bound, not yet running bot-service.
pub struct Application {
    server: GrpcServer,
    shutdown: Shutdown,
    engine: Arc<Engine>,
    clock: SharedClock,
    outbound: SocketAudit,
    desk: Arc<AgentServiceClient>,
    health: HealthHandle,
    metrics: BotMetrics,
    /// The shared session store, watched for health; `None` in memory.
    shared_sessions: Option<Arc<dyn SessionStore>>,
    endpoint: Option<MetricsEndpoint>,
    /// How often the catalogue file is checked for changes; `None` = never.
    catalogue_check: Option<Duration>,
}

impl Application {
    /// Loads the catalogue and binds the listening port.
    pub async fn build(settings: BotSettings, clock: SharedClock) -> Result<Self, StartupError> {
        let catalogue_check = (settings.bot.catalogue_check_secs > 0)
            .then(|| Duration::from_secs(settings.bot.catalogue_check_secs));
        if settings.server.jwt_secret == DEV_JWT_SECRET {
            tracing::warn!(
                "using the development token secret; set HONEYDESK_JWT_SECRET in production"
            );
        }
        let (meter, endpoint) = match settings.server.metrics_listen {
            Some(addr) => {
                let (meter, handle) = Meter::prometheus(crate::metrics::BUCKETS)?;
                (meter, Some(MetricsEndpoint::bind(addr, handle).await?))
            }
            None => (Meter::disabled(), None),
        };
        server_kit::metrics::record_build_info(&meter, "bot-service", env!("CARGO_PKG_VERSION"));
        let metrics = BotMetrics::new(meter.clone());
        let outbound = SocketAudit::default();
        let agent_tls = settings.agent.tls.for_url(&settings.agent.url, "agent")?;
        let identity = settings.server.minter(settings.identity.key())?;
        let desk = Arc::new(AgentServiceClient::new(
            &settings.agent,
            agent_tls,
            identity.clone(),
            outbound.clone(),
        )?);
        let b = &settings.bot;
        let shared_sessions = match settings.sessions.redis() {
            Some(redis) => {
                tracing::info!(prefix = %redis.key_prefix, "sessions kept in Redis, shared by replicas");
                Some(Arc::new(RedisSessions::new(&redis)?) as Arc<dyn SessionStore>)
            }
            None => None,
        };
        let sessions = shared_sessions
            .clone()
            .unwrap_or_else(|| Arc::new(Registry::default()));
        let engine = Arc::new(
            Engine::new(
                EngineSettings {
                    open_sessions_per_user: settings.limits.open_sessions_per_user,
                    ..EngineSettings::from_behaviour(b)
                },
                clock.clone(),
                desk.clone(),
            )?
            .with_complaints(desk.clone())
            .with_feedback(desk.clone())
            .with_metrics(metrics.clone())
            .with_sessions(sessions)
            .with_actions(action_backends(&settings.actions, &identity, &outbound)?),
        );
        let info = engine.brain().info();
        tracing::info!(intents = info.intents, catalogue = %b.catalogue.display(), "catalogue loaded");

        let addr = settings.server.listen_addr(DEFAULT_PORT);
        let listener = server_kit::server::bind(addr).await?;
        let verifier = settings.server.verifier(clock.clone())?;
        let shutdown = Shutdown::new();
        let server = GrpcServer::new(
            listener,
            shutdown.clone(),
            settings.server.drain_timeout(),
            settings.server.max_concurrent_requests,
        )
        .with_tls(&settings.server)?
        .with_unary_timeout(settings.server.unary_timeout())
        .with_meter(meter)
        .add_service(InterceptedService::new(
            ConversationServiceServer::new(ConversationApi::new(
                engine.clone(),
                CallerLimits::new(&settings.limits, clock.clone()),
                shutdown.clone(),
            )),
            interceptor(verifier.clone()),
        ))
        .add_service(InterceptedService::new(
            IntentServiceServer::new(IntentApi::new(engine.clone())),
            interceptor(verifier),
        ));
        let health = server.health();
        // Unknown until the first check, which runs as soon as the server does.
        health
            .set_dependency(observe::AGENT_LINK_HEALTH, false)
            .await;
        let endpoint =
            endpoint.map(|e| e.with_collector(observe::collector(engine.clone(), metrics.clone())));
        Ok(Self {
            server,
            shutdown,
            engine,
            clock,
            outbound,
            desk,
            health,
            metrics,
            shared_sessions,
            endpoint,
            catalogue_check,
        })
    }

    /// Where Prometheus scrapes, when metrics are on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.endpoint.as_ref().map(MetricsEndpoint::local_addr)
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The connections accepted so far, as the kernel reports their socket options.
    pub fn accepted_sockets(&self) -> SocketAudit {
        self.server.sockets()
    }

    /// The connections made to agent-service and the task back ends so far.
    pub fn outbound_sockets(&self) -> SocketAudit {
        self.outbound.clone()
    }

    /// A handle that starts the drain when triggered.
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// The conversation engine (for a reload signal handler).
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.clone()
    }

    /// Serves until `stop` resolves (or the shutdown handle fires), then drains.
    pub async fn run_until_stopped(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let sweeper = {
            let engine = self.engine.clone();
            let mut ticker = Ticker::new(self.clock.as_ref(), SWEEP_PERIOD);
            let shutdown = self.shutdown.clone();
            tokio::spawn(async move {
                while shutdown.or_draining(ticker.tick()).await.is_some() {
                    let closed = engine.sweep().await;
                    if closed > 0 {
                        tracing::info!(closed, "idle sessions closed");
                    }
                }
                engine.stop();
            })
        };
        let scrapes = self.endpoint.map(|e| e.spawn(self.shutdown.clone()));
        let follower = self.catalogue_check.map(|every| {
            observe::spawn_catalogue_follower(
                self.engine.clone(),
                self.clock.as_ref(),
                every,
                self.shutdown.clone(),
            )
        });
        // Health says NOT_SERVING while the shared session store cannot be reached.
        let store_watch = self.shared_sessions.map(|store| {
            let ping = move || {
                let store = store.clone();
                async move { store.ping().await }
            };
            let (health, shutdown) = (self.health.clone(), self.shutdown.clone());
            let (every, what) = (observe::AGENT_CHECK_PERIOD, "the session store");
            server_kit::watch::spawn_store_watch(shutdown, every, health, what, ping, |_| {})
        });
        let watch = observe::spawn_agent_watch(
            self.desk,
            self.health,
            self.metrics,
            observe::AGENT_CHECK_PERIOD,
            self.shutdown.clone(),
        );
        let result = self.server.run_until_stopped(stop).await;
        sweeper.abort();
        watch.abort();
        if let Some(store_watch) = store_watch {
            store_watch.abort();
        }
        if let Some(follower) = follower {
            follower.abort();
        }
        if let Some(scrapes) = scrapes {
            let _ = scrapes.await;
        }
        Ok(result?)
    }
}

/// A gRPC client for every configured task back end.
fn action_backends(
    settings: &ActionSettings,
    identity: &Arc<dyn server_kit::auth::Minter>,
    sockets: &SocketAudit,
) -> Result<Backends, StartupError> {
    let mut backends = Backends::none();
    for (name, url) in &settings.backends {
        let link = LinkSettings {
            url: url.clone(),
            deadline: settings.deadline(),
            channels: settings.channels,
            attempts: settings.attempts,
            retry_timeouts: false,
            tls: settings.tls.for_url(url, "actions")?,
        };
        let client =
            ActionClient::new(link, identity.clone(), sockets.clone()).map_err(|source| {
                StartupError::ActionBackend {
                    name: name.clone(),
                    source,
                }
            })?;
        backends = backends.with(name.clone(), Arc::new(client));
    }
    tracing::info!(backends = ?backends.names(), "task back ends");
    Ok(backends)
}
