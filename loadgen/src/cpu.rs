//! CPU used during a measured window, by the servers (the children loadgen started), by
//! loadgen itself (`/proc/<pid>/stat`) and by everything else on the machine
//! (`/proc/stat` less those): it tells whether a row was limited by the server's core
//! or by the load generator's, and whether other work disturbed it.

use std::{
    sync::{Mutex, OnceLock},
    time::Instant,
};

/// Clock ticks per second of `/proc` CPU times (USER_HZ, 100 on Linux).
const TICKS_PER_SEC: f64 = 100.0;

fn servers() -> &'static Mutex<Vec<u32>> {
    static SERVERS: OnceLock<Mutex<Vec<u32>>> = OnceLock::new();
    SERVERS.get_or_init(Mutex::default)
}

/// Counts `pid` as a server from now on.
pub fn watch(pid: u32) {
    servers().lock().expect("server pids").push(pid);
}

/// Counts the local PostgreSQL server's processes (named `postgres`) with the servers
/// while `on`: when agent-service stores in PostgreSQL, it is part of what is measured.
pub fn count_postgres(on: bool) {
    POSTGRES.store(on, std::sync::atomic::Ordering::Relaxed);
}

static POSTGRES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Processes named `postgres` (the server and its backends), by pid.
fn postgres_pids() -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .collect()
}

/// Stops counting `pid`.
pub fn forget(pid: u32) {
    servers().lock().expect("server pids").retain(|p| *p != pid);
}

/// CPU used over a window, in cores (1.0 = one core busy the whole time).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CpuUse {
    /// All servers loadgen started, together; `None` when it started none (the servers
    /// are someone else's, and counted in neither column).
    pub servers: Option<f64>,
    /// loadgen itself.
    pub load: f64,
    /// Every other process on the machine (PostgreSQL, builds, other benchmarks);
    /// `None` when the servers are not loadgen's own (they would be in here).
    pub others: Option<f64>,
}

/// CPU times at one instant.
#[derive(Clone, Debug)]
pub struct Sample {
    at: Instant,
    watched: bool,
    servers: u64,
    load: u64,
    machine: u64,
}

impl Sample {
    /// Reads the CPU times now.
    pub fn now() -> Self {
        let mut pids = servers().lock().expect("server pids").clone();
        if POSTGRES.load(std::sync::atomic::Ordering::Relaxed) && !pids.is_empty() {
            pids.extend(postgres_pids());
        }
        Self {
            at: Instant::now(),
            watched: !pids.is_empty(),
            servers: pids.iter().filter_map(|p| ticks(&p.to_string())).sum(),
            load: ticks("self").unwrap_or(0),
            machine: std::fs::read_to_string("/proc/stat")
                .ok()
                .and_then(|s| machine_busy(&s))
                .unwrap_or(0),
        }
    }

    /// What was used from `self` to `later`.
    pub fn until(&self, later: &Sample) -> Option<CpuUse> {
        let secs = later.at.duration_since(self.at).as_secs_f64();
        let cores = |a: u64, b: u64| b.saturating_sub(a) as f64 / TICKS_PER_SEC / secs;
        (secs > 0.0).then(|| {
            let servers = cores(self.servers, later.servers);
            let load = cores(self.load, later.load);
            let machine = cores(self.machine, later.machine);
            let watched = self.watched && later.watched;
            CpuUse {
                servers: watched.then_some(servers),
                load,
                others: watched.then_some((machine - servers - load).max(0.0)),
            }
        })
    }
}

/// Busy ticks of all cores together, from the `cpu` line of `/proc/stat`: user, nice,
/// system, irq, softirq and steal (not idle, not iowait).
fn machine_busy(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let at = |i: usize| fields.get(i).copied().unwrap_or(0);
    Some(at(0) + at(1) + at(2) + at(5) + at(6) + at(7))
}

/// utime + stime of a process, in ticks.
fn ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` line; the command name in
/// parentheses may hold spaces, so fields are counted after its closing parenthesis.
fn parse_stat(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_and_system_ticks_are_read_past_a_name_with_spaces() {
        let line =
            "4242 (bot service) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1 2 3";
        assert_eq!(parse_stat(line), Some(300));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn machine_busy_time_leaves_idle_and_iowait_out() {
        let stat = "cpu  100 1 20 5000 7 3 2 4 0 0\ncpu0 50 0 10 2500 3 1 1 2 0 0\n";
        assert_eq!(machine_busy(stat), Some(100 + 1 + 20 + 3 + 2 + 4));
    }

    #[test]
    fn this_process_has_a_stat() {
        assert!(ticks("self").is_some());
    }
}
