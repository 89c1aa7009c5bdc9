//! Starting and stopping both services together, wired to each other.

use std::{net::SocketAddr, sync::Arc};

use agent_service::{config::AgentSettings, store::Outage};
use bot_service::config::BotSettings;
use server_kit::{Shutdown, clock::SharedClock, net::SocketAudit};
use tokio::task::JoinHandle;

/// Both services, running.
pub struct Stack {
    /// Where bot-service listens.
    pub bot_addr: SocketAddr,
    /// Where agent-service listens.
    pub agent_addr: SocketAddr,
    /// Where bot-service serves `/metrics`, when metrics are on.
    pub bot_metrics: Option<SocketAddr>,
    /// Where agent-service serves `/metrics`, when metrics are on.
    pub agent_metrics: Option<SocketAddr>,
    /// The sockets of both services as the kernel reports them.
    pub sockets: StackSockets,
    bot: Running<bot_service::StartupError>,
    agent: Running<agent_service::StartupError>,
    agent_settings: AgentSettings,
    bot_settings: BotSettings,
    clock: SharedClock,
}

/// Every connection the pair accepted or made, with its socket options read back.
#[derive(Clone, Debug, Default)]
pub struct StackSockets {
    /// Accepted by bot-service.
    pub bot_accepted: SocketAudit,
    /// Made by bot-service (to agent-service and the task back ends).
    pub bot_outbound: SocketAudit,
    /// Accepted by agent-service.
    pub agent_accepted: SocketAudit,
}

/// One more copy of a service on the stack's settings, on a port of its own.
pub struct Replica<E> {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its drain handle.
    pub shutdown: Shutdown,
    _task: JoinHandle<Result<(), E>>,
}

/// One more agent-service on the stack's store.
pub type AgentReplica = Replica<agent_service::StartupError>;

/// One more bot-service on the stack's settings: with a Redis session store it serves
/// the same sessions as the first.
pub type BotReplica = Replica<bot_service::StartupError>;

struct Running<E> {
    shutdown: Shutdown,
    task: Option<JoinHandle<Result<(), E>>>,
}

impl<E: std::error::Error + Send + Sync + 'static> Running<E> {
    fn spawn(
        shutdown: Shutdown,
        run: impl std::future::Future<Output = Result<(), E>> + Send + 'static,
    ) -> Self
    where
        E: Send,
    {
        Self {
            shutdown,
            task: Some(tokio::spawn(run)),
        }
    }

    /// Drains the service and waits until it has stopped (once).
    async fn stop(&mut self) -> anyhow::Result<()> {
        self.shutdown.trigger();
        if let Some(task) = self.task.take() {
            task.await??;
        }
        Ok(())
    }
}

impl Stack {
    /// Starts agent-service, then bot-service pointed at it. `bot.agent.url` is replaced
    /// by agent-service's actual address (`https://` when agent-service serves TLS).
    pub async fn start(
        agent: AgentSettings,
        bot: BotSettings,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        Self::start_with_outage(agent, bot, clock, Outage::default()).await
    }

    /// [`Stack::start`] with a switch that can take agent-service's store away.
    pub async fn start_with_outage(
        agent: AgentSettings,
        mut bot: BotSettings,
        clock: SharedClock,
        outage: Outage,
    ) -> anyhow::Result<Self> {
        let agent_settings = agent.clone();
        let agent_app =
            agent_service::Application::build_with_outage(agent, clock.clone(), outage).await?;
        let agent_metrics = agent_app.metrics_addr();
        let agent_addr = agent_app.local_addr();
        let scheme = if agent_settings.server.tls_cert.is_some() {
            "https"
        } else {
            "http"
        };
        bot.agent.url = format!("{scheme}://{agent_addr}");
        let bot_settings = bot.clone();
        let bot_app = match bot_service::Application::build(bot, clock.clone()).await {
            Ok(app) => app,
            Err(e) => {
                let shutdown = agent_app.shutdown_handle();
                shutdown.trigger();
                agent_app.run_until_stopped(std::future::ready(())).await?;
                return Err(e.into());
            }
        };
        let bot_addr = bot_app.local_addr();
        let bot_metrics = bot_app.metrics_addr();
        let sockets = StackSockets {
            bot_accepted: bot_app.accepted_sockets(),
            bot_outbound: bot_app.outbound_sockets(),
            agent_accepted: agent_app.accepted_sockets(),
        };
        let agent = Running::spawn(
            agent_app.shutdown_handle(),
            agent_app.run_until_stopped(std::future::pending()),
        );
        let bot = Running::spawn(
            bot_app.shutdown_handle(),
            bot_app.run_until_stopped(std::future::pending()),
        );
        Ok(Self {
            bot_addr,
            agent_addr,
            bot_metrics,
            agent_metrics,
            sockets,
            bot,
            agent,
            agent_settings,
            bot_settings,
            clock,
        })
    }

