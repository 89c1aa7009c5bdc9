//! Child processes and CPU pinning: servers run as children pinned with `taskset -c
//! <server core>`, logging to files, killed when dropped (also on error); loadgen itself
//! re-executes under `taskset -c <load core>` so load and servers never share a core.
//! Pinning is skipped, with a warning, without `taskset` or with fewer than two cores.

use std::{
    ffi::OsString,
    fs::File,
    future::Future,
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::{Context, bail};
use tokio::time::Instant;

/// Set in the re-executed, pinned loadgen so it does not re-execute again.
const PINNED_ENV: &str = "LOADGEN_PINNED";

/// Where servers and load run.
#[derive(Clone, Copy, Debug)]
pub struct Pinning {
    /// Core of the servers; `None` = not pinned.
    pub server_core: Option<usize>,
    /// Core of loadgen itself; `None` = not pinned.
    pub load_core: Option<usize>,
}

impl Pinning {
    /// Pin to `server_core` and `load_core` if possible, unless `disabled`; warns why not.
    pub fn plan(server_core: usize, load_core: usize, disabled: bool) -> Self {
        let none = Pinning {
            server_core: None,
            load_core: None,
        };
        if disabled {
            return none;
        }
        let cores = machine_cores();
        if cores < 2 {
            eprintln!("warning: {cores} core(s): servers and load are not pinned apart");
            return none;
        }
        if !taskset_available() {
            eprintln!("warning: `taskset` not found (util-linux): servers and load are not pinned");
            return none;
        }
        if server_core >= cores || load_core >= cores || server_core == load_core {
            eprintln!(
                "warning: cores {server_core} (servers) and {load_core} (load) do not fit {cores} cores: not pinned"
            );
            return none;
        }
        Pinning {
            server_core: Some(server_core),
            load_core: Some(load_core),
        }
    }

    /// A line for the report.
    pub fn describe(&self) -> String {
        match (self.server_core, self.load_core) {
            (Some(s), Some(l)) => format!("servers pinned to core {s}, load to core {l}"),
            _ => "not pinned".to_owned(),
        }
    }
}

/// Cores of the machine (not of this process's affinity mask).
pub fn machine_cores() -> usize {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|s| s.lines().filter(|l| l.starts_with("processor")).count())
        .ok()
        .filter(|n| *n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
}

fn taskset_available() -> bool {
    Command::new("taskset")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Re-executes loadgen under `taskset -c <load core>` unless already pinned; returns the
/// child's exit code for the caller to exit with, or `None` to go on in this process.
pub fn pin_self(pinning: &Pinning) -> anyhow::Result<Option<i32>> {
    let Some(core) = pinning.load_core else {
        return Ok(None);
    };
    if std::env::var_os(PINNED_ENV).is_some() {
        return Ok(None);
    }
    let exe = std::env::current_exe().context("locating loadgen's own executable")?;
    let status = Command::new("taskset")
        .arg("-c")
        .arg(core.to_string())
        .arg(exe)
        .args(std::env::args_os().skip(1))
        .env(PINNED_ENV, core.to_string())
        .status()
        .context("re-running loadgen under taskset")?;
    Ok(Some(status.code().unwrap_or(1)))
}

/// A free TCP port on 127.0.0.1 (bound, then released for the child to take).
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?)
}

/// A binary that sits next to loadgen's own executable (e.g. `target/release/bot-service`).
pub fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating loadgen's own executable")?;
    let path = exe.with_file_name(name);
    if !path.exists() {
        bail!(
            "{} not found: build it first (cargo build --release -p loadgen -p bot-service -p agent-service)",
            path.display()
        );
    }
    Ok(path)
}

/// A running child server; killed and reaped when dropped.
pub struct Server {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// Starts `program args…` with `envs`, pinned to `core`, output to `<dir>/<name>.log`.
    pub fn start(
        name: &str,
        program: &Path,
        args: &[OsString],
        envs: &[(&str, String)],
        core: Option<usize>,
        dir: &Path,
    ) -> anyhow::Result<Self> {
        let log = dir.join(format!("{name}.log"));
        let out = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut command = match core {
            Some(core) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(core.to_string()).arg(program);
                c
            }
            None => Command::new(program),
        };
        command
            .args(args)
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .env_remove(PINNED_ENV)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        crate::cpu::watch(child.id());
        Ok(Self {
            name: name.to_owned(),
            child,
            log,
        })
    }

    /// Polls `probe` until it succeeds, the child exits, or `limit` passes.
    pub async fn wait_ready<F, Fut>(&mut self, limit: Duration, mut probe: F) -> anyhow::Result<()>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited ({status}) while starting:\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            let last = match probe().await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            if started.elapsed() > limit {
                bail!(
                    "{} not ready after {limit:?} ({last:#}):\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether the child is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The child's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The last lines the child wrote.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        crate::cpu::forget(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
