//! The server-side deadline of application calls: each call must produce its answer
//! within the server's limit (`[server] unary_timeout_secs`) or the caller's own
//! `grpc-timeout`, whichever is shorter, or it is answered DEADLINE_EXCEEDED (tonic's own
//! timeout says CANCELLED, which reads as "the client gave up"). The bound covers a
//! call until its response head: a unary call's whole work, a server stream's opening
//! only, so streams stay open as long as they like. The handler is dropped at the
//! deadline, so handlers must be cancel-safe; a write that must not land after its
//! caller was told "failed" reads [`commit_by`] and gives up before it.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use tokio::time::Instant;
use tower::{Layer, Service};

tokio::task_local! {
    static CURRENT: Deadline;
}

/// When the current call must be answered, and by when its writes must be committed
/// (a little earlier, so the answer to a committed write still makes it in time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    /// The call is answered DEADLINE_EXCEEDED at this instant.
    pub answer_by: Instant,
    /// A write not committed by now must not be committed at all.
    pub commit_by: Instant,
}

impl Deadline {
    /// The deadline of a call that starts at `start` under the server's `limit` and the
    /// caller's `grpc-timeout`, if it sent one. The caller's deadline is met a margin
    /// early, so the server's verdict reaches the caller before its own timer fires.
    pub fn for_call(start: Instant, limit: Duration, caller: Option<Duration>) -> Self {
        let budget = match caller {
            Some(t) if t.saturating_sub(margin(t)) < limit => t.saturating_sub(margin(t)),
            _ => limit,
        };
        Self {
            answer_by: start + budget,
            commit_by: start + budget.saturating_sub(margin(budget)),
        }
    }
}

/// The slack kept before a deadline: a tenth of it, at most 200 ms.
fn margin(budget: Duration) -> Duration {
    (budget / 10).min(Duration::from_millis(200))
}

/// The instant by which the current call's writes must be committed; `None` outside a
/// call (start-up, background passes), where nothing waits for an answer.
pub fn commit_by() -> Option<Instant> {
    CURRENT.try_with(|d| d.commit_by).ok()
}

/// Runs `future` as a call with `deadline` (tests of code that reads [`commit_by`]).
pub async fn scope<F: Future>(deadline: Deadline, future: F) -> F::Output {
    CURRENT.scope(deadline, future).await
}

/// The caller's `grpc-timeout` (`<digits><H|M|S|m|u|n>`), if it sent a valid one.
fn caller_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok().filter(|_| digits.len() <= 8)?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// The tower layer that puts the deadline on application calls (health and reflection
/// are exempt).
#[derive(Clone, Copy, Debug)]
pub struct DeadlineLayer {
    limit: Duration,
}

impl DeadlineLayer {
    /// Calls get at most `limit` (less when the caller asks for less).
    pub fn new(limit: Duration) -> Self {
        Self { limit }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = WithDeadline<S>;
    fn layer(&self, inner: S) -> Self::Service {
        WithDeadline {
            inner,
            limit: self.limit,
        }
    }
}

/// The service made by [`DeadlineLayer`].
#[derive(Clone, Debug)]
pub struct WithDeadline<S> {
    inner: S,
    limit: Duration,
}

impl<S, B> Service<http::Request<B>> for WithDeadline<S>
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
        if crate::shutdown::ungated(request.uri().path()) {
            return Box::pin(self.inner.call(request));
        }
        let caller = caller_timeout(request.headers());
        let deadline = Deadline::for_call(Instant::now(), self.limit, caller);
        let future = CURRENT.scope(deadline, self.inner.call(request));
        let limit = self.limit;
        Box::pin(async move {
            match tokio::time::timeout_at(deadline.answer_by, future).await {
                Ok(answer) => answer,
                Err(_) => Ok(expired(limit, caller).into_http()),
            }
        })
    }
}

