//! Log set-up: `tracing` to stderr, human-readable or JSON, filtered by `RUST_LOG`
//! (default `info`). Lines are handed to a writer thread (`tracing-appender`'s
//! non-blocking writer) so a request never waits on a terminal or a pipe; colour only
//! when stderr is a terminal.

use std::io::IsTerminal;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

/// Keeps the log writer thread alive; dropping it flushes what is buffered. Hold it
/// until the process ends.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _worker: Option<WorkerGuard>,
}

/// Installs the global subscriber once; later calls (e.g. from tests) change nothing and
/// return an empty guard.
pub fn init(format: LogFormat) -> LogGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Not lossy: when the buffer is full, a line waits rather than vanishes.
    let (writer, worker) = NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    let registry = tracing_subscriber::registry().with(filter);
    let installed = match format {
        LogFormat::Text => registry
            .with(
                fmt::layer()
                    .with_target(false)
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_writer(writer),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_writer(writer),
            )
            .try_init(),
    };
    LogGuard {
        _worker: installed.ok().map(|()| worker),
    }
}
