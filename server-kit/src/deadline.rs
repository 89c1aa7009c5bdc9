//! The server-side deadline of application calls: each call must produce its answer
//! within the server's limit (`[server] unary_timeout_secs`) or the caller's own
//! `grpc-timeout`, whichever is shorter, or it is answered DEADLINE_EXCEEDED (tonic's own
//! timeout says CANCELLED, which reads as "the client gave up"). The bound covers a
//! call until its response head: a unary call's whole work, a server stream's opening
//! only, so streams stay open as long as they like. The handler is dropped at the
//! deadline, so handlers must be cancel-safe; a write that must not land after its
//! caller was told "failed" reads [`commit_by`] and gives up before it.

use std::{future::Future, time::Duration};

use tokio::time::Instant;

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

/// The caller's `grpc-timeout` (`<digits><H|M|S|m|u|n>`), if it sent a valid one.
pub(crate) fn caller_timeout(headers: &http::HeaderMap) -> Option<Duration> {
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

/// `call` (an admitted application call, see [`crate::shutdown::Shutdown::gate`]) with
/// its deadline: the server's `limit` or the `caller`'s timeout, visible to the call
/// through [`commit_by`]; answered DEADLINE_EXCEEDED when it passes.
pub(crate) fn bounded<F, E>(
    limit: Duration,
    caller: Option<Duration>,
    call: F,
) -> impl Future<Output = Result<http::Response<tonic::body::Body>, E>> + Send + 'static
where
    F: Future<Output = Result<http::Response<tonic::body::Body>, E>> + Send + 'static,
{
    let deadline = Deadline::for_call(Instant::now(), limit, caller);
    let call = CURRENT.scope(deadline, call);
    async move {
        match tokio::time::timeout_at(deadline.answer_by, call).await {
            Ok(answer) => answer,
            Err(_) => Ok(expired(limit, caller).into_http()),
        }
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

    type Answer = Result<http::Response<tonic::body::Body>, Infallible>;

    /// A call that answers OK after `pause`.
    async fn slow(pause: Duration) -> Answer {
        tokio::time::sleep(pause).await;
        Ok(tonic::Status::ok("").into_http())
    }

    fn status(answer: Answer) -> tonic::Status {
        let response = answer.unwrap();
        tonic::Status::from_header_map(response.headers()).unwrap_or_else(|| tonic::Status::ok(""))
    }

    #[tokio::test]
    async fn a_call_past_the_limit_is_answered_deadline_exceeded_naming_the_setting() {
        let limit = Duration::from_millis(50);
        let late = status(bounded(limit, None, slow(Duration::from_secs(5))).await);
        assert_eq!(late.code(), tonic::Code::DeadlineExceeded);
        assert!(late.message().contains("unary_timeout_secs"), "{late:?}");
        let quick = status(bounded(limit, None, slow(Duration::from_millis(1))).await);
        assert_eq!(quick.code(), tonic::Code::Ok);
    }

    #[tokio::test]
    async fn the_callers_shorter_deadline_wins_and_the_call_sees_it() {
        let start = Instant::now();
        let call = async move {
            let by = commit_by().expect("a call has a deadline");
            assert!(
                by < start + Duration::from_millis(100),
                "the caller's 100 ms"
            );
            slow(Duration::from_secs(5)).await
        };
        let caller = Some(Duration::from_millis(100));
        let late = status(bounded(Duration::from_secs(30), caller, call).await);
        assert_eq!(late.code(), tonic::Code::DeadlineExceeded);
        assert!(late.message().contains("the caller's deadline"), "{late:?}");
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
