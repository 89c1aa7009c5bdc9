//! [`HumanDesk`] over gRPC: calls agent-service's `TicketService` over a
//! [`ServiceLink`] (bot-service's own `service` identity, a small pool of channels, a
//! deadline on every call, the request id forwarded, retries with backoff).

mod complaints;
mod feedback;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use honeydesk_proto::agent::v1::{self as pb, ticket_service_client::TicketServiceClient};
use tokio_stream::StreamExt;
use tonic::{Code, Request, Status, transport::Channel};

use super::{
    Escalation, HandoffError, HumanDesk, HumanEvent, HumanEvents, OpenConversation, QueuePlace,
    Rejection,
    wire::{entrance_to_pb, escalation_to_pb, event_from_pb, open_conversation, queue_place},
};
pub use crate::link::SERVICE_SUBJECT;
use crate::{
    config::AgentLinkSettings,
    link::{LinkError, LinkSettings, ServiceLink},
    vocabulary::Entrance,
};

/// agent-service's ticket API, as the robot uses it.
pub struct AgentServiceClient {
    link: ServiceLink,
}

impl AgentServiceClient {
    /// A client for `settings.url`; connections are made lazily, so bot-service starts
    /// (and answers intents) while agent-service is down.
    /// `tls` is the TLS an `https://` URL needs.
    pub fn new(
        settings: &AgentLinkSettings,
        tls: Option<tonic::transport::ClientTlsConfig>,
        tokens: Arc<dyn server_kit::auth::Minter>,
        sockets: server_kit::net::SocketAudit,
    ) -> Result<Self, tonic::transport::Error> {
        let link = LinkSettings {
            url: settings.url.clone(),
            deadline: settings.deadline(),
            channels: settings.channels,
            attempts: settings.attempts,
            retry_timeouts: true,
            tls,
        };
        Ok(Self {
            link: ServiceLink::new(link, tokens, sockets)?,
        })
    }

    /// One of the pooled channels to agent-service (for its health service).
    pub fn channel(&self) -> tonic::transport::Channel {
        self.link.channel()
    }

    fn client(&self) -> TicketServiceClient<Channel> {
        TicketServiceClient::new(self.link.channel())
    }

    /// A request carrying our identity, the current request id and the deadline.
    fn request<T>(&self, message: T) -> Request<T> {
        self.link.request(message)
    }

    /// Runs an idempotent call with the deadline, retrying transient failures.
    async fn idempotent<T, F, Fut>(&self, what: &str, call: F) -> Result<T, HandoffError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<tonic::Response<T>, Status>>,
    {
        self.link.call(what, call).await.map_err(|e| match e {
            LinkError::Unavailable(m) | LinkError::Broken(m) => HandoffError::Unavailable(m),
            LinkError::Timeout(d) => HandoffError::Timeout(d),
            LinkError::Refused { code, message } => refused(code, message),
        })
    }
}

/// A refusal the customer can act on, or a contract mismatch.
fn refused(code: Code, message: String) -> HandoffError {
    match code {
        Code::InvalidArgument | Code::OutOfRange => {
            HandoffError::Rejected(Rejection::Invalid, message)
        }
        Code::NotFound => HandoffError::Rejected(Rejection::NotFound, message),
        Code::PermissionDenied => HandoffError::Rejected(Rejection::Forbidden, message),
        Code::FailedPrecondition | Code::AlreadyExists => {
            HandoffError::Rejected(Rejection::WrongState, message)
        }
        _ => HandoffError::Refused(format!("{code:?}: {message}")),
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
        let known = response.ticket.as_ref().map_or(0, |t| t.last_sequence);
        let mut place = queue_place(response.ticket, response.queue_status)?;
        if response.created {
            place.known_events = known;
        }
        Ok(place)
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

    async fn open_conversation(
        &self,
        customer_id: &str,
        entrance: Entrance,
    ) -> Result<Option<OpenConversation>, HandoffError> {
        let message = pb::FindOpenTicketRequest {
            customer_id: customer_id.to_owned(),
            entrance: entrance_to_pb(entrance) as i32,
        };
        let response = self
            .idempotent("open ticket lookup", || {
                let request = self.request(message.clone());
                let mut client = self.client();
                async move { client.find_open_ticket(request).await }
            })
            .await?;
        open_conversation(response.ticket, response.queue_status)
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
            Err(status) => Some(Err(HandoffError::Unavailable(status.message().to_owned()))),
        })))
    }

    async fn catch_up(
        &self,
        ticket_id: &str,
        customer_id: &str,
        after_sequence: u64,
    ) -> Result<Vec<HumanEvent>, HandoffError> {
        let message = pb::ListTicketEventsRequest {
            ticket_id: ticket_id.to_owned(),
            customer_id: customer_id.to_owned(),
            after_sequence,
        };
        let response = self
            .idempotent("ticket catch-up", || {
                let request = self.request(message.clone());
                let mut client = self.client();
                async move { client.list_ticket_events(request).await }
            })
            .await?;
        let mut events = Vec::with_capacity(response.events.len());
        for event in response.events {
            events.extend(event_from_pb(Some(event))?);
        }
        Ok(events)
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
