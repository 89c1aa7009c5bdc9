//! The markdown report: when and where it ran (date, `uname -m`, CPU model, cores,
//! pinning), one table row per benchmark with its ratios against the bare echo anchor,
//! and under the table every non-OK result and note, so nothing is hidden.

use std::{fmt::Write, process::Command, time::SystemTime};

use crate::stats::{Summary, format_latency};

/// One line of the table: a finished run or the reason it could not run.
#[derive(Debug)]
pub enum Row {
    /// Measured.
    Done(Summary),
    /// Could not run (servers did not start, set-up failed…).
    Failed {
        /// What was to be measured.
        path: String,
        /// Its shape.
        config: String,
        /// Why it failed.
        error: String,
    },
}

/// CPU (in cores) that other processes may use during a row before it is called disturbed.
const DISTURBED: f64 = 0.25;

/// How and where the rows were measured.
#[derive(Clone, Debug)]
pub struct Context {
    /// e.g. "loadgen compare".
    pub title: String,
    /// e.g. "servers pinned to core 0, load to core 1".
    pub pinning: String,
    /// e.g. "2 s warm-up, then 10 s measured".
    pub timing: String,
    /// Printed in bold under the header (e.g. stale binaries).
    pub warnings: Vec<String>,
}

/// The whole report.
pub fn render(rows: &[Row], context: &Context) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### {} — {}", context.title, now_utc());
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "machine: {}, {}, {} cores; {}; each row {}.",
        arch(),
        cpu_model(),
        crate::spawn::machine_cores(),
        context.pinning,
        context.timing
    );
    let _ = writeln!(
        out,
        "req/s counts OK answers only (hand-offs/s for handoff, messages delivered/s for relay); \
         ratios: 1×1 rows against echo 1×1, all others against echo 10×10; CPU: cores busy \
         in the window, servers / loadgen / all other processes (a loadgen near 100% means \
         the load, not the server, was the limit; a busy 'other' means the row was \
         disturbed)."
    );
    let disturbed: Vec<String> = rows
        .iter()
        .filter_map(|r| match r {
            Row::Done(s) if s.cpu.and_then(|c| c.others).is_some_and(|o| o > DISTURBED) => {
                Some(format!("{} {}", s.path, s.config))
            }
            _ => None,
        })
        .collect();
    let mut warnings = context.warnings.clone();
    if !disturbed.is_empty() {
        warnings.push(format!(
            "other processes used more than {:.0}% of a core during: {} — those figures (and ratios against them) are disturbed; rerun on a quiet machine",
            DISTURBED * 100.0,
            disturbed.join("; ")
        ));
    }
    for warning in &warnings {
        let _ = writeln!(out, "\n**warning: {warning}**");
    }
    let _ = writeln!(out);
    out.push_str(&table(rows));
    let notes = notes(rows);
    if !notes.is_empty() {
        let _ = writeln!(out);
        for note in notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    out
}

/// The markdown table alone.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| path | config | req/s | p50 | p99 | p999 | non-OK | req/s vs echo | p99 vs echo | CPU server / load / other |\n\
         |---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for row in rows {
        match row {
            Row::Done(s) => {
                let anchor = anchor_for(rows, s);
                let lat = |q| s.tally.latency(q).map_or("-".to_owned(), format_latency);
                let rate_ratio = match anchor {
                    Some(a) if !s.path.starts_with("relay") && a.rate() > 0.0 => {
                        format!("{:.2}×", s.rate() / a.rate())
                    }
                    _ => "—".to_owned(),
                };
                let p99_ratio = match (
                    anchor.and_then(|a| a.tally.latency(0.99)),
                    s.tally.latency(0.99),
                ) {
                    (Some(a), Some(p)) if !a.is_zero() => {
                        format!("{:.1}×", p.as_secs_f64() / a.as_secs_f64())
                    }
                    _ => "—".to_owned(),
                };
                let cpu = s.cpu.map_or("—".to_owned(), |c| {
                    let percent =
                        |v: Option<f64>| v.map_or("?".to_owned(), |v| format!("{:.0}%", v * 100.0));
                    format!(
                        "{} / {:.0}% / {}",
                        percent(c.servers),
                        c.load * 100.0,
                        percent(c.others)
                    )
                });
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} | {rate_ratio} | {p99_ratio} | {cpu} |",
                    s.path,
                    s.config,
                    thousands(s.rate()),
                    lat(0.50),
                    lat(0.99),
                    lat(0.999),
                    s.tally.failed(),
                );
            }
            Row::Failed { path, config, .. } => {
                let _ = writeln!(out, "| {path} | {config} | failed | | | | | | | |");
            }
        }
    }
    out
}

