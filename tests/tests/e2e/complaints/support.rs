//! Helpers for the complaint tests: a served conversation (bot-service played by a
//! `service` token, the agent by an `agent` token at a real desk stream), and a caller of
//! ComplaintService in any role.

pub use honeydesk::desk::Desk;
use honeydesk::{TestApp, bot_side::BotSide, testing::authed};
use honeydesk_proto::agent::v1::{self as pb, complaint_service_client::ComplaintServiceClient};
use server_kit::Role;
use tonic::{Code, Status, transport::Channel};

/// What the customer told the robot before asking for a person.
pub const QUESTION: &str = "我的快递三天没动了";
/// What the rude agent wrote (in the shipped lexicon).
pub const ABUSE: &str = "爱买不买，别烦我";

/// bot-service's side of agent-service, as the complaint tests use it.
pub struct Robot(BotSide);

impl Robot {
    /// Connects with a `service` token.
    pub async fn new(app: &TestApp) -> Self {
        Self(BotSide::new(app).await)
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
        self.0.create(request).await.ticket.unwrap().ticket_id
    }

    async fn say(&mut self, ticket_id: &str, customer: &str, id: &str, text: &str) {
        self.0
            .say(ticket_id, customer, id, text)
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
    assert_eq!(desk.take().await.ticket_id, ticket_id);
    robot.say(&ticket_id, customer, "c1", "请帮我查一下").await;
    let abuse = desk
        .say(&ticket_id, "a1", ABUSE)
        .await
        .expect("the agent's message is stored")
        .message
        .unwrap();
    assert!(abuse.flagged, "{abuse:?}");
    robot.say(&ticket_id, customer, "c2", "你怎么骂人").await;
    desk.close(&ticket_id, pb::Resolution::Resolved)
        .await
        .expect("closes");
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
