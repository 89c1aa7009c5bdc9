//! Assembling agent-service: open the store (measured and traced by a decorator), load
//! the roster, bind the port and the metrics listener, wire the gRPC services behind
//! authentication, and run the store health watch. Tests call [`Application::build`]
//! exactly as `main` does, on port 0.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use honeydesk_proto::agent::v1::{
    agent_desk_service_server::AgentDeskServiceServer,
    complaint_service_server::ComplaintServiceServer,
    robot_feedback_service_server::RobotFeedbackServiceServer,
    supervisor_service_server::SupervisorServiceServer, ticket_service_server::TicketServiceServer,
};
use server_kit::{
    Shutdown,
    auth::interceptor,
    clock::SharedClock,
    config::DEV_JWT_SECRET,
    metrics::{Meter, MetricsEndpoint, MetricsError},
    server::{GrpcServer, HealthHandle, ServeError},
};
use tokio::task::JoinHandle;
use tonic::service::interceptor::InterceptedService;

use crate::{
    config::{AgentSettings, DEFAULT_PORT},
    domain::routing::{Dispatcher, sweeper},
    grpc::{ComplaintApi, DeskApi, FeedbackApi, Services, SupervisorApi, TicketApi},
    metrics::AgentMetrics,
    observe,
    seed::{self, SeedError},
    store::{Instrumented, Outage, SqlStore, Store, StoreError, claim::SqliteClaim},
};

/// How long background passes and the store's connections get to finish once the
/// server has drained.
const WIND_DOWN: Duration = Duration::from_secs(2);

