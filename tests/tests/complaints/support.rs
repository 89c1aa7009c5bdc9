//! Helpers for the complaint tests: a served conversation (bot-service played by a
//! `service` token, the agent by an `agent` token at a real desk stream), and a caller of
//! ComplaintService in any role.

use std::time::Duration;

use honeydesk::{TestApp, testing::authed};
use honeydesk_proto::agent::v1::{
    self as pb, agent_desk_service_client::AgentDeskServiceClient,
    complaint_service_client::ComplaintServiceClient, stream_desk_response::Kind,
    ticket_service_client::TicketServiceClient,
};
use server_kit::Role;
use tonic::{Code, Status, Streaming, transport::Channel};

const WAIT: Duration = Duration::from_secs(5);

/// What the customer told the robot before asking for a person.
pub const QUESTION: &str = "我的快递三天没动了";
/// What the rude agent wrote (in the shipped lexicon).
pub const ABUSE: &str = "爱买不买，别烦我";

/// One agent at their desk.
pub struct Desk {
    client: AgentDeskServiceClient<Channel>,
    token: String,
    stream: Streaming<pb::StreamDeskResponse>,
}

impl Desk {
    /// Signs `agent_id` in and opens their desk stream.
    pub async fn open(app: &TestApp, agent_id: &str) -> Self {
        let mut client = app.desk().await;
        let token = app.token(agent_id, Role::Agent);
        client
            .sign_in(authed(pb::SignInRequest {}, &token))
            .await
            .expect("signs in");
        let stream = client
            .stream_desk(authed(pb::StreamDeskRequest { resume: vec![] }, &token))
            .await
            .expect("desk stream opens")
            .into_inner();
        Self {
            client,
            token,
            stream,
        }
    }

    /// Accepts the next offer.
    async fn take(&mut self) -> String {
        loop {
            let item = tokio::time::timeout(WAIT, self.stream.message())
                .await
                .expect("an offer in time")
                .expect("desk stream ok")
                .expect("desk stream open");
            if let Some(Kind::Offer(offer)) = item.kind {
                let request = pb::AcceptOfferRequest {
                    offer_id: offer.offer_id,
                };
                let ticket = self
                    .client
                    .accept_offer(authed(request, &self.token))
                    .await
                    .expect("accepts")
                    .into_inner()
                    .ticket
                    .unwrap();
                return ticket.ticket_id;
            }
        }
    }

    async fn say(&mut self, ticket_id: &str, id: &str, text: &str) -> pb::ChatMessage {
        let request = pb::SendAgentMessageRequest {
            ticket_id: ticket_id.into(),
            client_message_id: id.into(),
            text: text.into(),
        };
        self.client
            .send_agent_message(authed(request, &self.token))
            .await
            .expect("the agent's message is stored")
            .into_inner()
            .message
            .unwrap()
    }

    async fn close(&mut self, ticket_id: &str) {
        let request = pb::CloseTicketRequest {
            ticket_id: ticket_id.into(),
            resolution: pb::Resolution::Resolved as i32,
            note: String::new(),
        };
        self.client
            .close_ticket(authed(request, &self.token))
            .await
            .expect("closes");
    }
}

/// bot-service's side of agent-service.
pub struct Robot {
    client: TicketServiceClient<Channel>,
    token: String,
}

impl Robot {
    pub async fn new(app: &TestApp) -> Self {
        Self {
            client: TicketServiceClient::new(app.agent_channel().await),
            token: app.token("bot-service", Role::Service),
        }
    }

    /// Queues a ticket for `customer` with a one-question robot transcript.
    pub async fn escalate(&mut self, customer: &str, entrance: pb::Entrance, key: &str) -> String {
        let skill = match entrance {
            pb::Entrance::Merchant => "merchant_settlement",
            _ => "logistics",
        };
        let line = |sender: pb::Sender, text: &str| pb::TranscriptEntry {
            sender: sender as i32,
            text: text.into(),
            at: Some(prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            intent: "handoff.human".into(),
        };
        let request = pb::CreateTicketRequest {
            idempotency_key: key.into(),
            customer_id: customer.into(),
            entrance: entrance as i32,
            skill: skill.into(),
            reason: "转人工".into(),
            bot_session_id: format!("s-{key}"),
            transcript: vec![
                line(pb::Sender::Customer, QUESTION),
                line(pb::Sender::Bot, "正在为您转接人工客服"),
            ],
            ..Default::default()
        };
        self.client
            .create_ticket(authed(request, &self.token))
            .await
            .expect("ticket created")
            .into_inner()
            .ticket
            .unwrap()
            .ticket_id
    }

    async fn say(&mut self, ticket_id: &str, customer: &str, id: &str, text: &str) {
        let request = pb::SendCustomerMessageRequest {
            ticket_id: ticket_id.into(),
            customer_id: customer.into(),
            client_message_id: id.into(),
            text: text.into(),
        };
        self.client
            .send_customer_message(authed(request, &self.token))
            .await
            .expect("the customer's message is stored");
    }
}

/// A conversation a person took part in, now closed.
pub struct Served {
    pub ticket_id: String,
    /// The agent's abusive message (flagged).
    pub abuse: pb::ChatMessage,
}

/// `customer` asks for a person at `entrance`, the agent at `desk` answers rudely, and
/// the conversation closes: 2 robot lines and 3 human messages.
pub async fn serve(
    robot: &mut Robot,
    desk: &mut Desk,
    customer: &str,
    entrance: pb::Entrance,
    key: &str,
) -> Served {
    let ticket_id = robot.escalate(customer, entrance, key).await;
    assert_eq!(desk.take().await, ticket_id);
    robot.say(&ticket_id, customer, "c1", "请帮我查一下").await;
    let abuse = desk.say(&ticket_id, "a1", ABUSE).await;
    assert!(abuse.flagged, "{abuse:?}");
    robot.say(&ticket_id, customer, "c2", "你怎么骂人").await;
    desk.close(&ticket_id).await;
    Served { ticket_id, abuse }
}

/// A caller of ComplaintService with one token.
pub struct Caller {
    pub client: ComplaintServiceClient<Channel>,
    pub token: String,
}

impl Caller {
    pub async fn new(app: &TestApp, subject: &str, role: Role) -> Self {
        Self {
            client: app.complaints().await,
            token: app.token(subject, role),
        }
    }

