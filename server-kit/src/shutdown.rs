//! Graceful shutdown and admission: once a stop is signalled (SIGINT, SIGTERM, or the
//! [`Shutdown`] handle) the server drains — health says NOT_SERVING, new application
//! calls get UNAVAILABLE, open streams end with UNAVAILABLE (so clients reconnect and
//! resume), and in-flight calls get a bounded time to finish. The same gate sheds load
//! past the configured concurrency with RESOURCE_EXHAUSTED and puts the call deadline
//! ([`crate::deadline`]) on what it admits. Health and reflection are never gated.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use tokio::sync::{Notify, watch};
use tower::{Layer, Service};

/// What a server stream ends with when the server shuts down (UNAVAILABLE, retryable).
pub const SHUTTING_DOWN: &str = "server shutting down, reconnect with after_sequence";

/// A boxed server-streaming response body.
pub type ServerStream<T> =
    Pin<Box<dyn futures_util::Stream<Item = Result<T, tonic::Status>> + Send>>;

/// Shared shutdown state of one server. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    draining: watch::Sender<bool>,
    in_flight: AtomicUsize,
    idle: Notify,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A server that is not draining.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                draining: watch::channel(false).0,
                in_flight: AtomicUsize::new(0),
                idle: Notify::new(),
            }),
        }
    }

    /// Begins draining. Idempotent.
    pub fn trigger(&self) {
        self.inner.draining.send_replace(true);
    }

    /// Whether draining has begun.
    pub fn is_draining(&self) -> bool {
        *self.inner.draining.borrow()
    }

    /// Resolves once draining has begun; streams select on it to end themselves.
    pub fn draining(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.inner.draining.subscribe();
        async move {
            let _ = rx.wait_for(|d| *d).await;
        }
    }

    /// `next` (a tick, a notice), or `None` once draining has begun, whichever comes
    /// first: the loop condition of every background pass (`while let Some(_) =
    /// shutdown.or_draining(ticker.tick()).await { … }`). The pass itself is never cut
    /// short; draining is noticed between passes.
    pub async fn or_draining<T>(&self, next: impl Future<Output = T>) -> Option<T> {
        if self.is_draining() {
            return None;
        }
        tokio::select! {
            _ = self.draining() => None,
            value = next => Some(value),
        }
    }

    /// `stream` as a server stream that, when this server starts draining, ends with
    /// UNAVAILABLE ([`SHUTTING_DOWN`]) instead of OK: a client must not take a shutdown
    /// for the end of the conversation, but reconnect (to this instance once it is back,
    /// or another) and resume from the last sequence it saw. A stream that ends by
    /// itself while the server runs still ends OK.
    pub fn end_on_drain<T, S>(&self, stream: S) -> ServerStream<T>
    where
        S: futures_util::Stream<Item = Result<T, tonic::Status>> + Send + 'static,
        T: Send + 'static,
    {
        use futures_util::StreamExt;
        let shutdown = self.clone();
        let tail =
            futures_util::stream::once(async move { shutdown.is_draining() }).filter_map(
                |draining| async move {
                    draining.then(|| Err(tonic::Status::unavailable(SHUTTING_DOWN)))
                },
            );
        Box::pin(stream.take_until(self.draining()).chain(tail))
    }

    /// Application calls currently being answered.
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.load(Ordering::SeqCst)
    }

    /// Waits until no application call is in flight, or `limit` has passed; says which.
    pub async fn wait_idle(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.inner.idle.notified();
                if self.in_flight() == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }

    /// The tower layer that admits application calls, each with at most
    /// `unary_timeout` to be answered.
    pub fn gate(&self, max_in_flight: usize, unary_timeout: Duration) -> GateLayer {
        GateLayer {
            shutdown: self.clone(),
            max_in_flight,
            unary_timeout,
        }
    }
}

/// Decrements the in-flight count when a call's response body is done with (sent in
/// full, or dropped): a unary call counts until its answer is out, a stream for as long
/// as it is open.
struct InFlight(Shutdown);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.inner.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.inner.idle.notify_waiters();
        }
    }
}

