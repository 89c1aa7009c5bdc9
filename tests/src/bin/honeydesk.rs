//! `cargo run --bin honeydesk`: the whole pair for local use — agent-service on :50052
//! with embedded storage under `./data` and the demo roster, bot-service on :50051 with
//! the demo catalogue, and the sandbox task back end on :50053 serving the demo's phone
//! top-up and weather — plus ready-to-use tokens, and Prometheus metrics on :9464 (bot)
//! and :9465 (agent). Ctrl-C stops everything cleanly.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use agent_service::config::{AgentSettings, demo_agents_file};
use bot_service::config::BotSettings;
use clap::Parser;
use honeydesk::{Stack, sandbox::RunningSandbox};
use server_kit::{
    Hs256Tokens, Role, SystemClock,
    config::{DEV_JWT_SECRET, LogFormat},
    server::stop_signal,
    telemetry,
};

/// Run bot-service and agent-service together for local development.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// bot-service address.
    #[arg(long, default_value = "127.0.0.1:50051")]
    bot_listen: SocketAddr,
    /// agent-service address.
    #[arg(long, default_value = "127.0.0.1:50052")]
    agent_listen: SocketAddr,
    /// The sandbox task back end's address (top-up and weather of the demo catalogue).
    #[arg(long, default_value = "127.0.0.1:50053")]
    sandbox_listen: SocketAddr,
    /// bot-service's Prometheus metrics listener.
    #[arg(long, default_value = "127.0.0.1:9464")]
    bot_metrics_listen: SocketAddr,
    /// agent-service's Prometheus metrics listener.
    #[arg(long, default_value = "127.0.0.1:9465")]
    agent_metrics_listen: SocketAddr,
    /// The store (embedded SQLite by default).
    #[arg(
        long,
        env = "HONEYDESK_DATABASE_URL",
        default_value = "sqlite://data/agent.db"
    )]
    database_url: String,
    /// HS256 token secret shared by both services.
    #[arg(long, env = "HONEYDESK_JWT_SECRET", default_value = DEV_JWT_SECRET, hide_default_value = true)]
    jwt_secret: String,
    /// Log format: text or json.
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
}

#[global_allocator]
static ALLOCATOR: server_kit::Allocator = server_kit::ALLOCATOR;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _logs = telemetry::init_with(
        cli.log_format,
        telemetry::Identity::new("honeydesk", env!("CARGO_PKG_VERSION")),
        telemetry::TraceSettings::from_env(),
    );
    let mut agent = AgentSettings::default();
    agent.server.listen = Some(cli.agent_listen);
    agent.server.jwt_secret = cli.jwt_secret.clone();
    agent.server.log_format = cli.log_format;
    agent.server.metrics_listen = Some(cli.agent_metrics_listen);
    agent.store.url = cli.database_url.clone();
    agent.roster.seed_file = Some(demo_agents_file());
    agent.validate()?;
    let mut bot = BotSettings::default();
    bot.server.listen = Some(cli.bot_listen);
    bot.server.jwt_secret = cli.jwt_secret.clone();
    bot.server.log_format = cli.log_format;
    bot.server.metrics_listen = Some(cli.bot_metrics_listen);
    let sandbox = RunningSandbox::start(cli.sandbox_listen, &cli.jwt_secret).await?;
    sandbox.serve_demo_tasks(&mut bot);
    bot.validate()?;

    let stack = match Stack::start(agent, bot, Arc::new(SystemClock)).await {
        Ok(stack) => stack,
        Err(e) => {
            sandbox.stop().await?;
            return Err(e);
        }
    };
    print_banner(&stack, &sandbox, &cli.jwt_secret, &cli.database_url);
    stack.run_until(stop_signal()).await?;
    sandbox.stop().await?;
    println!("honeydesk stopped");
    Ok(())
}

fn print_banner(stack: &Stack, sandbox: &RunningSandbox, secret: &str, database_url: &str) {
    let tokens = Hs256Tokens::new(secret.as_bytes());
    let day = Duration::from_secs(24 * 3600);
    println!();
    println!("honeydesk is up");
    println!(
        "  bot-service    {}   (intent catalogue: demo)",
        stack.bot_addr
    );
    println!(
        "  agent-service  {}   (store: {database_url}, demo agents)",
        stack.agent_addr
    );
    println!(
        "  sandbox        {}   (task back end: simulated top-ups, weather table)",
        sandbox.addr
    );
    for (name, addr) in [("bot", stack.bot_metrics), ("agent", stack.agent_metrics)] {
        if let Some(addr) = addr {
            println!("  metrics        http://{addr}/metrics   ({name}-service, Prometheus)");
        }
    }
    println!();
    println!("Tokens (valid 24 h):");
    for (var, subject, role) in [
        ("CONSUMER", "shopper-1", Role::Consumer),
        ("MERCHANT", "seller-1", Role::Merchant),
        ("AGENT", "a-1024", Role::Agent),
        ("SUPERVISOR", "supervisor-1", Role::Supervisor),
    ] {
        println!("  export {var}_TOKEN={}", tokens.mint(subject, role, day));
    }
    println!();
    println!("Press Ctrl-C to stop.");
}
