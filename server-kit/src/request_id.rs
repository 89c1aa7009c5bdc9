//! Request ids: every call gets one (the caller's `x-request-id`, or a new UUIDv7), it is
//! on every log line of the call, echoed in the response headers, and forwarded by
//! bot-service to agent-service so one id follows a customer's turn through both. The
//! per-call "call answered" line is at debug level: at surge rates a line per call is
//! more log than anyone reads (`RUST_LOG=debug` brings it back). The call's span is also
//! its OpenTelemetry server span, a child of the caller's `traceparent`.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Instant,
};

use tonic::metadata::MetadataMap;
use tower::{Layer, Service};
use tracing::Instrument;

/// The metadata / header key of the request id.
pub const REQUEST_ID: &str = "x-request-id";

tokio::task_local! {
    static CURRENT: String;
}

/// The request id of an incoming call (set by [`RequestIdLayer`]).
pub fn of(metadata: &MetadataMap) -> Option<&str> {
    metadata.get(REQUEST_ID).and_then(|v| v.to_str().ok())
}

/// The id of the call the current task is answering, so outgoing calls can forward it.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Runs `future` with `id` as the current request id.
pub async fn scope<F: Future>(id: String, future: F) -> F::Output {
    CURRENT.scope(id, future).await
}

/// A new UUIDv7 (time-ordered to the millisecond) whose random part comes from the
/// thread's user-space generator: `Uuid::now_v7` asks the kernel for its random bytes on
/// every call, a system call per id, and a turn makes two ids.
pub fn new_id() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let random: [u8; 10] = rand::random();
    uuid::Builder::from_unix_timestamp_millis(u64::try_from(millis).unwrap_or(u64::MAX), &random)
        .into_uuid()
        .to_string()
}

/// Accepts a caller's id only if it is short printable ASCII.
fn acceptable(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Tower layer that assigns request ids and wraps each call in a logging span.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestIdLayer;

impl<S> Layer<S> for RequestIdLayer {
    type Service = RequestId<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequestId { inner }
    }
}

/// The service made by [`RequestIdLayer`].
#[derive(Clone, Debug)]
pub struct RequestId<S> {
    inner: S,
}

impl<S, B, R> Service<http::Request<B>> for RequestId<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: 'static,
    R: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let id = request
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| acceptable(v))
            .map(str::to_owned)
            .unwrap_or_else(new_id);
        let mut header = http::HeaderValue::from_str(&id).expect("request ids are printable ASCII");
        request.headers_mut().insert(REQUEST_ID, header.clone());
        // Unique per call: answered as a literal that never enters either side's HPACK
        // table, where it would only evict the headers that do repeat.
        header.set_sensitive(true);
        let span = rpc_span(&id, request.uri().path());
        if crate::telemetry::traces_enabled() {
            crate::trace_context::adopt(&span, request.headers());
            if let Some(trace_id) = crate::trace_context::trace_id(&span) {
                span.record("trace_id", trace_id);
            }
        }
        let future = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        let started = Instant::now();
        Box::pin(
            async move {
                let result = CURRENT.scope(id, future).await;
                if let Ok(response) = &result {
                    let grpc_status = response
                        .headers()
                        .get("grpc-status")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("0")
                        .to_owned();
                    tracing::Span::current().record("rpc.grpc.status_code", grpc_status.as_str());
                    tracing::debug!(
                        grpc_status = %grpc_status,
                        elapsed_us = started.elapsed().as_micros() as u64,
                        "call answered"
                    );
                }
                result.map(|mut response| {
                    response.headers_mut().insert(REQUEST_ID, header);
                    response
                })
            }
            .instrument(span),
        )
    }
}

/// The span of one call: at debug level for health and reflection (probes every few
/// seconds are not worth a trace), with OpenTelemetry's RPC attributes when traces are
/// exported.
fn rpc_span(id: &str, path: &str) -> tracing::Span {
    let (service, method) = path
        .trim_start_matches('/')
        .split_once('/')
        .unwrap_or((path, ""));
    if service.starts_with("grpc.") {
        return tracing::debug_span!("rpc", request_id = %id, method = %path);
    }
    if crate::telemetry::traces_enabled() {
        tracing::info_span!(
            "rpc",
            otel.name = %path.trim_start_matches('/'),
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            rpc.grpc.status_code = tracing::field::Empty,
            request_id = %id,
            trace_id = tracing::field::Empty,
        )
    } else {
        tracing::info_span!("rpc", request_id = %id, method = %path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_printable_ids_are_kept() {
        assert!(acceptable("3f1c-req"));
        assert!(!acceptable(""));
        assert!(!acceptable("has space"));
        assert!(!acceptable(&"x".repeat(200)));
    }
}