    pub async fn file(
        &mut self,
        r: pb::FileComplaintRequest,
    ) -> Result<pb::FileComplaintResponse, Status> {
        let request = authed(r, &self.token);
        self.client
            .file_complaint(request)
            .await
            .map(|r| r.into_inner())
    }

    pub async fn get(
        &mut self,
        reference: &str,
        customer_id: &str,
    ) -> Result<pb::Complaint, Status> {
        let r = pb::GetComplaintRequest {
            reference: reference.into(),
            customer_id: customer_id.into(),
        };
        let request = authed(r, &self.token);
        let response = self.client.get_complaint(request).await?;
        Ok(response.into_inner().complaint.unwrap())
    }

    pub async fn list(
        &mut self,
        r: pb::ListComplaintsRequest,
    ) -> Result<Vec<pb::Complaint>, Status> {
        let request = authed(r, &self.token);
        let response = self.client.list_complaints(request).await?;
        Ok(response.into_inner().complaints)
    }

    pub async fn review(
        &mut self,
        reference: &str,
        to: pb::ComplaintStatus,
        note: &str,
        outcome: &str,
    ) -> Result<pb::Complaint, Status> {
        let r = pb::ReviewComplaintRequest {
            reference: reference.into(),
            to: to as i32,
            note: note.into(),
            outcome: outcome.into(),
        };
        let request = authed(r, &self.token);
        let response = self.client.review_complaint(request).await?;
        Ok(response.into_inner().complaint.unwrap())
    }

    pub async fn withdraw(
        &mut self,
        reference: &str,
        customer_id: &str,
    ) -> Result<pb::Complaint, Status> {
        let r = pb::WithdrawComplaintRequest {
            reference: reference.into(),
            customer_id: customer_id.into(),
            note: "已和商家协商解决".into(),
        };
        let request = authed(r, &self.token);
        let response = self.client.withdraw_complaint(request).await?;
        Ok(response.into_inner().complaint.unwrap())
    }

    pub async fn verify(
        &mut self,
        reference: &str,
        customer_id: &str,
    ) -> Result<pb::VerifyEvidenceResponse, Status> {
        let r = pb::VerifyEvidenceRequest {
            reference: reference.into(),
            customer_id: customer_id.into(),
        };
        let request = authed(r, &self.token);
        self.client
            .verify_evidence(request)
            .await
            .map(|r| r.into_inner())
    }

    pub async fn complainable(
        &mut self,
        customer_id: &str,
        entrance: pb::Entrance,
    ) -> Result<Vec<pb::ComplainableTicket>, Status> {
        let r = pb::ListComplainableTicketsRequest {
            customer_id: customer_id.into(),
            entrance: entrance as i32,
        };
        let request = authed(r, &self.token);
        let response = self.client.list_complainable_tickets(request).await?;
        Ok(response.into_inner().tickets)
    }
}

/// A filing about `ticket_id` with key `key`: abusive language, described.
pub fn filing(ticket_id: &str, key: &str) -> pb::FileComplaintRequest {
    pb::FileComplaintRequest {
        idempotency_key: key.into(),
        ticket_id: ticket_id.into(),
        category: pb::ComplaintCategory::AbusiveLanguage as i32,
        description: "客服说“爱买不买”，态度恶劣".into(),
        ..Default::default()
    }
}

/// Panics unless `result` failed with `code` and a message containing `words`.
#[track_caller]
pub fn refused<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, words: &str) -> Status {
    let status = result.expect_err("the call should fail");
    assert_eq!(status.code(), code, "{}", status.message());
    assert!(
        status.message().contains(words),
        "expected '{words}' in: {}",
        status.message()
    );
    status
}
