//! One agent-service in a process of its own, for tests that must kill it the hard way
//! (`SIGKILL`, no drain) while other replicas carry on: it takes agent-service's own flags
//! and variables, serves on the address they give (port 0 allowed), and prints
//! `listening <addr>` on standard output once it serves, so the test knows where.

use std::sync::Arc;

use agent_service::{
    Application,
    config::{AgentArgs, AgentSettings},
};
use clap::Parser;
use server_kit::{SystemClock, server::stop_signal, telemetry};

/// An agent-service replica for process-level tests.
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: AgentArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = AgentSettings::load(&Cli::parse().args)?;
    let _logs = telemetry::init_with(
        settings.server.log_format,
        telemetry::Identity::new("agent-replica", env!("CARGO_PKG_VERSION")),
        telemetry::TraceSettings::from_env(),
    );
    let app = Application::build(settings, Arc::new(SystemClock)).await?;
    println!("listening {}", app.local_addr());
    app.run_until_stopped(stop_signal()).await?;
    Ok(())
}
