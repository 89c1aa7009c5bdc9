//! One service in a process of its own, for tests that must kill it the hard way
//! (`SIGKILL`, no drain) while other replicas carry on: `replica agent …` or
//! `replica bot …` takes that service's own flags and variables, serves on the address
//! they give (port 0 allowed), and prints `listening <addr>` on standard output once it
//! serves, so the test knows where. (The services' own binaries log the address; a test
//! reads one line of standard output instead of parsing logs.)

use std::{net::SocketAddr, sync::Arc};

use clap::Parser;
use server_kit::{SystemClock, shutdown::stop_signal, telemetry};

/// A service replica for process-level tests.
#[derive(Parser)]
enum Cli {
    /// agent-service.
    Agent(agent_service::config::AgentArgs),
    /// bot-service.
    Bot(bot_service::config::BotArgs),
}

fn logs(name: &'static str, format: server_kit::config::LogFormat) -> telemetry::LogGuard {
    telemetry::init_with(
        format,
        telemetry::Identity::new(name, env!("CARGO_PKG_VERSION")),
        telemetry::TraceSettings::from_env(),
    )
}

fn listening(addr: SocketAddr) {
    println!("listening {addr}");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse() {
        Cli::Agent(args) => {
            let settings = agent_service::config::AgentSettings::load(&args)?;
            let _logs = logs("agent-service", settings.server.log_format);
            let app = agent_service::Application::build(settings, Arc::new(SystemClock)).await?;
            listening(app.local_addr());
            app.run_until_stopped(stop_signal()).await?;
        }
        Cli::Bot(args) => {
            let settings = bot_service::config::BotSettings::load(&args)?;
            let _logs = logs("bot-service", settings.server.log_format);
            let app = bot_service::Application::build(settings, Arc::new(SystemClock)).await?;
            listening(app.local_addr());
            app.run_until_stopped(stop_signal()).await?;
        }
    }
    Ok(())
}
