//! Starting a honeydesk gRPC server: the application services plus `grpc.health.v1`
//! (Check and Watch), server reflection v1 and v1alpha (grpcurl 1.8 speaks only
//! v1alpha), request ids and trace context, RPC metrics on the application services,
//! undecodable requests answered INVALID_ARGUMENT, the admission gate, a deadline on
//! application calls, TLS or mutual TLS when configured, and a bounded graceful drain. The application tells health
//! what is true through a [`HealthHandle`].

use std::{
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures_util::StreamExt;
use tokio::net::TcpListener;
use tokio_stream::Stream;
use tonic::{Request, Response, Status, server::NamedService, service::RoutesBuilder};
use tonic_health::{
    ServingStatus,
    pb::{
        HealthCheckRequest, HealthCheckResponse, health_check_response,
        health_server::{Health, HealthServer},
    },
    server::{HealthReporter, HealthService},
};

use crate::{
    decode_errors::DecodeErrors,
    metrics::Meter,
    net::{self, SocketAudit},
    request_id::RequestIdLayer,
    rpc_metrics::{self, Measured},
    shutdown::Shutdown,
};

/// Why a server could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The listening port could not be bound.
    #[error("binding {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The reflection service could not be built from the descriptors.
    #[error("building server reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The TLS settings are unusable.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// The transport failed.
    #[error("gRPC transport: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Kept here too for callers written before it moved to [`crate::shutdown`].
pub use crate::shutdown::stop_signal;

/// Binds the listening port (port 0: any free one), naming the address on failure.
pub async fn bind(addr: std::net::SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })
}

/// A server being assembled: add application services, then run it.
pub struct GrpcServer {
    listener: TcpListener,
    routes: RoutesBuilder,
    service_names: Vec<&'static str>,
    health: HealthReporter,
    shutdown: Shutdown,
    drain_timeout: Duration,
    max_in_flight: usize,
    unary_timeout: Duration,
    sockets: SocketAudit,
    meter: Meter,
    serving: Arc<AtomicBool>,
    tls: Option<tonic::transport::ServerTlsConfig>,
}

impl GrpcServer {
    /// A server on an already-bound `listener` (bind port 0 to get a free port).
    pub fn new(
        listener: TcpListener,
        shutdown: Shutdown,
        drain_timeout: Duration,
        max_in_flight: usize,
    ) -> Self {
        crate::tls::install_crypto_provider();
        Self {
            listener,
            routes: RoutesBuilder::default(),
            service_names: Vec::new(),
            health: HealthReporter::new(),
            shutdown,
            drain_timeout,
            max_in_flight,
            unary_timeout: crate::config::ServerSettings::default().unary_timeout(),
            sockets: SocketAudit::default(),
            meter: Meter::disabled(),
            serving: Arc::new(AtomicBool::new(true)),
            tls: None,
        }
    }

    /// Serves TLS (mutual TLS with a client CA) when `settings` name a certificate and
    /// key, plaintext otherwise; the files are read and checked now, so a bad pair
    /// stops start-up with the setting's name.
    pub fn with_tls(
        mut self,
        settings: &crate::config::ServerSettings,
    ) -> Result<Self, ServeError> {
        let tls = settings.tls()?;
        if let Some(config) = &tls {
            tonic::transport::Server::builder().tls_config(config.clone())?;
        }
        self.tls = tls;
        Ok(self)
    }

    /// Answers application calls still running after `limit` DEADLINE_EXCEEDED
    /// ([`crate::deadline`]).
    pub fn with_unary_timeout(mut self, limit: Duration) -> Self {
        self.unary_timeout = limit;
        self
    }

    /// Measures the application services added after this call into `meter`.
    pub fn with_meter(mut self, meter: Meter) -> Self {
        rpc_metrics::describe(&meter);
        self.meter = meter;
        self
    }

    /// A handle through which the application reports whether it can serve (and the
    /// state of what it depends on); take it after adding the services.
    pub fn health(&self) -> HealthHandle {
        HealthHandle {
            reporter: self.health.clone(),
            names: Arc::new(self.service_names.clone()),
            serving: self.serving.clone(),
            shutdown: self.shutdown.clone(),
        }
    }

    /// The accepted connections' socket options as the kernel reports them.
    pub fn sockets(&self) -> SocketAudit {
        self.sockets.clone()
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has an address")
    }

    /// Adds an application service; health reports it by name.
    pub fn add_service<S, B>(mut self, service: S) -> Self
    where
        S: tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<B>,
                Error = std::convert::Infallible,
            > + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<rpc_metrics::BoxError>,
    {
        self.service_names.push(S::NAME);
        let service = DecodeErrors::new(service);
        if self.meter.is_enabled() {
            self.routes
                .add_service(Measured::new(service, self.meter.clone()));
        } else {
            self.routes.add_service(service);
        }
        self
    }

