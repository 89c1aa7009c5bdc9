//! A customer's side of a conversation, for end-to-end tests: opens a bot-service
//! session with a real token and sends numbered messages, asks for a person, and
//! follows the session's event stream.

use std::time::Duration;

use honeydesk_proto::bot::v1::{
    self as pb, conversation_service_client::ConversationServiceClient,
};
use server_kit::Role;
use tokio_stream::StreamExt;
use tonic::{Status, Streaming, transport::Channel};

use crate::{TestApp, testing::authed};

/// A shopper's or seller's conversation with honeydesk.
pub struct Chat {
    /// The conversation client (one connection).
    pub client: ConversationServiceClient<Channel>,
    /// The customer's bearer token.
    pub token: String,
    /// The session id.
    pub session: String,
    sent: u32,
}

impl Chat {
    /// Signs `user` in as `role` and starts a session at `entrance`.
    pub async fn open(
        app: &TestApp,
        user: &str,
        role: Role,
        entrance: pb::Entrance,
    ) -> (Self, pb::StartSessionResponse) {
        Self::start(app, app.token(user, role), entrance).await
    }

    /// A CONSUMER session for an already minted token (custom claims).
    pub async fn with_token(app: &TestApp, token: String) -> Self {
        Self::start(app, token, pb::Entrance::Consumer).await.0
    }

    async fn start(
        app: &TestApp,
        token: String,
        entrance: pb::Entrance,
    ) -> (Self, pb::StartSessionResponse) {
        Self::start_over(app.bot_channel().await, token, entrance).await
    }

    /// Starts a session at `entrance` over `channel` (any bot-service, or a balancer in
    /// front of several) for the user of `token`.
    pub async fn start_over(
        channel: Channel,
        token: String,
        entrance: pb::Entrance,
    ) -> (Self, pb::StartSessionResponse) {
        let mut client = ConversationServiceClient::new(channel);
        let started = client
            .start_session(authed(
                pb::StartSessionRequest {
                    entrance: entrance as i32,
                    language: pb::Language::Unspecified as i32,
                },
                &token,
            ))
            .await
            .expect("session starts")
            .into_inner();
        let session = started.session.clone().expect("a session").session_id;
        (
            Self {
                client,
                token,
                session,
                sent: 0,
            },
            started,
        )
    }

    /// A conversation over an already connected `client` (a TLS channel, say) for the
    /// session `session` that `token` started.
    pub fn over(
        client: ConversationServiceClient<Channel>,
        token: String,
        session: String,
    ) -> Self {
        Self {
            client,
            token,
            session,
            sent: 0,
        }
    }

    /// `shopper-1` at the consumer entrance.
    pub async fn consumer(app: &TestApp) -> Self {
        Self::named(app, "shopper-1").await
    }

    /// A named shopper at the consumer entrance.
    pub async fn named(app: &TestApp, user: &str) -> Self {
        Self::open(app, user, Role::Consumer, pb::Entrance::Consumer)
            .await
            .0
    }

    /// Sends `text` under the next message id.
    pub async fn try_say(&mut self, text: &str) -> Result<pb::SendMessageResponse, Status> {
        self.sent += 1;
        let id = format!("m{}", self.sent);
        self.say_with_id(&id, text).await
    }

    /// Sends `text` under the given client message id.
    pub async fn say_with_id(
        &mut self,
        id: &str,
        text: &str,
    ) -> Result<pb::SendMessageResponse, Status> {
        self.client
            .send_message(authed(
                pb::SendMessageRequest {
                    session_id: self.session.clone(),
                    client_message_id: id.into(),
                    text: text.into(),
                },
                &self.token,
            ))
            .await
            .map(|r| r.into_inner())
    }

    /// The robot's reply to `text` sent under `id` (reuse an id to play a retry).
    pub async fn reply_to(&mut self, id: &str, text: &str) -> Result<pb::BotReply, Status> {
        self.say_with_id(id, text)
            .await
            .map(|r| r.reply.expect("the robot answers"))
    }

    /// Sends `text` and returns the robot's reply.
    pub async fn say(&mut self, text: &str) -> pb::BotReply {
        self.try_say(text)
            .await
            .expect("a reply")
            .reply
            .expect("the robot answers")
    }

    /// Asks for a person.
    pub async fn request_agent(&mut self) -> Result<pb::RequestAgentResponse, Status> {
        self.client
            .request_agent(authed(
                pb::RequestAgentRequest {
                    session_id: self.session.clone(),
                },
                &self.token,
            ))
            .await
            .map(|r| r.into_inner())
    }

    /// The session as bot-service sees it now.
    pub async fn session(&mut self) -> pb::Session {
        self.client
            .get_session(authed(
                pb::GetSessionRequest {
                    session_id: self.session.clone(),
                },
                &self.token,
            ))
            .await
            .expect("the session")
            .into_inner()
            .session
            .expect("a session")
    }

    /// Leaves the human queue (back to the robot); the session as it is then.
    pub async fn leave_queue(&mut self) -> Result<pb::Session, Status> {
        self.client
            .leave_queue(authed(
                pb::LeaveQueueRequest {
                    session_id: self.session.clone(),
                },
                &self.token,
            ))
            .await
            .map(|r| r.into_inner().session.expect("a session"))
    }

    /// Waits (five seconds at most) until bot-service reports the session in `state`
    /// (it catches up with agent-service's ticket on each read, so this is immediate
    /// unless the ticket itself is still moving).
    pub async fn until_state(&mut self, state: pb::SessionState) {
        for _ in 0..250 {
            if self.session().await.state == state as i32 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the session never reached {state:?}");
    }

    /// Opens the session's event stream after `after_sequence`.
    pub async fn events(&mut self, after_sequence: u64) -> Events {
        let stream = self
            .client
            .stream_session_events(authed(
                pb::StreamSessionEventsRequest {
                    session_id: self.session.clone(),
                    after_sequence,
                },
                &self.token,
            ))
            .await
            .expect("the event stream opens")
            .into_inner();
        Events(stream)
    }
}

/// The customer's event stream.
pub struct Events(pub Streaming<pb::StreamSessionEventsResponse>);

impl Events {
    /// The next event, failing the test after five seconds.
    pub async fn next(&mut self) -> pb::SessionEvent {
        tokio::time::timeout(Duration::from_secs(5), self.0.next())
            .await
            .expect("an event within 5 s")
            .expect("the stream stays open")
            .expect("no error on the stream")
            .event
            .expect("an event")
    }

    /// The next event that is not a queue-status update.
    pub async fn next_stored(&mut self) -> pb::SessionEvent {
        loop {
            let event = self.next().await;
            if !matches!(event.kind, Some(pb::session_event::Kind::QueueStatus(_))) {
                return event;
            }
        }
    }
}

/// The recognised intent of a reply: its name and kind.
pub fn intent(reply: &pb::BotReply) -> (String, i32) {
    let i = reply.intent.clone().expect("an intent on every answer");
    (i.name, i.kind)
}
