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
    convert::Infallible,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Instant,
};

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use metrics::{Counter, Gauge};
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

/// An application service with its RPCs measured.
#[derive(Clone)]
pub struct Measured<S> {
    inner: S,
    meter: Meter,
}

impl<S> Measured<S> {
    /// Measures `inner` into `meter`.
    pub fn new(inner: S, meter: Meter) -> Self {
        Self { inner, meter }
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
        let method = request
            .uri()
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let labels = [("grpc_service", S::NAME), ("grpc_method", method.as_str())];
        let in_flight = self.meter.gauge(IN_FLIGHT, &labels);
        let handling = self.meter.histogram(HANDLING, &labels);
        in_flight.increment(1.0);
        let end = End {
            meter: self.meter.clone(),
            service: S::NAME,
            method,
            in_flight,
            done: false,
        };
        let started = Instant::now();
        let future = self.inner.call(request);
        Box::pin(async move {
            let Ok(response) = future.await;
            handling.record(started.elapsed().as_secs_f64());
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
    meter: Meter,
    service: &'static str,
    method: String,
    in_flight: Gauge,
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
        self.in_flight.decrement(1.0);
        self.counter(code).increment(1);
    }

    fn counter(&self, code: i32) -> Counter {
        self.meter.counter(
            HANDLED,
            &[
                ("grpc_service", self.service),
                ("grpc_method", self.method.as_str()),
                ("grpc_code", code_name(code)),
            ],
        )
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
