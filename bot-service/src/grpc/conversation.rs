//! `honeydesk.bot.v1.ConversationService`: the customer's conversation. Roles: consumer
//! at the CONSUMER entrance, merchant at the MERCHANT entrance; a session answers only
//! its owner with the role of its entrance.

use std::sync::Arc;

use honeydesk_proto::bot::v1::{self as pb, conversation_service_server::ConversationService};
use server_kit::{Caller, Role, Shutdown, shutdown::ServerStream, time::to_duration};
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status};

use super::CallerLimits;
use super::convert::{
    entrance_from_pb, event_to_pb, filed_to_pb, language_from_pb, reply_to_pb, session_to_pb,
};
use crate::{
    engine::{Engine, TurnReply},
    vocabulary::Entrance,
};

/// The conversation API over the engine.
pub struct ConversationApi {
    engine: Arc<Engine>,
    limits: CallerLimits,
    shutdown: Shutdown,
}

impl ConversationApi {
    /// A conversation API for `engine`, its callers held to `limits`; its event
    /// streams end with UNAVAILABLE when `shutdown` drains.
    pub fn new(engine: Arc<Engine>, limits: CallerLimits, shutdown: Shutdown) -> Self {
        Self {
            engine,
            limits,
            shutdown,
        }
    }
}

/// Customers only; the session check (ownership) is the engine's.
fn customer<T>(request: &Request<T>, action: &str) -> Result<Caller, Status> {
    Caller::of(request, &[Role::Consumer, Role::Merchant], action)
}

/// The entrance a customer role signs in at (`customer` admits no other role).
fn entrance_of(role: Role) -> Entrance {
    match role {
        Role::Merchant => Entrance::Merchant,
        _ => Entrance::Consumer,
    }
}

impl ConversationApi {
    /// The caller, a customer whose role is that of the entrance session `session_id`
    /// was opened at (ownership by subject is the engine's check).
    async fn owner<T>(
        &self,
        request: &Request<T>,
        session_id: &str,
        action: &str,
    ) -> Result<Caller, Status> {
        let caller = customer(request, action)?;
        self.engine
            .check_entrance(session_id, entrance_of(caller.role))
            .await?;
        Ok(caller)
    }
}

/// The role an entrance demands.
fn required_role(entrance: Entrance) -> Role {
    match entrance {
        Entrance::Consumer => Role::Consumer,
        Entrance::Merchant => Role::Merchant,
    }
}

type EventStream = ServerStream<pb::StreamSessionEventsResponse>;

#[tonic::async_trait]
impl ConversationService for ConversationApi {
    async fn start_session(
        &self,
        request: Request<pb::StartSessionRequest>,
    ) -> Result<Response<pb::StartSessionResponse>, Status> {
        let caller = customer(&request, "start a session")?;
        self.limits.sessions.check(&caller.subject)?;
        let entrance = entrance_from_pb(request.get_ref().entrance)?;
        let language = language_from_pb(request.get_ref().language)?;
        let needed = required_role(entrance);
        if caller.role != needed {
            return Err(Status::permission_denied(format!(
                "the {} entrance needs the role '{needed}'; this token has '{}'",
                entrance.as_str().to_uppercase(),
                caller.role
            )));
        }
        let (session, greeting) = self
            .engine
            .start(&caller.subject, entrance, language)
            .await?;
        tracing::debug!(session = %session.id, user = %caller.subject, entrance = entrance.as_str(), "session started");
        Ok(Response::new(pb::StartSessionResponse {
            session: Some(session_to_pb(&session)),
            greeting: Some(reply_to_pb(&greeting)),
        }))
    }

    async fn send_message(
        &self,
        request: Request<pb::SendMessageRequest>,
    ) -> Result<Response<pb::SendMessageResponse>, Status> {
        let caller = self
            .owner(&request, &request.get_ref().session_id, "send messages")
            .await?;
        self.limits.messages.check(&request.get_ref().session_id)?;
        let m = request.into_inner();
        let outcome = self
            .engine
            .turn_as(
                &caller.subject,
                caller.phone.as_deref(),
                &m.session_id,
                &m.client_message_id,
                &m.text,
            )
            .await?;
        let (reply, relayed) = match &outcome.reply {
            TurnReply::Bot(reply) => (Some(reply_to_pb(reply)), false),
            TurnReply::Relayed { .. } => (None, true),
        };
        Ok(Response::new(pb::SendMessageResponse {
            session: Some(session_to_pb(&outcome.session)),
            reply,
            relayed,
        }))
    }

    async fn get_session(
        &self,
        request: Request<pb::GetSessionRequest>,
    ) -> Result<Response<pb::GetSessionResponse>, Status> {
        let caller = self
            .owner(&request, &request.get_ref().session_id, "read sessions")
            .await?;
        let session = self
            .engine
            .get(&caller.subject, &request.get_ref().session_id)
            .await?;
        Ok(Response::new(pb::GetSessionResponse {
            session: Some(session_to_pb(&session)),
        }))
    }

