//! The bot-service binary: settings → telemetry → `Application::build` → run until
//! SIGINT/SIGTERM (SIGHUP reloads the catalogue). Subcommands mint a token for local use,
//! evaluate recognition against the labelled set, and run the sandbox task back end.

use std::sync::Arc;

use bot_service::{
    Application,
    catalogue::Catalogue,
    config::{BotArgs, BotSettings},
    evaluation,
    recognition::Recognizer,
    sandbox::{SandboxApp, SandboxSettings},
};
use clap::{Parser, Subcommand};
use server_kit::{SystemClock, cli::TokenArgs, shutdown::stop_signal, telemetry};

/// honeydesk bot-service: the robot at the CONSUMER (小蜜) and MERCHANT (万象) entrances.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    args: BotArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve (the default).
    Serve,
    /// Print a bearer token signed with the configured secret.
    Token(TokenArgs),
    /// Print recognition figures on the labelled evaluation set: per-kind accuracy,
    /// in-scope top-1, out-of-scope recall and the complaint/hand-off confusion.
    Eval {
        /// A case file of your own instead of the shipped development and test parts.
        #[arg(long)]
        cases: Option<std::path::PathBuf>,
        /// Which shipped part to run: dev (tune on it), test (held out) or both.
        #[arg(long, default_value = "both")]
        part: EvalPart,
        /// List every miss, not only the figures.
        #[arg(long)]
        misses: bool,
    },
    /// Run the sandbox task back end (simulated phone top-ups, a fixed weather table)
    /// that `[actions.backends]` can point at; it checks tokens with the same secret.
    Sandbox {
        /// Where the sandbox listens.
        #[arg(long, default_value = "127.0.0.1:50053")]
        address: std::net::SocketAddr,
    },
}

/// The shipped parts of the evaluation set.
#[derive(Clone, Copy, clap::ValueEnum)]
enum EvalPart {
    Dev,
    Test,
    Both,
}

#[global_allocator]
static ALLOCATOR: server_kit::Allocator = server_kit::ALLOCATOR;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = BotSettings::load(&cli.args)?;
    match &cli.command {
        Some(Command::Token(token)) => {
            println!("{}", token.mint(&settings.server)?);
            return Ok(());
        }
        Some(Command::Eval {
            cases,
            part,
            misses,
        }) => {
            let catalogue = Catalogue::load(&settings.bot.catalogue)?;
            let started = std::time::Instant::now();
            let mut recognizer = Recognizer::new(&catalogue);
            println!("catalogue learnt in {:.0?}", started.elapsed());
            if let Some(t) = settings.bot.confidence_threshold {
                recognizer = recognizer.with_threshold(t);
            }
            let parts: Vec<(&str, std::path::PathBuf)> = match (cases, part) {
                (Some(path), _) => vec![("cases", path.clone())],
                (None, EvalPart::Dev) => vec![("dev", evaluation::DEV_CASES_PATH.into())],
                (None, EvalPart::Test) => vec![("test", evaluation::TEST_CASES_PATH.into())],
                (None, EvalPart::Both) => vec![
                    ("dev", evaluation::DEV_CASES_PATH.into()),
                    ("test", evaluation::TEST_CASES_PATH.into()),
                ],
            };
            for (name, path) in parts {
                let report = evaluation::evaluate(&recognizer, &evaluation::load_cases(path)?);
                println!("== {name} ==");
                if *misses {
                    println!("{report}");
                } else {
                    println!("{}", report.summary());
                }
            }
            return Ok(());
        }
        Some(Command::Sandbox { address }) => {
            let _logs = telemetry::init_with(
                settings.server.log_format,
                telemetry::Identity::new("bot-service", env!("CARGO_PKG_VERSION")),
                telemetry::TraceSettings::from_env(),
            );
            let app = SandboxApp::build(SandboxSettings {
                listen: *address,
                jwt_secret: settings.server.jwt_secret.clone(),
                drain_timeout: settings.server.drain_timeout(),
            })
            .await?;
            tracing::info!(addr = %app.local_addr(), "sandbox action back end listening");
            app.run_until_stopped(stop_signal()).await?;
            return Ok(());
        }
        Some(Command::Serve) | None => {}
    }
    let _logs = telemetry::init_with(
        settings.server.log_format,
        telemetry::Identity::new("bot-service", env!("CARGO_PKG_VERSION")),
        telemetry::TraceSettings::from_env(),
    );
    let app = Application::build(settings, Arc::new(SystemClock)).await?;
    tracing::info!(addr = %app.local_addr(), "bot-service listening");
    reload_on_sighup(app.engine());
    app.run_until_stopped(stop_signal()).await?;
    Ok(())
}

/// Re-reads the catalogue on SIGHUP; a bad file keeps the old one (and is logged).
fn reload_on_sighup(engine: Arc<bot_service::engine::Engine>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            return;
        };
        while hup.recv().await.is_some() {
            let _ = engine.reload();
        }
    });
}
