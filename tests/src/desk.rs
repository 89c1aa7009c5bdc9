//! An agent at their desk, for end-to-end tests: signing in, the desk stream (offers,
//! ticket events), accepting and declining, messages, closing, transfers, presence and
//! history, each as one call; and [`hand_over`], which brings a customer's chat to an
//! agent.

use std::time::Duration;

use honeydesk_proto::agent::v1::{
    self as pb, agent_desk_service_client::AgentDeskServiceClient, stream_desk_response::Kind,
    ticket_event::Kind as Ev,
};
use server_kit::Role;
use tonic::{Streaming, transport::Channel};

use honeydesk_proto::bot::v1 as bot_pb;

use crate::{TestApp, chat::Chat, testing::authed};

/// How long a test waits for something that must happen.
pub const WAIT: Duration = Duration::from_secs(5);
/// How long a test listens to be sure something does not happen.
pub const QUIET: Duration = Duration::from_millis(300);

/// An agent at their desk.
pub struct Desk {
    /// The agent's id.
    pub id: String,
    /// The desk client (one connection).
    pub client: AgentDeskServiceClient<Channel>,
    /// The agent's bearer token.
    pub token: String,
    stream: Streaming<pb::StreamDeskResponse>,
    written: u32,
}

impl Desk {
    /// Signs `id` in and opens their desk stream.
    pub async fn open(app: &TestApp, id: &str) -> Self {
        Self::resume(app, id, vec![], true).await
    }

    /// Opens the desk stream resuming `resume`, signing in first when asked.
    pub async fn resume(
        app: &TestApp,
        id: &str,
        resume: Vec<pb::TicketCursor>,
        sign_in: bool,
    ) -> Self {
        let token = app.token(id, Role::Agent);
        Self::over(app.agent_channel().await, token, id, resume, sign_in).await
    }

    /// Opens the desk stream of `id` over `channel` (any agent-service replica) with
    /// `token`, signing in first when asked.
    pub async fn over(
        channel: Channel,
        token: String,
        id: &str,
        resume: Vec<pb::TicketCursor>,
        sign_in: bool,
    ) -> Self {
        let mut client = AgentDeskServiceClient::new(channel);
        if sign_in {
            client
                .sign_in(authed(pb::SignInRequest {}, &token))
                .await
                .expect("signs in");
        }
        let stream = client
            .stream_desk(authed(pb::StreamDeskRequest { resume }, &token))
            .await
            .unwrap()
            .into_inner();
        Self {
            id: id.into(),
            client,
            token,
            stream,
            written: 0,
        }
    }

    /// The next desk item within `limit`.
    pub async fn next(&mut self, limit: Duration) -> Option<Kind> {
        match tokio::time::timeout(limit, self.stream.message()).await {
            Ok(item) => item.expect("desk stream ok").and_then(|m| m.kind),
            Err(_) => None,
        }
    }

    /// The next offer (panics after [`WAIT`]).
    pub async fn offer(&mut self) -> pb::Offer {
        loop {
            match self.next(WAIT).await {
                Some(Kind::Offer(o)) => return o,
                Some(_) => {}
                None => panic!("{} got no offer", self.id),
            }
        }
    }

    /// The status the desk stream ends with (see [`crate::testing::stream_end`]).
    pub async fn end(&mut self) -> tonic::Status {
        crate::testing::stream_end(&mut self.stream).await
    }

    /// Panics if an offer arrives within [`QUIET`].
    pub async fn no_offer(&mut self) {
        while let Some(kind) = self.next(QUIET).await {
            assert!(
                !matches!(kind, Kind::Offer(_)),
                "{} got an offer it should not: {kind:?}",
                self.id
            );
        }
    }

    /// The next ticket event that `wanted` picks.
    pub async fn event(&mut self, wanted: impl Fn(&Ev) -> bool) -> pb::TicketEvent {
        loop {
            match self.next(WAIT).await {
                Some(Kind::TicketEvent(e)) if e.kind.as_ref().is_some_and(&wanted) => return e,
                Some(_) => {}
                None => panic!("{} missed an event", self.id),
            }
        }
    }

