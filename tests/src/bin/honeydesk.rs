//! `cargo run --bin honeydesk`: the whole pair for local use — agent-service on :50052
//! with embedded storage under `./data` and the demo roster, bot-service on :50051 with
//! the demo catalogue, and the sandbox task back end on :50053 serving the demo's phone
//! top-up and weather — plus ready-to-use tokens, and Prometheus metrics on :9464 (bot)
//! and :9465 (agent). Both services take the settings they take when run alone (their
//! TOML files and `HONEYDESK_*` variables; see [`honeydesk::launch`]). Ctrl-C stops
//! everything cleanly. `cargo run --bin honeydesk -- token --role … --subject …` prints
//! a token the pair accepts, built from the same binary (no second build).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use clap::Parser;
use honeydesk::{
    Stack,
    launch::{LaunchArgs, args_from_env, settings},
    sandbox::{DEMO_BACKENDS, RunningSandbox},
};
use server_kit::{Hs256Tokens, Role, SystemClock, shutdown::stop_signal, telemetry};

/// Run bot-service and agent-service together for local development. Each service
/// reads its settings file and `HONEYDESK_*` variables as it does when run alone
/// (except `HONEYDESK_LISTEN` and `HONEYDESK_METRICS_LISTEN`); these flags come last.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    launch: LaunchArgs,
    /// The sandbox task back end's address (top-up and weather of the demo catalogue).
    #[arg(long, default_value = "127.0.0.1:50053")]
    sandbox_listen: SocketAddr,
}

/// What else the launcher does.
#[derive(clap::Subcommand)]
enum Command {
    /// Print a token both services of the pair accept (their shared secret, issuer and
    /// audience), then exit.
    Token(server_kit::cli::TokenArgs),
}

#[global_allocator]
static ALLOCATOR: server_kit::Allocator = server_kit::ALLOCATOR;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (agent_args, bot_args) = args_from_env()?;
    let (agent, mut bot) = settings(&cli.launch, agent_args, bot_args)?;
    if let Some(Command::Token(token)) = &cli.command {
        println!("{}", token.mint(&bot.server)?);
        return Ok(());
    }
    let _logs = telemetry::init_with(
        bot.server.log_format,
        telemetry::Identity::new("honeydesk", env!("CARGO_PKG_VERSION")),
        telemetry::TraceSettings::from_env(),
    );
    let sandbox = RunningSandbox::start(cli.sandbox_listen, &bot.server.jwt_secret).await?;
    for name in DEMO_BACKENDS {
        bot.actions
            .backends
            .entry(name.to_owned())
            .or_insert_with(|| sandbox.url());
    }
    let secret = bot.server.jwt_secret.clone();
    let database_url = agent.store.url.clone();
    let stack = match Stack::start(agent, bot, Arc::new(SystemClock)).await {
        Ok(stack) => stack,
        Err(e) => {
            sandbox.stop().await?;
            return Err(e);
        }
    };
    print_banner(&stack, &sandbox, &secret, &database_url);
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
