//! What a load run counts: a latency histogram of the successful operations, how many
//! succeeded, and every failure by RPC and gRPC code (with the first message seen), so
//! that no non-OK result is ever hidden behind a rate.

use std::{collections::BTreeMap, fmt, time::Duration};

use hdrhistogram::Histogram;
use tonic::{Code, Status};

/// Highest latency the histograms track (longer ones are clamped to it).
const MAX_NANOS: u64 = 120_000_000_000;

/// One operation that did not end well.
#[derive(Debug)]
pub struct Failure {
    /// The RPC (or step) that failed, e.g. `SendMessage`.
    pub rpc: &'static str,
    /// What went wrong.
    pub kind: FailureKind,
}

/// A non-OK status, or an OK answer that is not what the scenario expects.
#[derive(Debug)]
pub enum FailureKind {
    /// The server answered with this status (or the transport failed with it).
    Status(Status),
    /// The call succeeded but the answer was wrong for the scenario (e.g. a turn that
    /// was relayed to a person when it should have stayed with the robot).
    Unexpected(String),
}

impl Failure {
    /// A failed call of `rpc`.
    pub fn status(rpc: &'static str, status: Status) -> Self {
        Self {
            rpc,
            kind: FailureKind::Status(status),
        }
    }

    /// An OK answer of `rpc` that the scenario did not expect.
    pub fn unexpected(rpc: &'static str, why: impl Into<String>) -> Self {
        Self {
            rpc,
            kind: FailureKind::Unexpected(why.into()),
        }
    }

    /// The key failures are counted under: `RPC CODE`.
    pub fn label(&self) -> String {
        match &self.kind {
            FailureKind::Status(s) => format!("{} {}", self.rpc, code_name(s.code())),
            FailureKind::Unexpected(_) => format!("{} unexpected-answer", self.rpc),
        }
    }

    /// The human-readable detail (status message or what was wrong).
    pub fn detail(&self) -> String {
        match &self.kind {
            FailureKind::Status(s) => s.message().to_owned(),
            FailureKind::Unexpected(why) => why.clone(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.label(), self.detail())
    }
}

/// A `tonic::Status` result turned into a [`Failure`] of `rpc`.
pub trait Rpc<T> {
    /// Tags the error with the RPC's name.
    fn rpc(self, rpc: &'static str) -> Result<T, Failure>;
}

impl<T> Rpc<T> for Result<tonic::Response<T>, Status> {
    fn rpc(self, rpc: &'static str) -> Result<T, Failure> {
        self.map(tonic::Response::into_inner)
            .map_err(|s| Failure::status(rpc, s))
    }
}

/// The canonical upper-case name of a gRPC code, as the grpc docs spell it.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Counts of one kind of failure and the first message seen for it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FailureCount {
    /// How many.
    pub count: u64,
    /// The first message, to say why.
    pub first: String,
}

/// What one measured run produced (also the per-task partial results, merged).
#[derive(Clone, Debug)]
pub struct Tally {
    /// Latency of each successful operation, in nanoseconds.
    pub hist: Histogram<u64>,
    /// Operations that failed, by [`Failure::label`].
    pub failures: BTreeMap<String, FailureCount>,
}

impl Default for Tally {
    fn default() -> Self {
        Self {
            hist: Histogram::new_with_bounds(1, MAX_NANOS, 3).expect("valid histogram bounds"),
            failures: BTreeMap::new(),
        }
    }
}

impl Tally {
    /// Records a successful operation that took `took`.
    pub fn ok(&mut self, took: Duration) {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(MAX_NANOS);
        self.hist.saturating_record(nanos.clamp(1, MAX_NANOS));
    }

    /// Records a failed operation.
    pub fn fail(&mut self, failure: &Failure) {
        let entry = self.failures.entry(failure.label()).or_default();
        if entry.count == 0 {
            entry.first = failure.detail();
        }
        entry.count += 1;
    }

    /// Adds another tally's counts to this one.
    pub fn merge(&mut self, other: &Tally) {
        self.hist
            .add(&other.hist)
            .expect("histograms share their bounds");
        for (label, count) in &other.failures {
            let entry = self.failures.entry(label.clone()).or_default();
            if entry.count == 0 {
                entry.first = count.first.clone();
            }
            entry.count += count.count;
        }
    }

