//! [`HumanDesk`] over gRPC: calls agent-service's `TicketService` with bot-service's own
//! `service` identity, through a small pool of channels, with a deadline on every call,
//! the caller's request id forwarded, and retries with backoff for idempotent calls.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime},
};

use async_trait::async_trait;
use honeydesk_proto::agent::v1::{self as pb, ticket_service_client::TicketServiceClient};
use server_kit::{
    Hs256Tokens, Role,
    request_id::{self, REQUEST_ID},
};
use tonic::{
    Code, Request, Status,
    transport::{Channel, Endpoint},
};

use tokio_stream::StreamExt;

use super::{
    Escalation, HandoffError, HumanDesk, HumanEvents, QueuePlace, Rejection,
    wire::{escalation_to_pb, event_from_pb, queue_place},
};
use crate::config::AgentLinkSettings;

/// The service identity bot-service presents to agent-service.
pub const SERVICE_SUBJECT: &str = "bot-service";

/// How long a minted service token lives; renewed well before.
const TOKEN_TTL: Duration = Duration::from_secs(3600);

/// agent-service's ticket API, as the robot uses it.
pub struct AgentServiceClient {
    channels: Vec<Channel>,
    next: AtomicUsize,
    deadline: Duration,
    attempts: u32,
    tokens: Hs256Tokens,
    token: Mutex<(String, SystemTime)>,
}

impl AgentServiceClient {
    /// A client for `settings.url`; connections are made lazily, so bot-service starts
    /// (and answers intents) while agent-service is down.
    pub fn new(
        settings: &AgentLinkSettings,
        jwt_secret: &str,
    ) -> Result<Self, tonic::transport::Error> {
        let endpoint = Endpoint::from_shared(settings.url.clone())?
            .connect_timeout(settings.deadline())
            .tcp_nodelay(true);
        let channels = (0..settings.channels)
            .map(|_| endpoint.connect_lazy())
            .collect();
        Ok(Self {
            channels,
            next: AtomicUsize::new(0),
            deadline: settings.deadline(),
            attempts: settings.attempts,
            tokens: Hs256Tokens::new(jwt_secret.as_bytes()),
            token: Mutex::new((String::new(), SystemTime::UNIX_EPOCH)),
        })
    }

    fn client(&self) -> TicketServiceClient<Channel> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.channels.len();
        TicketServiceClient::new(self.channels[i].clone())
    }

    fn bearer(&self) -> String {
        let mut token = self.token.lock().unwrap_or_else(|e| e.into_inner());
        let now = SystemTime::now();
        if token.1 <= now {
            token.0 = self.tokens.mint(SERVICE_SUBJECT, Role::Service, TOKEN_TTL);
            token.1 = now + TOKEN_TTL / 2;
        }
        format!("Bearer {}", token.0)
    }

    /// A request carrying our identity, the current request id and the deadline.
    fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        request.set_timeout(self.deadline);
        let md = request.metadata_mut();
        if let Ok(v) = self.bearer().parse() {
            md.insert("authorization", v);
        }
        if let Some(id) = request_id::current()
            && let Ok(v) = id.parse()
        {
            md.insert(REQUEST_ID, v);
        }
        request
    }

    /// Runs an idempotent call with the deadline, retrying transient failures.
    async fn idempotent<T, F, Fut>(&self, what: &str, call: F) -> Result<T, HandoffError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let mut backoff = Duration::from_millis(50);
        let mut attempt = 1;
        loop {
            let error = match tokio::time::timeout(self.deadline, call()).await {
                Ok(Ok(response)) => return Ok(response.into_inner()),
                Ok(Err(status)) => classify(status, self.deadline),
                Err(_) => HandoffError::Timeout(self.deadline),
            };
            let transient = matches!(
                error,
                HandoffError::Unavailable(_) | HandoffError::Timeout(_)
            );
            if !transient || attempt >= self.attempts {
                tracing::warn!(%error, attempt, "{what} failed");
                return Err(error);
            }
            tracing::info!(%error, attempt, "{what} failed; retrying");
            tokio::time::sleep(backoff).await;
            backoff *= 4;
            attempt += 1;
        }
    }
}

