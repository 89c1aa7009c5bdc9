//! The RED metrics of every application RPC, from one wrapper around each application
//! service (health and reflection are left out):
//! - `grpc_server_handled_total{grpc_service, grpc_method, grpc_code}`: calls finished,
//!   by gRPC status (`OK`, `InvalidArgument`, … as grpc-go spells them); a stream counts
//!   when it ends; a call the client abandoned counts as `Canceled`;
//! - `grpc_server_handling_seconds{grpc_service, grpc_method}`: time until the handler
//!   answered (for a server stream: until it was open);
//! - `grpc_server_in_flight{grpc_service, grpc_method}`: calls being answered now, which
//!   for streaming methods is the number of open streams.

use std::{
    collections::HashMap,
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::{Arc, OnceLock, RwLock},
    task::{Context, Poll},
    time::Instant,
};

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use metrics::{Counter, Gauge, Histogram};
use tonic::{body::Body, server::NamedService};
use tower::Service;

use crate::metrics::Meter;

/// Calls finished, by status.
pub const HANDLED: &str = "grpc_server_handled_total";
/// Time to answer.
pub const HANDLING: &str = "grpc_server_handling_seconds";
/// Calls (streams) open now.
pub const IN_FLIGHT: &str = "grpc_server_in_flight";

/// Writes the `# HELP` lines of the RPC metrics.
pub fn describe(meter: &Meter) {
    meter.describe_counter(HANDLED, None, "RPCs finished, by gRPC status code.");
    meter.describe_histogram(
        HANDLING,
        Some(metrics::Unit::Seconds),
        "Time until the handler answered (a stream: until it was open).",
    );
    meter.describe_gauge(IN_FLIGHT, None, "RPCs being answered now (open streams).");
}

/// Methods remembered per service; past this, unknown method names (a client can send
/// any path) are counted as `unknown` instead of growing the label set.
const MAX_METHODS: usize = 64;

/// An application service with its RPCs measured.
#[derive(Clone)]
pub struct Measured<S> {
    inner: S,
    meter: Meter,
    methods: Arc<RwLock<HashMap<String, Arc<Handles>>>>,
}

/// One method's metric handles, registered once and reused by every call.
struct Handles {
    meter: Meter,
    service: &'static str,
    method: String,
    in_flight: Gauge,
    handling: Histogram,
    handled: [OnceLock<Counter>; 17],
}

impl Handles {
    fn handled(&self, code: i32) -> &Counter {
        let code = if (0..17).contains(&code) { code } else { 2 };
        self.handled[code as usize].get_or_init(|| {
            self.meter.counter(
                HANDLED,
                &[
                    ("grpc_service", self.service),
                    ("grpc_method", self.method.as_str()),
                    ("grpc_code", code_name(code)),
                ],
            )
        })
    }
}

impl<S> Measured<S> {
    /// Measures `inner` into `meter`.
    pub fn new(inner: S, meter: Meter) -> Self {
        Self {
            inner,
            meter,
            methods: Arc::default(),
        }
    }

    fn handles(&self, service: &'static str, method: &str) -> Arc<Handles> {
        let read = |methods: &HashMap<String, Arc<Handles>>| methods.get(method).cloned();
        if let Some(h) = read(&self.methods.read().unwrap_or_else(|e| e.into_inner())) {
            return h;
        }
        let mut methods = self.methods.write().unwrap_or_else(|e| e.into_inner());
        let method = if methods.len() >= MAX_METHODS && !methods.contains_key(method) {
            "unknown"
        } else {
            method
        };
        methods
            .entry(method.to_owned())
            .or_insert_with(|| {
                let labels = [("grpc_service", service), ("grpc_method", method)];
                Arc::new(Handles {
                    meter: self.meter.clone(),
                    service,
                    method: method.to_owned(),
                    in_flight: self.meter.gauge(IN_FLIGHT, &labels),
                    handling: self.meter.histogram(HANDLING, &labels),
                    handled: Default::default(),
                })
            })
            .clone()
    }
}

impl<S: NamedService> NamedService for Measured<S> {
    const NAME: &'static str = S::NAME;
}

/// What a response body must be to be measured (and served).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S, B> Service<http::Request<Body>> for Measured<S>
where
    S: Service<http::Request<Body>, Response = http::Response<B>, Error = Infallible>
        + NamedService,
    S::Future: Send + 'static,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let method = request.uri().path().rsplit('/').next().unwrap_or_default();
        let handles = self.handles(S::NAME, method);
        handles.in_flight.increment(1.0);
        let end = End {
            handles: handles.clone(),
            done: false,
        };
        let started = Instant::now();
        let future = self.inner.call(request);
        Box::pin(async move {
            let Ok(response) = future.await;
            handles.handling.record(started.elapsed().as_secs_f64());
            if let Some(code) = status_of(response.headers()) {
                // Trailers-only answer (an error): the call is over.
                end.finish(code);
                return Ok(response.map(Body::new));
            }
            Ok(response.map(|body| Body::new(MeasuredBody { inner: body, end })))
        })
    }
}

/// Counts a call once: when its status is known (before it goes on the wire, so a
/// client that saw the answer can already read the count), or when it is dropped.
struct End {
    handles: Arc<Handles>,
    done: bool,
}

impl End {
    fn finish(mut self, code: i32) {
        self.record(code);
    }

    fn record(&mut self, code: i32) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        self.handles.in_flight.decrement(1.0);
        self.handles.handled(code).increment(1);
    }
}

impl Drop for End {
    fn drop(&mut self) {
        // Never answered, or the body was dropped before its trailers: abandoned.
        self.record(1);
    }
}

pin_project_lite::pin_project! {
    struct MeasuredBody<B> {
        #[pin]
        inner: B,
        end: End,
    }
}

impl<B: HttpBody<Data = Bytes>> HttpBody for MeasuredBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(status_of) {
                    this.end.record(code);
                }
            }
            Poll::Ready(None) => this.end.record(0),
            Poll::Ready(Some(Err(_))) | Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

fn status_of(headers: &http::HeaderMap) -> Option<i32> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// A status code as grpc-go's `codes.Code.String()` spells it.
pub fn code_name(code: i32) -> &'static str {
    match code {
        0 => "OK",
        1 => "Canceled",
        2 => "Unknown",
        3 => "InvalidArgument",
        4 => "DeadlineExceeded",
        5 => "NotFound",
        6 => "AlreadyExists",
        7 => "PermissionDenied",
        8 => "ResourceExhausted",
        9 => "FailedPrecondition",
        10 => "Aborted",
        11 => "OutOfRange",
        12 => "Unimplemented",
        13 => "Internal",
        14 => "Unavailable",
        15 => "DataLoss",
        16 => "Unauthenticated",
        _ => "Unknown",
    }
}
