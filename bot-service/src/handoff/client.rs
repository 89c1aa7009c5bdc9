//! [`HumanDesk`] over gRPC: calls agent-service's `TicketService` over a
//! [`ServiceLink`] (bot-service's own `service` identity, a small pool of channels, a
//! deadline on every call, the request id forwarded, retries with backoff).

use std::sync::Arc;

use async_trait::async_trait;
use honeydesk_proto::agent::v1::{self as pb, ticket_service_client::TicketServiceClient};
use server_kit::time::to_timestamp;
use tonic::{Request, Status, transport::Channel};

use super::{Escalation, HandoffError, HumanDesk, QueuePlace};
pub use crate::link::SERVICE_SUBJECT;
use crate::{
    config::AgentLinkSettings,
    link::{LinkError, LinkSettings, ServiceLink},
    session::Speaker,
    vocabulary::Entrance,
};

/// agent-service's ticket API, as the robot uses it.
pub struct AgentServiceClient {
    link: ServiceLink,
}

impl AgentServiceClient {
    /// A client for `settings.url`; connections are made lazily, so bot-service starts
    /// (and answers intents) while agent-service is down.
    pub fn new(
        settings: &AgentLinkSettings,
        jwt_secret: &str,
    ) -> Result<Self, tonic::transport::Error> {
        let link = LinkSettings {
            url: settings.url.clone(),
            deadline: settings.deadline(),
            channels: settings.channels,
            attempts: settings.attempts,
            retry_timeouts: true,
        };
        Ok(Self {
            link: ServiceLink::new(link, jwt_secret)?,
        })
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
            LinkError::Refused { code, message } => {
                HandoffError::Refused(format!("{code:?}: {message}"))
            }
        })
    }
}

fn entrance_to_pb(e: Entrance) -> pb::Entrance {
    match e {
        Entrance::Consumer => pb::Entrance::Consumer,
        Entrance::Merchant => pb::Entrance::Merchant,
    }
}

fn escalation_to_pb(e: &Escalation) -> pb::CreateTicketRequest {
    pb::CreateTicketRequest {
        idempotency_key: e.idempotency_key.clone(),
        customer_id: e.customer_id.clone(),
        entrance: entrance_to_pb(e.entrance) as i32,
        skill: e.skill.clone(),
        priority: e.priority,
        reason: e.reason.clone(),
        intent: e.intent.clone(),
        bot_session_id: e.session_id.clone(),
        transcript: e
            .transcript
            .iter()
            .map(|line| pb::TranscriptEntry {
                sender: match line.speaker {
                    Speaker::Customer => pb::Sender::Customer,
                    Speaker::Bot => pb::Sender::Bot,
                } as i32,
                text: line.text.clone(),
                at: Some(to_timestamp(line.at)),
                intent: line.intent.clone().unwrap_or_default(),
            })
            .collect(),
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
        let ticket = response.ticket.ok_or_else(|| {
            HandoffError::Refused("CreateTicket answered without a ticket".into())
        })?;
        let status = response.queue_status.unwrap_or_default();
        Ok(QueuePlace {
            ticket_id: ticket.ticket_id,
            position: status.position,
            estimated_wait: status
                .estimated_wait
                .as_ref()
                .and_then(server_kit::time::from_duration)
                .unwrap_or_default(),
        })
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
}

/// A shared handle, as the engine takes it.
pub fn shared(client: AgentServiceClient) -> Arc<dyn HumanDesk> {
    Arc::new(client)
}