/// The echo row a row is compared with: same config if measured, else echo 10×10.
fn anchor_for<'a>(rows: &'a [Row], row: &Summary) -> Option<&'a Summary> {
    let echoes: Vec<&Summary> = rows
        .iter()
        .filter_map(|r| match r {
            Row::Done(s) if s.path == "echo" => Some(s),
            _ => None,
        })
        .collect();
    let wanted = if row.config == "1×1" {
        "1×1"
    } else {
        "10×10"
    };
    echoes
        .iter()
        .find(|e| e.config == wanted)
        .or_else(|| echoes.first())
        .copied()
}

fn notes(rows: &[Row]) -> Vec<String> {
    let mut notes = Vec::new();
    for row in rows {
        match row {
            Row::Done(s) => {
                for (label, failure) in &s.tally.failures {
                    notes.push(format!(
                        "{} {}: non-OK {label} ×{} (first: {})",
                        s.path, s.config, failure.count, failure.first
                    ));
                }
                for note in &s.notes {
                    notes.push(format!("{} {}: {note}", s.path, s.config));
                }
            }
            Row::Failed {
                path,
                config,
                error,
            } => {
                notes.push(format!("{path} {config}: FAILED: {error}"));
            }
        }
    }
    notes
}

/// `70,089` for 70089.4.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn now_utc() -> String {
    let mut ts = prost_types::Timestamp::from(SystemTime::now());
    ts.nanos = 0;
    ts.to_string()
}

fn arch() -> String {
    Command::new("uname")
        .arg("-m")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::stats::{Failure, Tally};

    fn summary(path: &str, config: &str, per_sec: u64, latency_us: u64) -> Summary {
        let mut tally = Tally::default();
        for _ in 0..per_sec {
            tally.ok(Duration::from_micros(latency_us));
        }
        Summary {
            path: path.into(),
            config: config.into(),
            window: Duration::from_secs(1),
            tally,
            notes: vec![],
            cpu: None,
        }
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(70_089.4), "70,089");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1_000.0), "1,000");
        assert_eq!(thousands(26.0), "26");
    }

    #[test]
    fn rows_are_compared_with_the_echo_of_their_shape() {
        let mut turn = summary("turn", "10×10", 2_000, 44_000);
        turn.tally
            .fail(&Failure::unexpected("SendMessage", "relayed"));
        let rows = vec![
            Row::Done(summary("echo", "1×1", 1_000, 200)),
            Row::Done(summary("echo", "10×10", 10_000, 1_000)),
            Row::Done(summary("turn", "1×1", 500, 400)),
            Row::Done(turn),
            Row::Failed {
                path: "relay".into(),
                config: "1000 chats".into(),
                error: "boom".into(),
            },
        ];
        let text = table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[2].starts_with("| echo | 1×1 | 1,000 | 200 µs |"),
            "{}",
            lines[2]
        );
        assert!(
            lines[4].ends_with("| 0 | 0.50× | 2.0× | — |"),
            "{}",
            lines[4]
        );
        assert!(
            lines[5].ends_with("| 1 | 0.20× | 44.0× | — |"),
            "{}",
            lines[5]
        );
        assert!(lines[6].contains("failed"));
        let notes = notes(&rows);
        assert!(
            notes
                .iter()
                .any(|n| n.contains("SendMessage unexpected-answer ×1"))
        );
        assert!(notes.iter().any(|n| n.contains("FAILED: boom")));
    }
}