    /// Accepts `offer`.
    pub async fn accept(&mut self, offer: &pb::Offer) -> Result<pb::Ticket, tonic::Status> {
        let request = pb::AcceptOfferRequest {
            offer_id: offer.offer_id.clone(),
        };
        self.client
            .accept_offer(authed(request, &self.token))
            .await
            .map(|r| r.into_inner().ticket.unwrap())
    }

    /// Waits for the next offer and accepts it.
    pub async fn take(&mut self) -> pb::Ticket {
        let offer = self.offer().await;
        self.accept(&offer).await.expect("accepts")
    }

    /// Declines `offer`.
    pub async fn decline(&mut self, offer: &pb::Offer) {
        let request = pb::DeclineOfferRequest {
            offer_id: offer.offer_id.clone(),
        };
        self.client
            .decline_offer(authed(request, &self.token))
            .await
            .expect("declines");
    }

    /// Writes to the customer.
    pub async fn say(
        &mut self,
        ticket: &str,
        id: &str,
        text: &str,
    ) -> Result<pb::SendAgentMessageResponse, tonic::Status> {
        let request = pb::SendAgentMessageRequest {
            ticket_id: ticket.into(),
            client_message_id: id.into(),
            text: text.into(),
        };
        self.client
            .send_agent_message(authed(request, &self.token))
            .await
            .map(|r| r.into_inner())
    }

    /// Closes a ticket.
    pub async fn close(
        &mut self,
        ticket: &str,
        resolution: pb::Resolution,
    ) -> Result<pb::Ticket, tonic::Status> {
        let request = pb::CloseTicketRequest {
            ticket_id: ticket.into(),
            resolution: resolution as i32,
            note: String::new(),
        };
        self.client
            .close_ticket(authed(request, &self.token))
            .await
            .map(|r| r.into_inner().ticket.unwrap())
    }

    /// Transfers a ticket.
    pub async fn transfer(
        &mut self,
        ticket: &str,
        target: pb::transfer_ticket_request::Target,
    ) -> Result<pb::Ticket, tonic::Status> {
        let request = pb::TransferTicketRequest {
            ticket_id: ticket.into(),
            target: Some(target),
            note: "请协助".into(),
        };
        self.client
            .transfer_ticket(authed(request, &self.token))
            .await
            .map(|r| r.into_inner().ticket.unwrap())
    }

    /// Sets presence.
    pub async fn presence(&mut self, presence: pb::Presence) {
        let request = pb::SetPresenceRequest {
            presence: presence as i32,
        };
        self.client
            .set_presence(authed(request, &self.token))
            .await
            .expect("presence set");
    }

    /// A ticket's whole history.
    pub async fn history(
        &mut self,
        ticket: &str,
    ) -> Result<pb::GetTicketHistoryResponse, tonic::Status> {
        let request = pb::GetTicketHistoryRequest {
            ticket_id: ticket.into(),
            after_sequence: 0,
        };
        self.client
            .get_ticket_history(authed(request, &self.token))
            .await
            .map(|r| r.into_inner())
    }

    /// Writes `text` on `ticket` under the next message id; the stored message.
    pub async fn write(&mut self, ticket: &str, text: &str) -> pb::ChatMessage {
        self.written += 1;
        let id = format!("d{}", self.written);
        self.say(ticket, &id, text)
            .await
            .expect("the message is stored")
            .message
            .expect("the stored message")
    }

    /// The text of the customer's next message.
    pub async fn customer_said(&mut self) -> String {
        let event = self
            .event(|e| matches!(e, Ev::Message(m) if m.sender == pb::Sender::Customer as i32))
            .await;
        match event.kind {
            Some(Ev::Message(m)) => m.text,
            _ => unreachable!("picked a message"),
        }
    }
}

/// Brings `chat` to `desk`: the customer asks about a refund and for a person, the agent
/// takes the offer, and the session is WITH_AGENT. The ticket id.
pub async fn hand_over(chat: &mut Chat, desk: &mut Desk) -> String {
    chat.say("我要申请退款").await;
    let ticket = chat
        .request_agent()
        .await
        .expect("queued for a person")
        .session
        .expect("the session")
        .ticket_id;
    let taken = desk.take().await;
    assert_eq!(taken.ticket_id, ticket);
    chat.until_state(bot_pb::SessionState::WithAgent).await;
    ticket
}