/// DEADLINE_EXCEEDED for a call cut off at its deadline, saying whose deadline it was
/// and that a write it made may or may not have landed.
fn expired(limit: Duration, caller: Option<Duration>) -> tonic::Status {
    let whose = match caller {
        Some(t) if t < limit => format!("the caller's deadline ({} ms)", t.as_millis()),
        _ => format!(
            "the server's limit of {} s ([server] unary_timeout_secs)",
            limit.as_secs_f64()
        ),
    };
    tonic::Status::deadline_exceeded(format!(
        "the call did not finish within {whose}; a change it was making may or may not have \
         been kept: retry with the same idempotency key or client message id to find out"
    ))
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;

    fn slow(
        pause: Duration,
    ) -> impl Service<
        http::Request<()>,
        Response = http::Response<tonic::body::Body>,
        Error = Infallible,
        Future = impl Future<Output = Result<http::Response<tonic::body::Body>, Infallible>>
                 + Send
                 + 'static,
    > + Clone {
        tower::service_fn(move |_: http::Request<()>| async move {
            tokio::time::sleep(pause).await;
            Ok::<_, Infallible>(tonic::Status::ok("").into_http())
        })
    }

    fn call(path: &str, timeout: Option<&str>) -> http::Request<()> {
        let mut request = http::Request::builder().uri(path);
        if let Some(t) = timeout {
            request = request.header("grpc-timeout", t);
        }
        request.body(()).unwrap()
    }

    fn status(response: &http::Response<tonic::body::Body>) -> tonic::Code {
        tonic::Status::from_header_map(response.headers()).map_or(tonic::Code::Ok, |s| s.code())
    }

    #[tokio::test]
    async fn a_call_past_the_limit_is_answered_deadline_exceeded_and_health_is_exempt() {
        let mut layer =
            DeadlineLayer::new(Duration::from_millis(50)).layer(slow(Duration::from_secs(5)));
        let response = layer.call(call("/honeydesk.x.v1.S/M", None)).await.unwrap();
        assert_eq!(status(&response), tonic::Code::DeadlineExceeded);
        let message = tonic::Status::from_header_map(response.headers()).unwrap();
        assert!(
            message.message().contains("unary_timeout_secs"),
            "{message:?}"
        );
        let mut quick =
            DeadlineLayer::new(Duration::from_millis(50)).layer(slow(Duration::from_millis(1)));
        let response = quick.call(call("/honeydesk.x.v1.S/M", None)).await.unwrap();
        assert_eq!(status(&response), tonic::Code::Ok);
        let mut health =
            DeadlineLayer::new(Duration::from_millis(10)).layer(slow(Duration::from_millis(60)));
        let response = health
            .call(call("/grpc.health.v1.Health/Check", None))
            .await
            .unwrap();
        assert_eq!(status(&response), tonic::Code::Ok);
    }

    #[tokio::test]
    async fn the_callers_shorter_deadline_wins_and_the_handler_sees_it() {
        let start = Instant::now();
        let seen = tower::service_fn(move |_: http::Request<()>| async move {
            let by = commit_by().expect("a call has a deadline");
            assert!(
                by < start + Duration::from_millis(100),
                "the caller's 100 ms"
            );
            Ok::<_, Infallible>(tonic::Status::ok("").into_http())
        });
        let mut layer = DeadlineLayer::new(Duration::from_secs(30)).layer(seen);
        let response = layer
            .call(call("/honeydesk.x.v1.S/M", Some("100m")))
            .await
            .unwrap();
        assert_eq!(status(&response), tonic::Code::Ok);
        assert_eq!(commit_by(), None, "no deadline outside a call");
    }

    #[test]
    fn deadlines_keep_a_margin_and_timeouts_parse() {
        let start = Instant::now();
        let d = Deadline::for_call(start, Duration::from_secs(30), Some(Duration::from_secs(2)));
        assert_eq!(d.answer_by, start + Duration::from_millis(1800));
        assert_eq!(d.commit_by, start + Duration::from_millis(1620));
        let own = Deadline::for_call(start, Duration::from_secs(1), None);
        assert_eq!(own.answer_by, start + Duration::from_secs(1));
        assert_eq!(own.commit_by, start + Duration::from_millis(900));
        let headers = |v: &str| {
            let mut h = http::HeaderMap::new();
            h.insert("grpc-timeout", v.parse().unwrap());
            caller_timeout(&h)
        };
        assert_eq!(headers("3S"), Some(Duration::from_secs(3)));
        assert_eq!(headers("250m"), Some(Duration::from_millis(250)));
        assert_eq!(headers("1x"), None);
        assert_eq!(headers("123456789S"), None);
    }
}