/// Paths that stay open while draining and are never shed.
fn ungated(path: &str) -> bool {
    path.starts_with("/grpc.health.") || path.starts_with("/grpc.reflection.")
}

/// See [`Shutdown::gate`].
#[derive(Clone, Debug)]
pub struct GateLayer {
    shutdown: Shutdown,
    max_in_flight: usize,
    unary_timeout: Duration,
}

impl<S> Layer<S> for GateLayer {
    type Service = Gate<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Gate {
            inner,
            shutdown: self.shutdown.clone(),
            max_in_flight: self.max_in_flight,
            unary_timeout: self.unary_timeout,
        }
    }
}

/// The service made by [`GateLayer`].
#[derive(Clone, Debug)]
pub struct Gate<S> {
    inner: S,
    shutdown: Shutdown,
    max_in_flight: usize,
    unary_timeout: Duration,
}

impl<S, B> Service<http::Request<B>> for Gate<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if ungated(request.uri().path()) {
            return Box::pin(self.inner.call(request));
        }
        if self.shutdown.is_draining() {
            let status = tonic::Status::unavailable(
                "server is shutting down; retry against another instance or in a moment",
            );
            return Box::pin(async move { Ok(status.into_http()) });
        }
        let previous = self.shutdown.inner.in_flight.fetch_add(1, Ordering::SeqCst);
        let guard = InFlight(self.shutdown.clone());
        if previous >= self.max_in_flight {
            drop(guard);
            let status = tonic::Status::resource_exhausted(format!(
                "server is at capacity ({} calls and open streams); retry with backoff",
                self.max_in_flight
            ));
            return Box::pin(async move { Ok(status.into_http()) });
        }
        let caller = crate::deadline::caller_timeout(request.headers());
        let future = crate::deadline::bounded(self.unary_timeout, caller, self.inner.call(request));
        Box::pin(async move {
            let response = future.await?;
            // The guard goes with the body: an open stream counts against the limit
            // until it ends (or its client goes away).
            Ok(response.map(|body| {
                tonic::body::Body::new(Counted {
                    inner: body,
                    _in_flight: guard,
                })
            }))
        })
    }
}

pin_project_lite::pin_project! {
    /// A response body that holds its call's place in the in-flight count.
    struct Counted {
        #[pin]
        inner: tonic::body::Body,
        _in_flight: InFlight,
    }
}

impl http_body::Body for Counted {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT received"),
        _ = term => tracing::info!("SIGTERM received"),
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    #[tokio::test]
    async fn background_passes_run_until_draining_then_stop() {
        let shutdown = Shutdown::new();
        assert_eq!(shutdown.or_draining(async { 7 }).await, Some(7));
        let waiting = {
            let shutdown = shutdown.clone();
            tokio::spawn(async move { shutdown.or_draining(std::future::pending::<()>()).await })
        };
        shutdown.trigger();
        assert_eq!(
            waiting.await.unwrap(),
            None,
            "a pending wait ends at draining"
        );
        assert_eq!(
            shutdown.or_draining(async { 7 }).await,
            None,
            "no pass starts once draining"
        );
    }

    #[tokio::test]
    async fn a_stream_open_at_shutdown_ends_unavailable_not_ok() {
        let shutdown = Shutdown::new();
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<u32, tonic::Status>>(4);
        let mut stream = shutdown.end_on_drain(tokio_stream::wrappers::ReceiverStream::new(rx));
        tx.send(Ok(1)).await.unwrap();
        assert_eq!(stream.next().await.unwrap().unwrap(), 1);
        shutdown.trigger();
        let end = stream.next().await.unwrap().unwrap_err();
        assert_eq!(end.code(), tonic::Code::Unavailable);
        assert_eq!(end.message(), SHUTTING_DOWN);
        assert!(stream.next().await.is_none());
    }

    #[tokio::test]
    async fn a_stream_that_ends_by_itself_while_serving_ends_ok() {
        let shutdown = Shutdown::new();
        let items = futures_util::stream::iter([Ok::<_, tonic::Status>(1), Ok(2)]);
        let all: Vec<_> = shutdown.end_on_drain(items).collect().await;
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(Result::is_ok));
    }
}