    /// Successful operations.
    pub fn successes(&self) -> u64 {
        self.hist.len()
    }

    /// Failed operations, all kinds together.
    pub fn failed(&self) -> u64 {
        self.failures.values().map(|f| f.count).sum()
    }

    /// The latency at `quantile` (0..1) of the successful operations.
    pub fn latency(&self, quantile: f64) -> Option<Duration> {
        (!self.hist.is_empty()).then(|| Duration::from_nanos(self.hist.value_at_quantile(quantile)))
    }
}

/// The result of one benchmark row: what was measured and over how long.
#[derive(Clone, Debug)]
pub struct Summary {
    /// What ran, e.g. `turn`.
    pub path: String,
    /// The shape of the load, e.g. `10×10`.
    pub config: String,
    /// The measured window (warm-up excluded).
    pub window: Duration,
    /// Successes, latencies and failures inside the window.
    pub tally: Tally,
    /// Extra facts worth printing under the table (prefill time, watcher events…).
    pub notes: Vec<String>,
    /// CPU the servers and loadgen used during the window, when measured.
    pub cpu: Option<crate::cpu::CpuUse>,
}

impl Summary {
    /// Successful operations per second of the measured window.
    pub fn rate(&self) -> f64 {
        let secs = self.window.as_secs_f64();
        if secs <= 0.0 {
            return 0.0;
        }
        self.tally.successes() as f64 / secs
    }

    /// A one-line human summary, for the terminal after each run.
    pub fn line(&self) -> String {
        let show = |q| self.tally.latency(q).map_or("-".to_owned(), format_latency);
        format!(
            "{} {}: {:.0}/s ok={} p50={} p99={} p999={} non-OK={}",
            self.path,
            self.config,
            self.rate(),
            self.tally.successes(),
            show(0.50),
            show(0.99),
            show(0.999),
            self.tally.failed()
        )
    }
}

/// A latency for people: `240 µs`, `44.1 ms`, `2.60 s`.
pub fn format_latency(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos < 1_000_000 {
        format!("{} µs", (nanos + 500) / 1_000)
    } else if nanos < 10_000_000 {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    } else if nanos < 1_000_000_000 {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_read_in_the_unit_that_fits() {
        assert_eq!(format_latency(Duration::from_micros(240)), "240 µs");
        assert_eq!(format_latency(Duration::from_micros(4_410)), "4.41 ms");
        assert_eq!(format_latency(Duration::from_micros(44_100)), "44.1 ms");
        assert_eq!(format_latency(Duration::from_millis(2_600)), "2.60 s");
    }

    #[test]
    fn merged_tallies_keep_counts_quantiles_and_first_messages() {
        let mut a = Tally::default();
        let mut b = Tally::default();
        for ms in 1..=99 {
            a.ok(Duration::from_millis(ms));
        }
        b.ok(Duration::from_millis(1_000));
        a.fail(&Failure::status(
            "SendMessage",
            Status::unavailable("first"),
        ));
        b.fail(&Failure::status(
            "SendMessage",
            Status::unavailable("second"),
        ));
        b.fail(&Failure::unexpected("SendMessage", "relayed"));
        a.merge(&b);
        assert_eq!(a.successes(), 100);
        assert_eq!(a.failed(), 3);
        let unavailable = &a.failures["SendMessage UNAVAILABLE"];
        assert_eq!(
            (unavailable.count, unavailable.first.as_str()),
            (2, "first")
        );
        assert_eq!(a.failures["SendMessage unexpected-answer"].count, 1);
        let p50 = a.latency(0.5).unwrap().as_millis();
        assert!((49..=51).contains(&p50), "p50 {p50}");
        let max = a.latency(1.0).unwrap().as_millis();
        assert!((999..=1001).contains(&max), "max {max}");
    }

    #[test]
    fn rate_counts_successes_over_the_window_only() {
        let mut tally = Tally::default();
        for _ in 0..500 {
            tally.ok(Duration::from_micros(100));
        }
        tally.fail(&Failure::status("Echo", Status::internal("x")));
        let summary = Summary {
            path: "echo".into(),
            config: "1×1".into(),
            window: Duration::from_secs(5),
            tally,
            notes: vec![],
            cpu: None,
        };
        assert!((summary.rate() - 100.0).abs() < 1e-9);
    }
}
