//! Log and trace set-up: `tracing` to stderr, human-readable or JSON lines, filtered by
//! `RUST_LOG` (default `info`). JSON lines carry the service, its version, the instance
//! (`HONEYDESK_INSTANCE`, else the host name), and the request id and trace id of the
//! call they belong to. Lines are handed to a writer thread (`tracing-appender`'s
//! non-blocking writer) so a request never waits on a terminal or a pipe.
//!
//! Traces: when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
//! is set, spans are exported over OTLP/gRPC in batches; `OTEL_SERVICE_NAME` overrides
//! the service name and `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` choose the
//! sampler (default: parent-based, always on), as the OpenTelemetry SDK reads them.

pub mod capture;
mod json;

use std::{
    io::IsTerminal,
    sync::{
        OnceLock,
        atomic::{AtomicBool, Ordering},
    },
};

use opentelemetry::{KeyValue, trace::TracerProvider as _};
use opentelemetry_sdk::{Resource, trace::SdkTracerProvider};
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

pub use json::{CorrelationLayer, JsonLines};

use crate::config::LogFormat;

static TRACES: AtomicBool = AtomicBool::new(false);
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Whether spans are exported (an OTLP endpoint was configured at start-up).
pub fn traces_enabled() -> bool {
    TRACES.load(Ordering::Relaxed)
}

/// Sends the spans finished so far to the collector now (tests, and before exit).
pub fn flush_traces() {
    if let Some(provider) = PROVIDER.get() {
        let _ = provider.force_flush();
    }
}

/// Which process is logging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The service, e.g. `bot-service`.
    pub service: &'static str,
    /// Its version.
    pub version: &'static str,
    /// This instance: `HONEYDESK_INSTANCE`, else the host name.
    pub instance: String,
}

impl Identity {
    /// `service` at `version` on this host.
    pub fn new(service: &'static str, version: &'static str) -> Self {
        let instance = std::env::var("HONEYDESK_INSTANCE")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| {
                std::fs::read_to_string("/proc/sys/kernel/hostname")
                    .ok()
                    .map(|h| h.trim().to_owned())
            })
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "unknown".to_owned());
        Self {
            service,
            version,
            instance,
        }
    }
}

/// Where spans go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceSettings {
    /// The OTLP/gRPC collector, e.g. `http://127.0.0.1:4317`; none: no export.
    pub endpoint: Option<String>,
}

impl TraceSettings {
    /// From the standard OpenTelemetry variables.
    pub fn from_env() -> Self {
        let endpoint = [
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty());
        Self { endpoint }
    }
}

/// Keeps the log writer thread and the span exporter alive; dropping it flushes both.
/// Hold it until the process ends.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _worker: Option<WorkerGuard>,
    provider: Option<SdkTracerProvider>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            let _ = provider.shutdown();
        }
    }
}

/// [`init_with`] as an unnamed honeydesk process, traces from the environment.
pub fn init(format: LogFormat) -> LogGuard {
    init_with(
        format,
        Identity::new("honeydesk", env!("CARGO_PKG_VERSION")),
        TraceSettings::from_env(),
    )
}

/// Installs the global subscriber once (logs, and spans exported when `traces` names an
/// endpoint); later calls (e.g. from tests) change nothing and return an empty guard.
/// Call it inside the Tokio runtime: the exporter's channel lives there.
pub fn init_with(format: LogFormat, identity: Identity, traces: TraceSettings) -> LogGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Not lossy: when the buffer is full, a line waits rather than vanishes.
    let (writer, worker) = NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    let provider = match traces.endpoint.as_deref().map(|e| provider(e, &identity)) {
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            eprintln!("traces are off: cannot build the OTLP exporter: {e}");
            None
        }
        None => None,
    };
    let otel = provider
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("honeydesk")));
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let installed = match format {
        LogFormat::Text => registry
            .with(
                // The target (`bot_service::engine`, `agent_service::domain::routing`)
                // says which service wrote a line when both run in one process.
                fmt::layer()
                    .with_target(true)
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_writer(writer),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(CorrelationLayer)
            .with(
                fmt::layer()
                    .event_format(JsonLines::new(&identity))
                    .with_writer(writer),
            )
            .try_init(),
    };
    if installed.is_err() {
        if let Some(p) = provider {
            let _ = p.shutdown();
        }
        return LogGuard {
            _worker: None,
            provider: None,
        };
    }
    if let Some(p) = &provider {
        TRACES.store(true, Ordering::Relaxed);
        let _ = PROVIDER.set(p.clone());
        tracing::info!(endpoint = ?traces.endpoint, "exporting traces over OTLP");
    }
    LogGuard {
        _worker: Some(worker),
        provider,
    }
}

fn provider(
    endpoint: &str,
    identity: &Identity,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    use opentelemetry_otlp::WithExportConfig;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()?;
    let mut resource = Resource::builder();
    if std::env::var("OTEL_SERVICE_NAME").is_err() {
        resource = resource.with_service_name(identity.service);
    }
    let resource = resource
        .with_attributes([
            KeyValue::new("service.version", identity.version),
            KeyValue::new("service.instance.id", identity.instance.clone()),
        ])
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}
