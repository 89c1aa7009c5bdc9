//! Client garbage reads as INVALID_ARGUMENT, not INTERNAL. tonic answers a request body
//! it cannot decode (malformed protobuf, invalid UTF-8 in a `string`, a truncated or
//! empty frame, a bad compression flag) with INTERNAL, which pages on-call for what is
//! the client's fault. [`DecodeErrors`] wraps a service and rewrites exactly those
//! answers at the edge; every INTERNAL the application itself returns passes untouched.
//!
//! A request is decoded before the handler runs, and none of honeydesk's RPCs streams
//! requests, so such a failure is always a trailers-only answer: the status is in the
//! response headers, and the body is never touched.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use tonic::{Code, Status, server::NamedService};
use tower::{Layer, Service};

/// The starts of the messages tonic and prost give a request they could not decode.
const DECODE_FAILURES: &[&str] = &[
    // prost: malformed wire format, invalid UTF-8 in a string (names the field)
    "failed to decode Protobuf message",
    // tonic's framing: a body cut short, no message at all, a bad compression flag
    "Unexpected EOF decoding stream",
    "Missing request message",
    "protocol error: received message with",
    "Error decompressing",
];

/// The INVALID_ARGUMENT that replaces a decode failure described by `message`, or `None`
/// when `message` is not one.
fn client_fault(message: &str) -> Option<Status> {
    DECODE_FAILURES
        .iter()
        .any(|start| message.starts_with(start))
        .then(|| {
            Status::invalid_argument(format!(
                "the request body is not a valid message for this method: {message}"
            ))
        })
}

/// Rewrites `response`'s status in place when it is a decode failure.
fn rewrite<B>(response: &mut http::Response<B>) {
    let Some(status) = Status::from_header_map(response.headers()) else {
        return;
    };
    if status.code() != Code::Internal {
        return;
    }
    if let Some(replacement) = client_fault(status.message())
        && replacement.add_header(response.headers_mut()).is_err()
    {
        tracing::warn!("could not rewrite a decode failure's status");
    }
}

/// Wraps services in [`DecodeErrors`].
#[derive(Clone, Copy, Debug, Default)]
pub struct DecodeErrorsLayer;

impl<S> Layer<S> for DecodeErrorsLayer {
    type Service = DecodeErrors<S>;
    fn layer(&self, inner: S) -> Self::Service {
        DecodeErrors { inner }
    }
}

/// A service whose answers to undecodable requests say INVALID_ARGUMENT.
#[derive(Clone, Debug)]
pub struct DecodeErrors<S> {
    inner: S,
}

impl<S> DecodeErrors<S> {
    /// `inner`, with decode failures answered as the client's fault.
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}

impl<S: NamedService> NamedService for DecodeErrors<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, R, B> Service<R> for DecodeErrors<S>
where
    S: Service<R, Response = http::Response<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Rewritten<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        Rewritten {
            inner: self.inner.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner service's answer, rewritten when it is a decode failure.
    pub struct Rewritten<F> {
        #[pin]
        inner: F,
    }
}

impl<F, B, E> Future for Rewritten<F>
where
    F: Future<Output = Result<http::Response<B>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut result = std::task::ready!(self.project().inner.poll(cx));
        if let Ok(response) = &mut result {
            rewrite(response);
        }
        Poll::Ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: Status) -> http::Response<()> {
        let mut response = http::Response::new(());
        status.add_header(response.headers_mut()).unwrap();
        rewrite(&mut response);
        response
    }

    #[test]
    fn a_decode_failure_becomes_invalid_argument_naming_the_field() {
        let garbled = Status::internal(
            "failed to decode Protobuf message: SendMessageRequest.text: invalid string value: data is not UTF-8 encoded",
        );
        let status = Status::from_header_map(answered(garbled).headers()).unwrap();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains("SendMessageRequest.text"));
    }

    #[test]
    fn the_applications_own_internal_errors_pass_untouched() {
        let own = Status::internal("agent-service failed to finish the request");
        let status = Status::from_header_map(answered(own).headers()).unwrap();
        assert_eq!(status.code(), Code::Internal);
        let other = Status::not_found("failed to decode Protobuf message lookalike");
        let status = Status::from_header_map(answered(other).headers()).unwrap();
        assert_eq!(status.code(), Code::NotFound);
    }
}
