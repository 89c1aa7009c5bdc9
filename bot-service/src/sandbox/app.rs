//! Serving the sandbox: `honeydesk.bot.v1.ActionService` behind the same bearer-token
//! check as every honeydesk service (role `service`), with health, reflection and a
//! bounded drain from server-kit.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use honeydesk_proto::bot::v1::action_service_server::ActionServiceServer;
use server_kit::{
    Hs256Tokens, Shutdown, TokenVerifier,
    auth::interceptor,
    server::{GrpcServer, ServeError},
};
use tonic::service::interceptor::InterceptedService;

use super::{Sandbox, SandboxApi};

/// The sandbox listens here unless told otherwise.
pub const DEFAULT_SANDBOX_PORT: u16 = 50053;

/// How to run the sandbox.
#[derive(Clone, Debug)]
pub struct SandboxSettings {
    /// Where to listen (port 0: any free port).
    pub listen: SocketAddr,
    /// The HS256 secret callers' tokens are signed with.
    pub jwt_secret: String,
    /// How long in-flight calls get on shutdown.
    pub drain_timeout: Duration,
}

/// Why the sandbox could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The server failed.
    #[error(transparent)]
    Serve(#[from] ServeError),
}

/// A bound, not yet running sandbox.
pub struct SandboxApp {
    server: GrpcServer,
    shutdown: Shutdown,
    sandbox: Arc<Sandbox>,
}

impl SandboxApp {
    /// Binds the port and wires the service.
    pub async fn build(settings: SandboxSettings) -> Result<Self, SandboxError> {
        let listener = server_kit::server::bind(settings.listen).await?;
        let verifier: Arc<dyn TokenVerifier> =
            Arc::new(Hs256Tokens::new(settings.jwt_secret.as_bytes()));
        let sandbox = Arc::new(Sandbox::new());
        let shutdown = Shutdown::new();
        let server = GrpcServer::new(listener, shutdown.clone(), settings.drain_timeout, 256)
            .add_service(InterceptedService::new(
                ActionServiceServer::new(SandboxApi::new(sandbox.clone())),
                interceptor(verifier),
            ));
        Ok(Self {
            server,
            shutdown,
            sandbox,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The sandbox itself (its ledger, its delay knob).
    pub fn sandbox(&self) -> Arc<Sandbox> {
        self.sandbox.clone()
    }

    /// The connections accepted so far, as the kernel reports their socket options.
    pub fn accepted_sockets(&self) -> server_kit::net::SocketAudit {
        self.server.sockets()
    }

    /// A handle that starts the drain when triggered.
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Serves until `stop` resolves (or the shutdown handle fires), then drains.
    pub async fn run_until_stopped(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), SandboxError> {
        Ok(self.server.run_until_stopped(stop).await?)
    }
}
