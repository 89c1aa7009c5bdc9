//! A human agent's side of a conversation, for end-to-end tests: signs in at the desk,
//! follows the desk stream, takes the next offer and writes numbered messages; and
//! [`hand_over`], which brings a customer's chat to that agent.

use std::time::Duration;

use honeydesk_proto::agent::v1::{
    self as pb, agent_desk_service_client::AgentDeskServiceClient, stream_desk_response::Kind,
};
use server_kit::Role;
use tokio_stream::StreamExt;
use tonic::{Status, Streaming, transport::Channel};

use crate::{TestApp, chat::Chat, testing::authed};

/// An agent signed in at their desk, with the desk stream open.
pub struct Desk {
    /// The desk client (one connection).
    pub client: AgentDeskServiceClient<Channel>,
    /// The agent's bearer token.
    pub token: String,
    stream: Streaming<pb::StreamDeskResponse>,
    sent: u32,
}

impl Desk {
    /// Signs `agent_id` in (available) and opens their desk stream.
    pub async fn sign_in(app: &TestApp, agent_id: &str) -> Self {
        let token = app.token(agent_id, Role::Agent);
        let mut client = app.desk().await;
        client
            .sign_in(authed(pb::SignInRequest {}, &token))
            .await
            .expect("the agent signs in");
        let stream = client
            .stream_desk(authed(pb::StreamDeskRequest { resume: vec![] }, &token))
            .await
            .expect("the desk stream opens")
            .into_inner();
        Self {
            client,
            token,
            stream,
            sent: 0,
        }
    }

    /// The next desk item `pick` accepts, failing the test after five seconds.
    pub async fn next<T>(&mut self, pick: impl Fn(Kind) -> Option<T>) -> T {
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let item = self.stream.next().await.expect("open").expect("no error");
                if let Some(found) = item.kind.and_then(&pick) {
                    return found;
                }
            }
        })
        .await
        .expect("the desk item arrives within 5 s")
    }

    /// Waits for the next offer and accepts it.
    pub async fn take(&mut self) -> pb::Ticket {
        let offer = self
            .next(|k| match k {
                Kind::Offer(o) => Some(o),
                _ => None,
            })
            .await;
        self.client
            .accept_offer(authed(
                pb::AcceptOfferRequest {
                    offer_id: offer.offer_id,
                },
                &self.token,
            ))
            .await
            .expect("the agent accepts")
            .into_inner()
            .ticket
            .expect("the ticket")
    }

    /// Writes `text` on `ticket_id` under the next message id.
    pub async fn say(&mut self, ticket_id: &str, text: &str) -> pb::ChatMessage {
        self.sent += 1;
        self.client
            .send_agent_message(authed(
                pb::SendAgentMessageRequest {
                    ticket_id: ticket_id.to_owned(),
                    client_message_id: format!("d{}", self.sent),
                    text: text.to_owned(),
                },
                &self.token,
            ))
            .await
            .expect("the message is stored")
            .into_inner()
            .message
            .expect("the stored message")
    }

    /// Closes `ticket_id`: resolved, or back to the robot.
    pub async fn close(
        &mut self,
        ticket_id: &str,
        resolution: pb::Resolution,
    ) -> Result<pb::CloseTicketResponse, Status> {
        self.client
            .close_ticket(authed(
                pb::CloseTicketRequest {
                    ticket_id: ticket_id.to_owned(),
                    resolution: resolution as i32,
                    note: String::new(),
                },
                &self.token,
            ))
            .await
            .map(|r| r.into_inner())
    }
}

/// Brings `chat` to `desk`: the customer asks about a refund and for a person, the agent
/// takes the offer. The ticket id.
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
    ticket
}
