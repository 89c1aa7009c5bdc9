//! A customer's conversation with bot-service over real gRPC, for end-to-end tests:
//! open a session, say things (each with a fresh client message id, or a chosen one to
//! play a retry), read the replies.

use honeydesk_proto::bot::v1::{
    self as pb, conversation_service_client::ConversationServiceClient,
};
use tonic::{Status, transport::Channel};

use crate::{TestApp, testing::authed};

/// One session of one customer.
pub struct Chat {
    client: ConversationServiceClient<Channel>,
    token: String,
    /// The session id.
    pub session: String,
    sent: u32,
}

impl Chat {
    /// Opens a CONSUMER session with `token`.
    pub async fn consumer(app: &TestApp, token: String) -> Self {
        let mut client = app.conversation().await;
        let started = client
            .start_session(authed(
                pb::StartSessionRequest {
                    entrance: pb::Entrance::Consumer as i32,
                    language: pb::Language::Unspecified as i32,
                },
                &token,
            ))
            .await
            .expect("session starts")
            .into_inner();
        Self {
            client,
            token,
            session: started.session.expect("a session").session_id,
            sent: 0,
        }
    }

    /// Sends `text` under client message id `id` (reuse an id to play a retry).
    pub async fn say_as(&mut self, id: &str, text: &str) -> Result<pb::BotReply, Status> {
        let response = self
            .client
            .send_message(authed(
                pb::SendMessageRequest {
                    session_id: self.session.clone(),
                    client_message_id: id.to_owned(),
                    text: text.to_owned(),
                },
                &self.token,
            ))
            .await?
            .into_inner();
        Ok(response.reply.expect("a reply"))
    }

    /// Sends `text` with a fresh client message id; panics on an error status.
    pub async fn say(&mut self, text: &str) -> pb::BotReply {
        self.sent += 1;
        let id = format!("m{}", self.sent);
        self.say_as(&id, text).await.expect("a reply")
    }
}
