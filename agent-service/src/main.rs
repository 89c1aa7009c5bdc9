//! The agent-service binary: settings → telemetry → `Application::build` → run until
//! SIGINT/SIGTERM. `agent-service token …` mints a bearer token for local use.

use std::sync::Arc;

use agent_service::{
    Application,
    config::{AgentArgs, AgentSettings},
};
use clap::{Parser, Subcommand};
use server_kit::{SystemClock, cli::TokenArgs, shutdown::stop_signal, telemetry};

/// honeydesk agent-service: human queues, live chat, complaints.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    args: AgentArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve (the default).
    Serve,
    /// Print a bearer token signed with the configured secret.
    Token(TokenArgs),
}

#[global_allocator]
static ALLOCATOR: server_kit::Allocator = server_kit::ALLOCATOR;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = AgentSettings::load(&cli.args)?;
    if let Some(Command::Token(token)) = &cli.command {
        println!("{}", token.mint(&settings.server)?);
        return Ok(());
    }
    let _logs = telemetry::init_with(
        settings.server.log_format,
        telemetry::Identity::new("agent-service", env!("CARGO_PKG_VERSION")),
        telemetry::TraceSettings::from_env(),
    );
    let app = Application::build(settings, Arc::new(SystemClock)).await?;
    tracing::info!(addr = %app.local_addr(), "agent-service listening");
    app.run_until_stopped(stop_signal()).await?;
    Ok(())
}
