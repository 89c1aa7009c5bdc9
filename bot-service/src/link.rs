//! An outbound gRPC link to another service, shared by every client bot-service has
//! (agent-service, task back ends): a small pool of lazily connected channels, the
//! robot's own `service` bearer token (minted and renewed), the caller's request id and
//! W3C trace context forwarded (each call in a client span), a deadline on every call,
//! and retries with backoff for idempotent calls.

use std::{
    future::Future,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime},
};

use server_kit::{
    Role,
    auth::Minter,
    net::{self, SocketAudit},
    request_id::{self, REQUEST_ID},
};
use tonic::{
    Code, Request, Status,
    transport::{Channel, Endpoint},
};

/// The service identity bot-service presents to the services it calls.
pub const SERVICE_SUBJECT: &str = "bot-service";

/// How long a minted service token lives; renewed well before.
const TOKEN_TTL: Duration = Duration::from_secs(3600);

/// How to reach one service.
#[derive(Clone, Debug)]
pub struct LinkSettings {
    /// `http://host:port`.
    pub url: String,
    /// Deadline of each call (and of connecting).
    pub deadline: Duration,
    /// Channels kept open; calls are spread over them.
    pub channels: usize,
    /// Attempts for idempotent calls, the first included.
    pub attempts: u32,
    /// Whether a call that ran out of time is tried again (safe only when the callee
    /// deduplicates, and it makes the caller wait up to `attempts` deadlines).
    pub retry_timeouts: bool,
    /// TLS for an `https://` URL (from [`server_kit::tls::ClientTlsSettings::for_url`]).
    pub tls: Option<tonic::transport::ClientTlsConfig>,
}

/// Why a call over a link failed, sorted by what the caller can do about it.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The service is down or refusing work (nothing listening, overloaded, draining).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The call broke off without a proper answer (UNKNOWN): the request may or may not
    /// have been carried out.
    #[error("failed without an answer: {0}")]
    Broken(String),
    /// No answer within the deadline.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The service answered with an error status that retrying will not change.
    #[error("{code:?}: {message}")]
    Refused {
        /// The status code.
        code: Code,
        /// The status message.
        message: String,
    },
}

impl LinkError {
    fn is_transient(&self, retry_timeouts: bool) -> bool {
        match self {
            LinkError::Unavailable(_) | LinkError::Broken(_) => true,
            LinkError::Timeout(_) => retry_timeouts,
            LinkError::Refused { .. } => false,
        }
    }
}

/// A pooled, authenticated link to one service.
pub struct ServiceLink {
    channels: Vec<Channel>,
    next: AtomicUsize,
    settings: LinkSettings,
    tokens: Arc<dyn Minter>,
    token: Mutex<(String, SystemTime)>,
}

impl ServiceLink {
    /// A link to `settings.url`; connections are made lazily, so bot-service starts while
    /// the other service is down.
    /// Every connection is counted in `sockets`.
    pub fn new(
        settings: LinkSettings,
        tokens: Arc<dyn Minter>,
        sockets: SocketAudit,
    ) -> Result<Self, tonic::transport::Error> {
        let mut endpoint = Endpoint::from_shared(settings.url.clone())?
            .connect_timeout(settings.deadline)
            .tcp_nodelay(true);
        if let Some(tls) = &settings.tls {
            endpoint = endpoint.tls_config(tls.clone())?;
        }
        let channels = (0..settings.channels.max(1))
            .map(|_| endpoint.connect_with_connector_lazy(net::connector(sockets.clone())))
            .collect();
        Ok(Self {
            channels,
            next: AtomicUsize::new(0),
            settings,
            tokens,
            token: Mutex::new((String::new(), SystemTime::UNIX_EPOCH)),
        })
    }

    /// The per-call deadline.
    pub fn deadline(&self) -> Duration {
        self.settings.deadline
    }

    /// The next channel of the pool (round robin).
    pub fn channel(&self) -> Channel {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.channels.len();
        self.channels[i].clone()
    }

    fn bearer(&self) -> String {
        let mut token = self.token.lock().unwrap_or_else(|e| e.into_inner());
        let now = SystemTime::now();
        if token.1 <= now {
            token.0 = self
                .tokens
                .mint_for(SERVICE_SUBJECT, Role::Service, TOKEN_TTL, None);
            token.1 = now + TOKEN_TTL / 2;
        }
        format!("Bearer {}", token.0)
    }

    /// A request carrying our identity, the current request id and the deadline.
    pub fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        request.set_timeout(self.settings.deadline);
        let md = request.metadata_mut();
        if let Ok(v) = self.bearer().parse() {
            md.insert("authorization", v);
        }
        if let Some(id) = request_id::current()
            && let Ok(v) = id.parse()
        {
            md.insert(REQUEST_ID, v);
        }
        server_kit::trace_context::inject(md);
        request
    }

    /// Runs an idempotent call under the deadline, retrying transient failures with
    /// backoff; `what` names the call in logs.
    pub async fn call<T, F, Fut>(&self, what: &str, call: F) -> Result<T, LinkError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        use tracing::Instrument;
        let span = if server_kit::telemetry::traces_enabled() {
            tracing::info_span!("call", otel.name = what, otel.kind = "client", url = %self.settings.url)
        } else {
            tracing::Span::none()
        };
        self.attempts(what, call).instrument(span).await
    }

    async fn attempts<T, F, Fut>(&self, what: &str, call: F) -> Result<T, LinkError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let deadline = self.settings.deadline;
        let mut backoff = Duration::from_millis(50);
        let mut attempt = 1;
        loop {
            let error = match tokio::time::timeout(deadline, call()).await {
                Ok(Ok(response)) => return Ok(response.into_inner()),
                Ok(Err(status)) => classify(status, deadline),
                Err(_) => LinkError::Timeout(deadline),
            };
            if !error.is_transient(self.settings.retry_timeouts)
                || attempt >= self.settings.attempts
            {
                tracing::warn!(%error, attempt, url = %self.settings.url, "{what} failed");
                return Err(error);
            }
            tracing::info!(%error, attempt, url = %self.settings.url, "{what} failed; retrying");
            tokio::time::sleep(backoff).await;
            backoff *= 4;
            attempt += 1;
        }
    }
}

/// Sorts a status from the other service into what the caller can act on.
fn classify(status: Status, deadline: Duration) -> LinkError {
    match status.code() {
        Code::Unavailable | Code::Unimplemented | Code::ResourceExhausted => {
            LinkError::Unavailable(status.message().to_owned())
        }
        Code::Unknown => LinkError::Broken(status.message().to_owned()),
        Code::DeadlineExceeded => LinkError::Timeout(deadline),
        Code::Cancelled if status.message().contains("Timeout") => LinkError::Timeout(deadline),
        code => LinkError::Refused {
            code,
            message: status.message().to_owned(),
        },
    }
}
