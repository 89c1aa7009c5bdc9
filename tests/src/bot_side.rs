//! bot-service's side of agent-service, played by a test with a `service` token:
//! escalating, the customer's messages, watching a ticket and rating it.

use honeydesk_proto::agent::v1::{
    self as pb, ticket_event::Kind as Ev, ticket_service_client::TicketServiceClient,
};
use server_kit::Role;
use tonic::{Streaming, transport::Channel};

use crate::{TestApp, desk::WAIT, testing::authed};

/// bot-service's side of agent-service: TicketService with a `service` token.
pub struct BotSide {
    /// The ticket client (one connection).
    pub client: TicketServiceClient<Channel>,
    /// The `service` token.
    pub token: String,
}

impl BotSide {
    /// Connects with a `service` token.
    pub async fn new(app: &TestApp) -> Self {
        Self::over(
            app.agent_channel().await,
            app.token("bot-service", Role::Service),
        )
    }

    /// Calls over `channel` (any agent-service replica) with the `service` `token`.
    pub fn over(channel: Channel, token: String) -> Self {
        Self {
            client: TicketServiceClient::new(channel),
            token,
        }
    }

    /// Queues a ticket for `customer` (key `{customer}-{skill}`).
    pub async fn escalate(
        &mut self,
        customer: &str,
        entrance: pb::Entrance,
        skill: &str,
    ) -> pb::CreateTicketResponse {
        self.create(escalation(customer, entrance, skill)).await
    }

    /// Sends `request` as it is.
    pub async fn create(&mut self, request: pb::CreateTicketRequest) -> pb::CreateTicketResponse {
        self.client
            .create_ticket(authed(request, &self.token))
            .await
            .expect("ticket created")
            .into_inner()
    }

    /// Queues a consumer ticket; its id.
    pub async fn consumer(&mut self, customer: &str, skill: &str) -> String {
        self.escalate(customer, pb::Entrance::Consumer, skill)
            .await
            .ticket
            .unwrap()
            .ticket_id
    }

    /// The customer's message.
    pub async fn say(
        &mut self,
        ticket: &str,
        customer: &str,
        id: &str,
        text: &str,
    ) -> Result<pb::SendCustomerMessageResponse, tonic::Status> {
        let request = pb::SendCustomerMessageRequest {
            ticket_id: ticket.into(),
            customer_id: customer.into(),
            client_message_id: id.into(),
            text: text.into(),
        };
        self.client
            .send_customer_message(authed(request, &self.token))
            .await
            .map(|r| r.into_inner())
    }

    /// Opens the ticket's event stream after `after`.
    pub async fn watch(
        &mut self,
        ticket: &str,
        customer: &str,
        after: u64,
    ) -> Streaming<pb::WatchTicketResponse> {
        let request = pb::WatchTicketRequest {
            ticket_id: ticket.into(),
            customer_id: customer.into(),
            after_sequence: after,
        };
        self.client
            .watch_ticket(authed(request, &self.token))
            .await
            .expect("watch opens")
            .into_inner()
    }

    /// The ticket and its queue status.
    pub async fn get(&mut self, ticket: &str, customer: &str) -> pb::GetTicketResponse {
        let request = pb::GetTicketRequest {
            ticket_id: ticket.into(),
            customer_id: customer.into(),
        };
        self.client
            .get_ticket(authed(request, &self.token))
            .await
            .unwrap()
            .into_inner()
    }

    /// The consumer's open ticket, as FindOpenTicket finds it.
    pub async fn open_ticket(&mut self, customer: &str) -> Option<pb::Ticket> {
        let request = pb::FindOpenTicketRequest {
            customer_id: customer.into(),
            entrance: pb::Entrance::Consumer as i32,
        };
        self.client
            .find_open_ticket(authed(request, &self.token))
            .await
            .expect("the customer is looked up")
            .into_inner()
            .ticket
    }

    /// The customer's rating.
    pub async fn rate(
        &mut self,
        ticket: &str,
        customer: &str,
        score: u32,
    ) -> Result<(), tonic::Status> {
        let request = pb::RateTicketRequest {
            ticket_id: ticket.into(),
            customer_id: customer.into(),
            score,
            comment: "谢谢".into(),
        };
        self.client
            .rate_ticket(authed(request, &self.token))
            .await
            .map(|_| ())
    }
}

/// The next event of a watch, or panics after [`WAIT`].
pub async fn next_event(watch: &mut Streaming<pb::WatchTicketResponse>) -> pb::TicketEvent {
    let item = tokio::time::timeout(WAIT, watch.message())
        .await
        .expect("an event in time");
    item.expect("stream ok")
        .expect("stream open")
        .event
        .unwrap()
}

/// The next queue status of a watch.
pub async fn next_position(watch: &mut Streaming<pb::WatchTicketResponse>) -> pb::QueueStatus {
    loop {
        if let Some(Ev::QueueStatus(q)) = next_event(watch).await.kind {
            return q;
        }
    }
}

/// The text of a message event.
pub fn text_of(e: &pb::TicketEvent) -> Option<&str> {
    match &e.kind {
        Some(Ev::Message(m)) => Some(&m.text),
        _ => None,
    }
}

/// A consumer's or merchant's escalation to `skill` with a one-line transcript, under the
/// key `{customer}-{skill}`.
pub fn escalation(customer: &str, entrance: pb::Entrance, skill: &str) -> pb::CreateTicketRequest {
    pb::CreateTicketRequest {
        idempotency_key: format!("{customer}-{skill}"),
        customer_id: customer.into(),
        entrance: entrance as i32,
        skill: skill.into(),
        reason: "转人工".into(),
        bot_session_id: format!("s-{customer}"),
        transcript: vec![pb::TranscriptEntry {
            sender: pb::Sender::Customer as i32,
            text: "我要找人工".into(),
            at: Some(prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            intent: "handoff.human".into(),
        }],
        ..Default::default()
    }
}
