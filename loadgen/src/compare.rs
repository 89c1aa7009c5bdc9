//! `compare`: the anchor and the project back to back, each row on freshly started
//! servers pinned to the server core, and the markdown table of ratios at the end.
//! Rows: echo 1×1 and 10×10; classify and turn 1×1 and 10×10; hand-offs with 64 in
//! flight on SQLite with nothing waiting and with a prefill plus watchers; the same on
//! PostgreSQL when a URL is given; relay with 1,000 live chats.

use std::{future::Future, sync::Arc, time::Duration};

use crate::{
    auth::Tokens,
    launch::{Running, Store, Urls},
    modes::{
        classify::ClassifyLoad,
        echo::EchoLoad,
        handoff::{self, HandoffPlan},
        relay::{self, RelayPlan},
        turn::TurnLoad,
    },
    report::{self, Row},
    runner::{self, LoadSpec, connect},
    spawn::Pinning,
    stats::Summary,
};

/// Project rows that `--only` can pick (echo, the anchor, always runs).
pub const SELECTABLE: &[&str] = &["classify", "turn", "handoff", "handoff-pg", "relay"];

/// What `compare` is asked to do.
#[derive(Clone, Debug)]
pub struct ComparePlan {
    /// Measured window of each row.
    pub duration: Duration,
    /// Warm-up of each row.
    pub warmup: Duration,
    /// Rows to run (from [`SELECTABLE`]).
    pub only: Vec<String>,
    /// PostgreSQL server for the handoff-pg rows.
    pub postgres: Option<String>,
    /// Waiting tickets in the second hand-off row.
    pub prefill: usize,
    /// Watchers in the second hand-off row.
    pub watchers: usize,
    /// Live chats in the relay row.
    pub chats: usize,
    /// Keep every row's logs.
    pub keep_logs: bool,
}

/// Runs the rows and prints the report.
pub async fn run(plan: &ComparePlan, pinning: &Pinning, tokens: &Tokens) -> anyhow::Result<()> {
    // Judged before the run: a source edited while it runs does not make it stale.
    let stale = crate::freshness::stale_binaries();
    for warning in &stale {
        eprintln!("warning: {warning}");
    }
    let spec = |c: usize, s: usize| LoadSpec {
        connections: c,
        streams: s,
        warmup: plan.warmup,
        duration: plan.duration,
    };
    let wants = |name: &str| plan.only.is_empty() || plan.only.iter().any(|o| o == name);
    let mut rows = Vec::new();
    let keep = plan.keep_logs;

    for (c, s) in [(1, 1), (10, 10)] {
        rows.push(
            row(
                "echo",
                &spec(c, s).config(),
                keep,
                Running::echo(pinning),
                |r| async move {
                    runner::run(
                        "echo",
                        &r.bot_url,
                        &spec(c, s),
                        Arc::new(EchoLoad::default()),
                    )
                    .await
                },
            )
            .await,
        );
    }
    for (c, s) in [(1, 1), (10, 10)] {
        if wants("classify") {
            let start = Running::project(pinning, &Store::Sqlite, None);
            rows.push(
                row(
                    "classify",
                    &spec(c, s).config(),
                    keep,
                    start,
                    |r| async move {
                        let load = Arc::new(ClassifyLoad::new(tokens));
                        runner::run("classify", &r.bot_url, &spec(c, s), load).await
                    },
                )
                .await,
            );
        }
    }
    for (c, s) in [(1, 1), (10, 10)] {
        if wants("turn") {
            let start = Running::project(pinning, &Store::Sqlite, None);
            rows.push(
                row("turn", &spec(c, s).config(), keep, start, |r| async move {
                    let load = TurnLoad::vetted(tokens.clone(), connect(&r.bot_url).await?).await?;
                    let mix = load.mix.clone();
                    let mut summary =
                        runner::run("turn", &r.bot_url, &spec(c, s), Arc::new(load)).await?;
                    summary.notes.push(mix);
                    Ok(summary)
                })
                .await,
            );
        }
    }
    let mut stores = Vec::new();
    if wants("handoff") {
        stores.push(("handoff SQLite", Store::Sqlite));
    }
    match (&plan.postgres, wants("handoff-pg")) {
        (Some(url), true) => stores.push(("handoff PostgreSQL", Store::Postgres(url.clone()))),
        (None, true) if !plan.only.is_empty() => {
            eprintln!("warning: handoff-pg needs --postgres URL (or HONEYDESK_TEST_POSTGRES_URL)");
        }
        _ => {}
    }
    for (name, store) in &stores {
        for (prefill, watchers) in [(0, 0), (plan.prefill, plan.watchers)] {
            let path = format!("{name}, {prefill} waiting, {watchers} watching");
            let start = Running::project(pinning, store, None);
            let handoff = HandoffPlan { prefill, watchers };
            let path_ref = path.as_str();
            let mut done = row(&path, &spec(8, 8).config(), keep, start, |r| async move {
                handoff::run(&r.bot_url, tokens, &spec(8, 8), &handoff, path_ref).await
            })
            .await;
            if let (Row::Done(summary), Store::Postgres(_)) = (&mut done, store) {
                summary.notes.push(
                    "PostgreSQL is a system service, not pinned: it runs on either core; its processes count in the server CPU"
                        .into(),
                );
            }
            rows.push(done);
        }
    }
    if wants("relay") {
        let relay = RelayPlan {
            chats: plan.chats,
            capacity: 20,
            period: Duration::from_secs(1),
            warmup: plan.warmup,
            duration: plan.duration,
        };
        let start = Running::project(pinning, &Store::Sqlite, Some(300));
        let config = format!("{} chats", plan.chats);
        rows.push(
            row("relay", &config, keep, start, |r| async move {
                relay::run(&r.bot_url, &r.agent_url, tokens, &relay).await
            })
            .await,
        );
    }

    let context = report::Context {
        title: "loadgen compare".to_owned(),
        warnings: stale,
        pinning: pinning.describe(),
        timing: format!(
            "{:?} warm-up, then {:?} measured",
            plan.warmup, plan.duration
        ),
    };
    println!("\n{}", report::render(&rows, &context));
    Ok(())
}

/// Starts the servers, runs one measurement on them, checks they survived, and turns
/// the outcome into a table row (an error becomes a `failed` row, not an abort).
async fn row<S, F, Fut>(path: &str, config: &str, keep_logs: bool, start: S, measure: F) -> Row
where
    S: Future<Output = anyhow::Result<Running>>,
    F: FnOnce(Urls) -> Fut,
    Fut: Future<Output = anyhow::Result<Summary>>,
{
    eprintln!("== {path} {config}");
    let failed = |error: anyhow::Error| Row::Failed {
        path: path.to_owned(),
        config: config.to_owned(),
        error: format!("{error:#}"),
    };
    let mut running = match start.await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let outcome = measure(running.urls()).await;
    let alive = running.check_alive();
    let result = match (outcome, alive) {
        (Ok(summary), Ok(())) => {
            eprintln!("   {}", summary.line());
            if summary.tally.failed() > 0 || keep_logs {
                running.keep();
            }
            Row::Done(summary)
        }
        (Err(e), _) | (Ok(_), Err(e)) => {
            running.keep();
            eprintln!("   failed: {e:#}");
            failed(e)
        }
    };
    drop(running);
    result
}