    /// Stops bot-service (its live sessions are lost, as in a crash) and starts a new one
    /// on the same address; agent-service keeps running.
    pub async fn restart_bot(&mut self) -> anyhow::Result<()> {
        self.bot.stop().await?;
        let mut settings = self.bot_settings.clone();
        settings.server.listen = Some(self.bot_addr);
        let app = bot_service::Application::build(settings, self.clock.clone()).await?;
        self.sockets.bot_accepted = app.accepted_sockets();
        self.sockets.bot_outbound = app.outbound_sockets();
        self.bot = Running::spawn(
            app.shutdown_handle(),
            app.run_until_stopped(std::future::pending()),
        );
        Ok(())
    }

    /// Stops agent-service (draining its streams) and starts a new one on the same store
    /// and address, as after a crash and restart; bot-service keeps running.
    pub async fn restart_agent(&mut self) -> anyhow::Result<()> {
        self.stop_agent().await?;
        self.start_agent().await
    }

    /// Stops agent-service (draining its streams) and waits until it has stopped;
    /// bot-service keeps running. Stopping it again does nothing.
    pub async fn stop_agent(&mut self) -> anyhow::Result<()> {
        self.agent.stop().await
    }

    /// Starts agent-service again on the same store and address (after
    /// [`Stack::stop_agent`]).
    pub async fn start_agent(&mut self) -> anyhow::Result<()> {
        let mut settings = self.agent_settings.clone();
        settings.server.listen = Some(self.agent_addr);
        let app = agent_service::Application::build(settings, self.clock.clone()).await?;
        self.sockets.agent_accepted = app.accepted_sockets();
        self.agent = Running::spawn(
            app.shutdown_handle(),
            app.run_until_stopped(std::future::pending()),
        );
        Ok(())
    }

    /// Starts another agent-service on the same settings and store (a second replica,
    /// on a port of its own); stopped by its handle or with the test.
    pub async fn start_agent_replica(&self) -> anyhow::Result<AgentReplica> {
        let mut settings = self.agent_settings.clone();
        settings.server.listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
        let app = agent_service::Application::build(settings, self.clock.clone()).await?;
        Ok(Replica {
            addr: app.local_addr(),
            shutdown: app.shutdown_handle(),
            _task: tokio::spawn(app.run_until_stopped(std::future::pending())),
        })
    }

    /// Starts another bot-service on the same settings (session store included: give
    /// the stack a Redis one for the replicas to share), pointed at the same
    /// agent-service, on a port of its own; stopped by its handle or with the test.
    pub async fn start_bot_replica(&self) -> anyhow::Result<BotReplica> {
        let mut settings = self.bot_settings.clone();
        settings.server.listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
        let app = bot_service::Application::build(settings, self.clock.clone()).await?;
        Ok(Replica {
            addr: app.local_addr(),
            shutdown: app.shutdown_handle(),
            _task: tokio::spawn(app.run_until_stopped(std::future::pending())),
        })
    }

    /// bot-service's shutdown handle.
    pub fn bot_shutdown(&self) -> Shutdown {
        self.bot.shutdown.clone()
    }

    /// agent-service's shutdown handle.
    pub fn agent_shutdown(&self) -> Shutdown {
        self.agent.shutdown.clone()
    }

    /// Drains bot-service first (it depends on agent-service), then agent-service.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.bot.stop().await?;
        self.agent.stop().await
    }

    /// Runs until `stop` resolves, then stops both.
    pub async fn run_until(
        self,
        stop: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<()> {
        stop.await;
        self.stop().await
    }
}

/// Shares a clock between both services.
pub fn shared(clock: impl server_kit::Clock) -> SharedClock {
    Arc::new(clock)
}