/// Why agent-service could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The store could not be opened or migrated.
    #[error("opening the store: {0}")]
    Store(#[from] StoreError),
    /// Routing could not be rebuilt from the store.
    #[error("rebuilding routing from the store: {0}")]
    Routing(#[from] crate::domain::DomainError),
    /// The roster file could not be applied.
    #[error(transparent)]
    Seed(#[from] SeedError),
    /// The abusive-language lexicon could not be loaded.
    #[error(transparent)]
    Lexicon(#[from] crate::domain::moderation::LexiconError),
    /// The metrics listener could not be set up.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// The server failed.
    #[error(transparent)]
    Serve(#[from] ServeError),
    /// The JWKS file is unusable.
    #[error(transparent)]
    Keys(#[from] server_kit::keys::KeyError),
}

/// A built, bound, not yet running agent-service.
pub struct Application {
    server: GrpcServer,
    shutdown: Shutdown,
    store: SqlStore,
    measured: Arc<dyn Store>,
    dispatcher: Dispatcher,
    clock: SharedClock,
    health: HealthHandle,
    metrics: AgentMetrics,
    endpoint: Option<MetricsEndpoint>,
    ping_interval: Duration,
    /// This process's claim on its SQLite file (none on PostgreSQL), given up when it
    /// stops.
    claim: Option<SqliteClaim>,
    /// Among replicas: the task competing for the routing lock (ends when draining).
    replicas: Option<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Opens the store, applies the roster file and binds the listening port.
    pub async fn build(settings: AgentSettings, clock: SharedClock) -> Result<Self, StartupError> {
        Self::build_with_outage(settings, clock, Outage::default()).await
    }

    /// [`Application::build`] with a switch that can take the store away (tests).
    pub async fn build_with_outage(
        settings: AgentSettings,
        clock: SharedClock,
        outage: Outage,
    ) -> Result<Self, StartupError> {
        if settings.server.jwt_secret == DEV_JWT_SECRET {
            tracing::warn!(
                "using the development token secret; set HONEYDESK_JWT_SECRET in production"
            );
        }
        let claim = SqliteClaim::acquire(&settings.store.url)?;
        let store = SqlStore::open_shared(
            &settings.store.url,
            settings.store.replicas,
            settings.store.timeouts(),
        )
        .await?;
        tracing::info!(dialect = ?store.dialect(), "store ready");
        let (meter, endpoint) = match settings.server.metrics_listen {
            Some(addr) => {
                let (meter, handle) = Meter::prometheus(crate::metrics::BUCKETS)?;
                (meter, Some(MetricsEndpoint::bind(addr, handle).await?))
            }
            None => (Meter::disabled(), None),
        };
        server_kit::metrics::record_build_info(&meter, "agent-service", env!("CARGO_PKG_VERSION"));
        let metrics = AgentMetrics::new(meter.clone());
        store.observe(metrics.clone());
        let shared: Arc<dyn Store> = Arc::new(Instrumented::new(
            Arc::new(store.clone()),
            metrics.clone(),
            outage,
        ));
        let shutdown = Shutdown::new();
        let lexicon = Arc::new(settings.moderation.lexicon()?);
        tracing::info!(terms = lexicon.len(), "abusive-language lexicon loaded");
        let routing = crate::domain::routing::RoutingSettings {
            replicas: settings.store.replicas,
            ..settings.routing.settings()
        };
        let mut services = Services::observed(
            shared.clone(),
            clock.clone(),
            routing,
            shutdown.clone(),
            metrics.clone(),
        );
        services.conversation = services.conversation.clone().with_lexicon(lexicon);
        services.complaints = services
            .complaints
            .clone()
            .with_settings(settings.complaints.settings());
        if let Some(file) = &settings.roster.seed_file {
            let created = seed::apply(&services.roster, file).await?;
            tracing::info!(created, file = %file.display(), "roster seeded (missing agents created)");
        }
        let dispatcher = services.dispatcher.clone();
        let replicas = match settings.store.replicas {
            true => Some(
                crate::replicas::join(&settings.store.url, dispatcher.clone(), shutdown.clone())
                    .await?,
            ),
            false => None,
        };
        dispatcher.rebuild().await?;

        let addr = settings.server.listen_addr(DEFAULT_PORT);
        let listener = server_kit::server::bind(addr).await?;
        let verifier = settings.server.verifier(clock.clone())?;
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
            AgentDeskServiceServer::new(DeskApi::new(services.clone())),
            interceptor(verifier.clone()),
        ))
        .add_service(InterceptedService::new(
            SupervisorServiceServer::new(SupervisorApi::new(services.clone())),
            interceptor(verifier.clone()),
        ))
        .add_service(InterceptedService::new(
            ComplaintServiceServer::new(ComplaintApi::new(services.clone())),
            interceptor(verifier.clone()),
        ))
        .add_service(InterceptedService::new(
            RobotFeedbackServiceServer::new(FeedbackApi::new(services.clone())),
            interceptor(verifier.clone()),
        ))
        .add_service(InterceptedService::new(
            TicketServiceServer::new(TicketApi::new(services)),
            interceptor(verifier),
        ));
        let health = server.health();
        let endpoint = endpoint.map(|e| {
            e.with_collector(observe::collector(
                dispatcher.clone(),
                shared.clone(),
                clock.clone(),
                metrics.clone(),
            ))
        });
        Ok(Self {
            server,
            shutdown,
            store,
            measured: shared,
            dispatcher,
            clock,
            health,
            metrics,
            endpoint,
            ping_interval: settings.store.ping_interval(),
            claim,
            replicas,
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
    pub fn accepted_sockets(&self) -> server_kit::net::SocketAudit {
        self.server.sockets()
    }

    /// A handle that starts the drain when triggered.
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Serves until `stop` resolves (or the shutdown handle fires), drains, closes the store.
    pub async fn run_until_stopped(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let scrapes = self.endpoint.map(|e| e.spawn(self.shutdown.clone()));
        let watch = observe::spawn_store_watch(
            self.measured,
            self.health,
            self.metrics,
            self.ping_interval,
            self.shutdown.clone(),
        );
        let positions = self.dispatcher.spawn_positions(self.shutdown.clone());
        let sweeper = sweeper::spawn(self.dispatcher, self.clock.as_ref(), self.shutdown.clone());
        let result = self.server.run_until_stopped(stop).await;
        self.shutdown.trigger();
        // Background passes end between passes and the pool closes once its connections
        // come back; a pass or a write stuck on the database (a locked table) must not
        // hold the process past the drain, so they get a moment, then are cut off (an
        // unfinished transaction is rolled back by the database).
        let mut tasks: Vec<_> = [sweeper, positions, watch]
            .into_iter()
            .chain(self.replicas)
            .chain(scrapes)
            .collect();
        let store = self.store.clone();
        let wind_down = async {
            for task in &mut tasks {
                let _ = task.await;
            }
            store.close().await;
        };
        if tokio::time::timeout(WIND_DOWN, wind_down).await.is_err() {
            tracing::warn!(limit = ?WIND_DOWN, "background work or the store still busy after the drain; cut off");
            tasks.iter().for_each(JoinHandle::abort);
        }
        drop(self.claim);
        Ok(result?)
    }
}
