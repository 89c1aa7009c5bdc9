//! The sandbox task back end running beside the pair: started on its own port (0 in
//! tests), its ledger open to inspection, stopped with a bounded drain. The dev launcher
//! and the end-to-end task tests both use it.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use bot_service::{
    config::BotSettings,
    sandbox::{Sandbox, SandboxApp, SandboxSettings, app::SandboxError},
};
use server_kit::Shutdown;
use tokio::task::JoinHandle;

/// The task back-end names the demo catalogue uses, all served by the sandbox.
pub const DEMO_BACKENDS: [&str; 2] = ["topup", "weather"];

/// A running sandbox.
pub struct RunningSandbox {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its ledger and delay knob.
    pub sandbox: Arc<Sandbox>,
    /// The connections it accepted, with their socket options read back.
    pub accepted: server_kit::net::SocketAudit,
    shutdown: Shutdown,
    task: JoinHandle<Result<(), SandboxError>>,
}

impl RunningSandbox {
    /// Starts the sandbox on `listen`, checking tokens signed with `jwt_secret`.
    pub async fn start(listen: SocketAddr, jwt_secret: &str) -> Result<Self, SandboxError> {
        let app = SandboxApp::build(SandboxSettings {
            listen,
            jwt_secret: jwt_secret.to_owned(),
            drain_timeout: Duration::from_secs(2),
        })
        .await?;
        Ok(Self {
            addr: app.local_addr(),
            sandbox: app.sandbox(),
            accepted: app.accepted_sockets(),
            shutdown: app.shutdown_handle(),
            task: tokio::spawn(app.run_until_stopped(std::future::pending())),
        })
    }

    /// Its address as a URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Points every demo task of `bot` at this sandbox.
    pub fn serve_demo_tasks(&self, bot: &mut BotSettings) {
        for name in DEMO_BACKENDS {
            bot.actions.backends.insert(name.to_owned(), self.url());
        }
    }

    /// Drains and stops it.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.trigger();
        self.task.await??;
        Ok(())
    }
}
