//! W3C trace context across services: the `traceparent` (and `tracestate`) of an
//! incoming call becomes the parent of its span, and every outgoing call carries the
//! current span's context, so one customer message handed to a person is one trace
//! through bot-service and agent-service. Without an OpenTelemetry pipeline (no
//! `OTEL_EXPORTER_OTLP_ENDPOINT`) spans have no context and nothing is sent.
//! Also: spawning work that keeps the caller's span and request id.

use std::future::Future;

use opentelemetry::{
    Context,
    propagation::{Extractor, Injector, TextMapPropagator},
    trace::TraceContextExt,
};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tracing::{Instrument, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::request_id;

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct MetadataInjector<'a>(&'a mut MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            MetadataKey::from_bytes(key.as_bytes()),
            MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(key, value);
        }
    }
}

/// The trace context a caller sent in `headers` (empty when none).
pub fn extract(headers: &http::HeaderMap) -> Context {
    if !headers.contains_key("traceparent") {
        return Context::new();
    }
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

/// Makes `span` a child of the caller's context in `headers`, if any.
pub fn adopt(span: &Span, headers: &http::HeaderMap) {
    let parent = extract(headers);
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// Adds the current span's trace context to an outgoing call's metadata.
pub fn inject(metadata: &mut MetadataMap) {
    let context = Span::current().context();
    if context.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&context, &mut MetadataInjector(metadata));
    }
}

/// The trace id of `span`, in hex, when it is traced.
pub fn trace_id(span: &Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// Spawns `work` on the runtime keeping the current span as its parent and the current
/// request id, so its logs and spans stay part of the call that started it.
pub fn spawn_in_context<F>(work: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let work = work.in_current_span();
    match request_id::current() {
        Some(id) => tokio::spawn(request_id::scope(id, work)),
        None => tokio::spawn(work),
    }
}

/// Spawns long-lived `work` started by the current call (a follower that outlives it)
/// under a new root span `span` linked to the call's span, keeping the request id: the
/// call's trace ends with the call, and the follower's trace points back to it.
pub fn spawn_linked<F>(span: Span, work: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let cause = Span::current().context().span().span_context().clone();
    if cause.is_valid() {
        span.add_link(cause);
    }
    let work = work.instrument(span);
    match request_id::current() {
        Some(id) => tokio::spawn(request_id::scope(id, work)),
        None => tokio::spawn(work),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_traceparent_there_is_no_parent() {
        let headers = http::HeaderMap::new();
        assert!(!extract(&headers).span().span_context().is_valid());
    }

    #[test]
    fn a_traceparent_is_read() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                .parse()
                .unwrap(),
        );
        let cx = extract(&headers);
        assert_eq!(
            cx.span().span_context().trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
    }
}