/// Sorts a status from agent-service into what the engine can act on.
fn classify(status: Status, deadline: Duration) -> HandoffError {
    match status.code() {
        Code::Unavailable | Code::Unknown | Code::Unimplemented | Code::ResourceExhausted => {
            HandoffError::Unavailable(status.message().to_owned())
        }
        Code::DeadlineExceeded => HandoffError::Timeout(deadline),
        Code::Cancelled if status.message().contains("Timeout") => HandoffError::Timeout(deadline),
        Code::InvalidArgument | Code::OutOfRange => {
            HandoffError::Rejected(Rejection::Invalid, status.message().to_owned())
        }
        Code::NotFound => HandoffError::Rejected(Rejection::NotFound, status.message().to_owned()),
        Code::PermissionDenied => {
            HandoffError::Rejected(Rejection::Forbidden, status.message().to_owned())
        }
        Code::FailedPrecondition | Code::AlreadyExists => {
            HandoffError::Rejected(Rejection::WrongState, status.message().to_owned())
        }
        _ => HandoffError::Refused(format!("{:?}: {}", status.code(), status.message())),
    }
}

#[async_trait]
impl HumanDesk for AgentServiceClient {
    async fn escalate(&self, escalation: &Escalation) -> Result<QueuePlace, HandoffError> {
        let message = escalation_to_pb(escalation);
        let response = self
            .idempotent("escalation", || {
                let request = self.request(message.clone());
                let mut client = self.client();
                async move { client.create_ticket(request).await }
            })
            .await?;
        queue_place(response.ticket, response.queue_status)
    }

    async fn place(&self, ticket_id: &str, customer_id: &str) -> Result<QueuePlace, HandoffError> {
        let message = pb::GetTicketRequest {
            ticket_id: ticket_id.to_owned(),
            customer_id: customer_id.to_owned(),
        };
        let response = self
            .idempotent("ticket lookup", || {
                let request = self.request(message.clone());
                let mut client = self.client();
                async move { client.get_ticket(request).await }
            })
            .await?;
        queue_place(response.ticket, response.queue_status)
    }

    async fn cancel(&self, ticket_id: &str, customer_id: &str) -> Result<(), HandoffError> {
        let message = pb::CancelTicketRequest {
            ticket_id: ticket_id.to_owned(),
            customer_id: customer_id.to_owned(),
        };
        self.idempotent("cancellation", || {
            let request = self.request(message.clone());
            let mut client = self.client();
            async move { client.cancel_ticket(request).await }
        })
        .await
        .map(|_| ())
    }

    async fn relay(
        &self,
        ticket_id: &str,
        customer_id: &str,
        client_message_id: &str,
        text: &str,
    ) -> Result<u64, HandoffError> {
        let message = pb::SendCustomerMessageRequest {
            ticket_id: ticket_id.to_owned(),
            customer_id: customer_id.to_owned(),
            client_message_id: client_message_id.to_owned(),
            text: text.to_owned(),
        };
        // Idempotent: agent-service stores a client message id once.
        self.idempotent("customer message", || {
            let request = self.request(message.clone());
            let mut client = self.client();
            async move { client.send_customer_message(request).await }
        })
        .await
        .map(|r| r.sequence)
    }

    async fn follow(
        &self,
        ticket_id: &str,
        customer_id: &str,
        after_sequence: u64,
    ) -> Result<HumanEvents, HandoffError> {
        let message = pb::WatchTicketRequest {
            ticket_id: ticket_id.to_owned(),
            customer_id: customer_id.to_owned(),
            after_sequence,
        };
        let deadline = self.deadline;
        let stream = self
            .idempotent("ticket watch", || {
                // The deadline bounds opening the stream, not how long it stays open.
                let mut request = self.request(message.clone());
                request.set_timeout(Duration::from_secs(365 * 24 * 3600));
                let mut client = self.client();
                async move { client.watch_ticket(request).await }
            })
            .await?;
        Ok(Box::pin(stream.filter_map(move |item| match item {
            Ok(response) => event_from_pb(response.event).transpose(),
            Err(status) => Some(Err(classify(status, deadline))),
        })))
    }

    async fn rate(
        &self,
        ticket_id: &str,
        customer_id: &str,
        score: u32,
        comment: &str,
    ) -> Result<(), HandoffError> {
        let message = pb::RateTicketRequest {
            ticket_id: ticket_id.to_owned(),
            customer_id: customer_id.to_owned(),
            score,
            comment: comment.to_owned(),
        };
        self.idempotent("agent rating", || {
            let request = self.request(message.clone());
            let mut client = self.client();
            async move { client.rate_ticket(request).await }
        })
        .await
        .map(|_| ())
    }
}

/// A shared handle, as the engine takes it.
pub fn shared(client: AgentServiceClient) -> Arc<dyn HumanDesk> {
    Arc::new(client)
}
