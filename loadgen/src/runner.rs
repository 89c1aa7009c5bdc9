//! The closed-loop load: C connections (one tonic `Channel` each, TCP_NODELAY on) × S
//! concurrent streams per connection, each stream a loop of operations for a warm-up
//! (not counted) and then the measured window. Operations that *complete* inside the
//! window are counted: their latency into the histogram when OK, their failure by RPC
//! and code otherwise.

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::time::Instant;
use tonic::transport::{Channel, Endpoint};

use crate::{
    cpu::{CpuUse, Sample},
    stats::{Failure, Summary, Tally},
};

/// The shape and length of a run.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    /// Connections (tonic Channels).
    pub connections: usize,
    /// Concurrent streams (in-flight operations) per connection.
    pub streams: usize,
    /// Run before measuring, not counted.
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
}

impl LoadSpec {
    /// `C×S`, the way the table writes it.
    pub fn config(&self) -> String {
        format!("{}×{}", self.connections, self.streams)
    }
}

/// A scenario: how to set up each stream's state on its connection.
pub trait Workload: Send + Sync + 'static {
    /// One stream's state.
    type Stream: StreamWork;

    /// The state of stream `index` (0-based over all C×S streams), on `channel`.
    fn open(&self, index: usize, channel: Channel) -> Self::Stream;
}

/// One stream's loop body.
pub trait StreamWork: Send + 'static {
    /// Untimed work before each operation (a fresh session, a new token); a failure
    /// here is counted like any other and the operation is skipped.
    fn prepare(&mut self) -> impl Future<Output = Result<(), Failure>> + Send {
        async { Ok(()) }
    }

    /// The timed operation (one or more RPCs).
    fn call(&mut self) -> impl Future<Output = Result<(), Failure>> + Send;
}

/// A connected channel to `url` with TCP_NODELAY (a lazily connecting channel would
/// hide connection errors until the first call).
pub async fn connect(url: &str) -> anyhow::Result<Channel> {
    Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("bad URL {url}"))?
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .with_context(|| format!("connecting to {url}"))
}

/// `n` separate connections to `url`.
pub async fn connect_many(url: &str, n: usize) -> anyhow::Result<Vec<Channel>> {
    let mut channels = Vec::with_capacity(n);
    for _ in 0..n {
        channels.push(connect(url).await?);
    }
    Ok(channels)
}

/// Runs `workload` against `url` as `spec` says and returns what the window measured.
pub async fn run<W: Workload>(
    path: &str,
    url: &str,
    spec: &LoadSpec,
    workload: Arc<W>,
) -> anyhow::Result<Summary> {
    let channels = connect_many(url, spec.connections.max(1)).await?;
    let mut streams = Vec::new();
    for (c, channel) in channels.iter().enumerate() {
        for s in 0..spec.streams.max(1) {
            streams.push(workload.open(c * spec.streams.max(1) + s, channel.clone()));
        }
    }
    let (tally, cpu) = drive(streams, spec.warmup, spec.duration).await?;
    Ok(Summary {
        path: path.to_owned(),
        config: spec.config(),
        window: spec.duration,
        tally,
        notes: Vec::new(),
        cpu,
    })
}

/// Runs every stream in its own task for `warmup + duration` and merges their tallies;
/// also says how much CPU the servers and loadgen used in the window.
pub async fn drive<S: StreamWork>(
    streams: Vec<S>,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<(Tally, Option<CpuUse>)> {
    let from = Instant::now() + warmup;
    let until = from + duration;
    let cpu = tokio::spawn(cpu_between(from, until));
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|stream| tokio::spawn(stream_loop(stream, from, until)))
        .collect();
    let mut total = Tally::default();
    for task in tasks {
        total.merge(&task.await.context("a load task panicked")?);
    }
    Ok((total, cpu.await.ok().flatten()))
}

/// CPU used by the servers and loadgen between two instants (sleeps until the second).
pub async fn cpu_between(from: Instant, until: Instant) -> Option<CpuUse> {
    tokio::time::sleep_until(from).await;
    let start = Sample::now();
    tokio::time::sleep_until(until).await;
    start.until(&Sample::now())
}

async fn stream_loop<S: StreamWork>(mut stream: S, from: Instant, until: Instant) -> Tally {
    let mut tally = Tally::default();
    let counted = |t: Instant| t >= from && t <= until;
    while Instant::now() < until {
        if let Err(failure) = stream.prepare().await {
            if counted(Instant::now()) {
                tally.fail(&failure);
            }
            // A failing set-up step must not spin: give the server a breath.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        }
        let started = Instant::now();
        let result = stream.call().await;
        let ended = Instant::now();
        if !counted(ended) {
            continue;
        }
        match result {
            Ok(()) => tally.ok(ended - started),
            Err(failure) => tally.fail(&failure),
        }
    }
    tally
}

/// Runs `total` operations of `make`'s streams with `concurrency` in flight, untimed
/// (used to prefill queues); returns the tally (latencies included) and what each
/// stream kept.
pub async fn run_count<S, F>(
    total: usize,
    concurrency: usize,
    make: F,
) -> anyhow::Result<(Tally, Vec<S>)>
where
    S: StreamWork,
    F: Fn(usize) -> S,
{
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|i| {
            let mut stream = make(i);
            let next = next.clone();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < total {
                    let outcome = match stream.prepare().await {
                        Ok(()) => {
                            let started = Instant::now();
                            stream.call().await.map(|()| started.elapsed())
                        }
                        Err(f) => Err(f),
                    };
                    match outcome {
                        Ok(took) => tally.ok(took),
                        Err(failure) => tally.fail(&failure),
                    }
                }
                (tally, stream)
            })
        })
        .collect();
    let mut total_tally = Tally::default();
    let mut streams = Vec::new();
    for task in tasks {
        let (tally, stream) = task.await.context("a prefill task panicked")?;
        total_tally.merge(&tally);
        streams.push(stream);
    }
    Ok((total_tally, streams))
}
