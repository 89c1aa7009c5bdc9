//! loadgen, the honeydesk benchmark: closed-loop gRPC load (C connections × S streams
//! for D seconds after a warm-up) reporting req/s, p50/p99/p999 and every non-OK result
//! by code, against a bare tonic echo server (the anchor) and the honeydesk services.
//! `loadgen compare` runs them all back to back on pinned cores and prints the ratios.
//! Pinned, loadgen runs a single-threaded tokio runtime (the cheapest client on one
//! core); `LOADGEN_MULTI_THREAD=1` forces the multi-threaded one for comparison.

mod auth;
mod cli;
mod compare;
mod cpu;
mod freshness;
mod launch;
mod modes;
mod report;
mod runner;
mod spawn;
mod stats;

use std::sync::Arc;

use clap::Parser;

use crate::{
    auth::Tokens,
    cli::{Cli, Command, ServersArgs},
    launch::{Running, Store, Urls},
    modes::{classify::ClassifyLoad, echo::EchoLoad, handoff, relay, turn::TurnLoad},
    report::Row,
    runner::connect,
    spawn::Pinning,
    stats::Summary,
};

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::EchoServer { listen } = &cli.command {
        // The anchor server: one runtime, no pinning logic of its own (its parent pins it).
        return tokio::runtime::Runtime::new()?.block_on(modes::echo::serve(*listen));
    }
    let pinning = Pinning::plan(cli.pin.server_core, cli.pin.load_core, cli.pin.no_pin);
    if let Some(code) = spawn::pin_self(&pinning)? {
        std::process::exit(code);
    }
    // Pinned to one core, a single-threaded runtime is the cheapest client there is;
    // unpinned, the load may use every core.
    let runtime =
        if pinning.load_core.is_some() && std::env::var_os("LOADGEN_MULTI_THREAD").is_none() {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
        } else {
            tokio::runtime::Runtime::new()?
        };
    runtime.block_on(run(cli, pinning))
}

async fn run(cli: Cli, pinning: Pinning) -> anyhow::Result<()> {
    let tokens = Tokens::new(&cli.jwt_secret);
    let keep = cli.keep_logs;
    let (summary, mut running) = match cli.command {
        Command::EchoServer { .. } => unreachable!("handled before the runtime starts"),
        Command::Compare(args) => {
            let plan = args.plan(keep);
            return compare::run(&plan, &pinning, &tokens).await;
        }
        Command::Echo { target, load } => {
            let (urls, running) = match target {
                Some(url) => (external(url, String::new()), None),
                None => {
                    let r = Running::echo(&pinning).await?;
                    (r.urls(), Some(r))
                }
            };
            let spec = load.spec();
            let load = Arc::new(EchoLoad::default());
            (
                runner::run("echo", &urls.bot_url, &spec, load).await,
                running,
            )
        }
        Command::Classify { servers, load } => {
            let (urls, running) = servers.start(&pinning, None).await?;
            let load_shape = load.spec();
            let load = Arc::new(ClassifyLoad::new(&tokens));
            (
                runner::run("classify", &urls.bot_url, &load_shape, load).await,
                running,
            )
        }
        Command::Turn { servers, load } => {
            let (urls, running) = servers.start(&pinning, None).await?;
            let result = async {
                let work = TurnLoad::vetted(tokens.clone(), connect(&urls.bot_url).await?).await?;
                let mix = work.mix.clone();
                let mut summary =
                    runner::run("turn", &urls.bot_url, &load.spec(), Arc::new(work)).await?;
                summary.notes.push(mix);
                Ok(summary)
            }
            .await;
            (result, running)
        }
        Command::Handoff {
            servers,
            load,
            prefill,
            watchers,
        } => {
            let (urls, running) = servers.start(&pinning, None).await?;
            let plan = handoff::HandoffPlan { prefill, watchers };
            let store = if servers.postgres.is_some() {
                "PostgreSQL"
            } else {
                "SQLite"
            };
            let path = format!("handoff {store}, {prefill} waiting, {watchers} watching");
            let result = handoff::run(&urls.bot_url, &tokens, &load.spec(), &plan, &path).await;
            (result, running)
        }
        Command::Relay {
            servers,
            load,
            chats,
            capacity,
        } => {
            let (urls, running) = servers.start(&pinning, Some(300)).await?;
            let spec = load.spec();
            let plan = relay::RelayPlan {
                chats,
                capacity,
                period: std::time::Duration::from_secs(1),
                warmup: spec.warmup,
                duration: spec.duration,
            };
            let result = relay::run(&urls.bot_url, &urls.agent_url, &tokens, &plan).await;
            (result, running)
        }
    };
    finish(summary, running.as_mut(), keep, &pinning)
}

/// Prints one row as a table (with its notes), keeping the logs if anything failed.
fn finish(
    summary: anyhow::Result<Summary>,
    running: Option<&mut Running>,
    keep: bool,
    pinning: &Pinning,
) -> anyhow::Result<()> {
    let stale = running
        .as_ref()
        .map(|r| r.stale.clone())
        .unwrap_or_default();
    for warning in &stale {
        eprintln!("warning: {warning}");
    }
    let mut summary = match summary {
        Ok(s) => s,
        Err(e) => {
            if let Some(r) = running {
                r.keep();
            }
            return Err(e);
        }
    };
    if let Some(r) = running {
        if let Err(e) = r.check_alive() {
            summary.notes.push(format!("{e:#}"));
        }
        if keep || summary.tally.failed() > 0 {
            r.keep();
        }
    }
    eprintln!("{}", summary.line());
    let context = report::Context {
        warnings: stale,
        title: format!("loadgen {}", summary.path),
        pinning: pinning.describe(),
        timing: format!("{:?} measured after the warm-up", summary.window),
    };
    println!("{}", report::render(&[Row::Done(summary)], &context));
    Ok(())
}

fn external(bot_url: String, agent_url: String) -> Urls {
    Urls { bot_url, agent_url }
}

impl ServersArgs {
    /// The services to load: the given ones, or a fresh pair started here.
    async fn start(
        &self,
        pinning: &Pinning,
        offer_timeout_secs: Option<u64>,
    ) -> anyhow::Result<(Urls, Option<Running>)> {
        if let Some(bot) = &self.bot {
            let agent = self.agent.clone().unwrap_or_default();
            return Ok((external(bot.clone(), agent), None));
        }
        let store = match &self.postgres {
            Some(url) => Store::Postgres(url.clone()),
            None => Store::Sqlite,
        };
        let running = Running::project(pinning, &store, offer_timeout_secs).await?;
        Ok((running.urls(), Some(running)))
    }
}