    async fn end_session(
        &self,
        request: Request<pb::EndSessionRequest>,
    ) -> Result<Response<pb::EndSessionResponse>, Status> {
        let caller = self
            .owner(&request, &request.get_ref().session_id, "end sessions")
            .await?;
        self.limits.writes.check(&caller.subject)?;
        let session = self
            .engine
            .end(&caller.subject, &request.get_ref().session_id)
            .await?;
        Ok(Response::new(pb::EndSessionResponse {
            session: Some(session_to_pb(&session)),
        }))
    }

    async fn request_agent(
        &self,
        request: Request<pb::RequestAgentRequest>,
    ) -> Result<Response<pb::RequestAgentResponse>, Status> {
        let caller = self
            .owner(&request, &request.get_ref().session_id, "ask for a person")
            .await?;
        self.limits.writes.check(&caller.subject)?;
        let handoff = self
            .engine
            .request_agent(&caller.subject, &request.get_ref().session_id)
            .await?;
        Ok(Response::new(pb::RequestAgentResponse {
            session: Some(session_to_pb(&handoff.session)),
            queue_status: Some(pb::QueueStatus {
                position: handoff.place.position,
                estimated_wait: handoff.place.estimated_wait.map(to_duration),
            }),
            notice: handoff.notice,
        }))
    }

    async fn leave_queue(
        &self,
        request: Request<pb::LeaveQueueRequest>,
    ) -> Result<Response<pb::LeaveQueueResponse>, Status> {
        let caller = self
            .owner(&request, &request.get_ref().session_id, "leave the queue")
            .await?;
        self.limits.writes.check(&caller.subject)?;
        let session = self
            .engine
            .leave_queue(&caller.subject, &request.get_ref().session_id)
            .await?;
        Ok(Response::new(pb::LeaveQueueResponse {
            session: Some(session_to_pb(&session)),
        }))
    }

    type StreamSessionEventsStream = EventStream;

    async fn stream_session_events(
        &self,
        request: Request<pb::StreamSessionEventsRequest>,
    ) -> Result<Response<Self::StreamSessionEventsStream>, Status> {
        let caller = self
            .owner(&request, &request.get_ref().session_id, "follow a session")
            .await?;
        let slot = self.limits.streams.open(&caller.subject)?;
        let r = request.get_ref();
        let events = self
            .engine
            .events(&caller.subject, &r.session_id, r.after_sequence)
            .await?;
        Ok(Response::new(self.shutdown.end_on_drain(events.map(
            move |item| {
                // The stream's place under the per-user cap is held while it is open.
                let _open = &slot;
                item.map(|e| pb::StreamSessionEventsResponse {
                    event: Some(event_to_pb(&e)),
                })
                .map_err(Status::from)
            },
        ))))
    }

    async fn rate_reply(
        &self,
        request: Request<pb::RateReplyRequest>,
    ) -> Result<Response<pb::RateReplyResponse>, Status> {
        let caller = self
            .owner(&request, &request.get_ref().session_id, "rate replies")
            .await?;
        self.limits.writes.check(&caller.subject)?;
        let m = request.into_inner();
        self.engine
            .rate_reply(&caller.subject, &m.session_id, &m.reply_id, m.helpful)
            .await?;
        Ok(Response::new(pb::RateReplyResponse {}))
    }

    async fn rate_agent(
        &self,
        request: Request<pb::RateAgentRequest>,
    ) -> Result<Response<pb::RateAgentResponse>, Status> {
        let caller = self
            .owner(&request, &request.get_ref().session_id, "rate agents")
            .await?;
        self.limits.writes.check(&caller.subject)?;
        let r = request.get_ref();
        self.engine
            .rate_agent(&caller.subject, &r.session_id, r.score, &r.comment)
            .await?;
        Ok(Response::new(pb::RateAgentResponse {}))
    }

    async fn accept_complaint_offer(
        &self,
        request: Request<pb::AcceptComplaintOfferRequest>,
    ) -> Result<Response<pb::AcceptComplaintOfferResponse>, Status> {
        let caller = self
            .owner(
                &request,
                &request.get_ref().session_id,
                "complain about an agent",
            )
            .await?;
        self.limits.writes.check(&caller.subject)?;
        let r = request.get_ref();
        let (filed, text) = self
            .engine
            .accept_complaint_offer(&caller.subject, &r.session_id, &r.offer_id)
            .await?;
        Ok(Response::new(pb::AcceptComplaintOfferResponse {
            complaint: Some(filed_to_pb(&filed)),
            text,
        }))
    }
}