    /// Serves until `stop` resolves or the [`Shutdown`] is triggered, then drains: health
    /// turns NOT_SERVING, new application calls are refused, streams are told to end,
    /// and in-flight calls get `drain_timeout` to finish before connections are closed.
    pub async fn run_until_stopped(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let GrpcServer {
            listener,
            mut routes,
            service_names,
            health,
            shutdown,
            drain_timeout,
            max_in_flight,
            unary_timeout,
            sockets,
            meter: _,
            serving,
            tls,
        } = self;
        let status = if serving.load(Ordering::SeqCst) {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        for name in [""].iter().chain(service_names.iter()) {
            health.set_service_status(name, status).await;
        }
        routes.add_service(DecodeErrors::new(HealthServer::new(DrainingHealth {
            inner: HealthService::from_health_reporter(health.clone()),
            shutdown: shutdown.clone(),
        })));
        let (v1, v1alpha) = reflection(&service_names)?;
        routes.add_service(v1);
        routes.add_service(v1alpha);

        // `addr=127.0.0.1:50051 server=honeydesk.bot.v1`: which service a line is about,
        // even with two in one process (the dev launcher).
        let addr = listener
            .local_addr()
            .map_or_else(|e| format!("unknown ({e})"), |a| a.to_string());
        let server = server_label(&service_names);
        let drain = {
            let shutdown = shutdown.clone();
            let (drain_addr, drain_server) = (addr.clone(), server.clone());
            async move {
                tokio::select! {
                    _ = stop => {}
                    _ = shutdown.draining() => {}
                }
                tracing::info!(addr = %drain_addr, server = %drain_server, "shutdown signalled: draining");
                for name in [""].iter().chain(service_names.iter()) {
                    health
                        .set_service_status(name, ServingStatus::NotServing)
                        .await;
                }
                shutdown.trigger();
                if !shutdown.wait_idle(drain_timeout).await {
                    tracing::warn!(in_flight = shutdown.in_flight(), "drain limit reached");
                }
            }
        };
        let mut builder = tonic::transport::Server::builder();
        if let Some(tls) = tls {
            builder = builder.tls_config(tls)?;
        }
        let serve = builder
            .layer(RequestIdLayer)
            .layer(shutdown.gate(max_in_flight, unary_timeout))
            .add_routes(routes.routes())
            .serve_with_incoming_shutdown(net::incoming(listener, sockets), drain);
        tracing::info!(addr = %addr, server = %server, "serving");
        // The transport waits for open connections to finish; bound that wait too.
        let limit = async {
            shutdown.draining().await;
            tokio::time::sleep(drain_timeout + Duration::from_secs(1)).await;
        };
        tokio::select! {
            result = serve => result?,
            _ = limit => tracing::warn!("connections still open after the drain limit; closing them"),
        }
        tracing::info!(addr = %addr, server = %server, "stopped");
        Ok(())
    }
}

/// Sets what health reports: whether the server can do its work (`""` and every
/// application service), and the state of named dependencies. Ignored once draining has
/// begun (health then says NOT_SERVING for good). Cheap to clone.
#[derive(Clone)]
pub struct HealthHandle {
    reporter: HealthReporter,
    names: Arc<Vec<&'static str>>,
    serving: Arc<AtomicBool>,
    shutdown: Shutdown,
}

impl HealthHandle {
    /// Reports `""` and every application service SERVING or NOT_SERVING; says whether
    /// that changed anything.
    pub async fn set_serving(&self, serving: bool) -> bool {
        if self.shutdown.is_draining() || self.serving.swap(serving, Ordering::SeqCst) == serving {
            return false;
        }
        let status = if serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        for name in [""].iter().chain(self.names.iter()) {
            self.reporter.set_service_status(name, status).await;
        }
        true
    }

    /// Whether the server reports itself SERVING.
    pub fn is_serving(&self) -> bool {
        self.serving.load(Ordering::SeqCst) && !self.shutdown.is_draining()
    }

    /// Reports a named dependency (a health "service" of its own, e.g.
    /// `honeydesk.bot.v1.AgentServiceLink`) SERVING or NOT_SERVING.
    pub async fn set_dependency(&self, name: &str, serving: bool) {
        if self.shutdown.is_draining() {
            return;
        }
        let status = if serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        self.reporter.set_service_status(name, status).await;
    }
}

/// Reflection v1 and v1alpha over the honeydesk, health and google.rpc descriptors,
/// listing only what this server serves.
fn reflection(
    service_names: &[&'static str],
) -> Result<
    (
        tonic_reflection::server::v1::ServerReflectionServer<
            impl tonic_reflection::server::v1::ServerReflection,
        >,
        tonic_reflection::server::v1alpha::ServerReflectionServer<
            impl tonic_reflection::server::v1alpha::ServerReflection,
        >,
    ),
    tonic_reflection::server::Error,
> {
    let builder = || {
        let mut b = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(honeydesk_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health")
            .with_service_name("grpc.reflection.v1.ServerReflection")
            .with_service_name("grpc.reflection.v1alpha.ServerReflection");
        for name in service_names {
            b = b.with_service_name(*name);
        }
        b
    };
    Ok((builder().build_v1()?, builder().build_v1alpha()?))
}

/// The health service, whose Watch streams send NOT_SERVING and end once draining
/// begins, so an open Watch cannot hold the server up.
struct DrainingHealth {
    inner: HealthService,
    shutdown: Shutdown,
}

type HealthStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Health for DrainingHealth {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        self.inner.check(request).await
    }

    type WatchStream = HealthStream;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let inner = self.inner.watch(request).await?.into_inner();
        let last = futures_util::stream::once(std::future::ready(Ok(HealthCheckResponse {
            status: health_check_response::ServingStatus::NotServing as i32,
        })));
        let stream = inner.take_until(self.shutdown.draining()).chain(last);
        Ok(Response::new(Box::pin(stream)))
    }
}

/// The proto packages of the application services (`honeydesk.bot.v1`), which name the
/// service in log lines.
fn server_label(service_names: &[&'static str]) -> String {
    let mut packages: Vec<&str> = service_names
        .iter()
        .map(|n| n.rsplit_once('.').map_or(*n, |(package, _)| package))
        .collect();
    packages.dedup();
    if packages.is_empty() {
        "grpc".to_owned()
    } else {
        packages.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::server_label;

    #[test]
    fn log_lines_name_the_server_by_its_packages() {
        let bot = [
            "honeydesk.bot.v1.ConversationService",
            "honeydesk.bot.v1.IntentService",
        ];
        assert_eq!(server_label(&bot), "honeydesk.bot.v1");
        assert_eq!(server_label(&[]), "grpc");
    }
}
