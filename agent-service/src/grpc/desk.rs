//! `honeydesk.agent.v1.AgentDeskService`: the agent's desk software. The agent is the
//! token's subject and acts only as themselves.

use futures_util::StreamExt;
use honeydesk_proto::agent::v1::{self as pb, agent_desk_service_server::AgentDeskService};
use server_kit::{Caller, Role, shutdown::ServerStream};
use tonic::{Request, Response, Status};

use super::{
    Services,
    convert::{agent_to_pb, presence_from_pb, ticket_to_pb},
    events::{desk_item_to_pb, event_to_pb, message_to_pb, transcript_to_pb},
};
use crate::domain::{CloseReason, DomainError, Presence, routing::moves::TransferTarget};

/// The desk API.
pub struct DeskApi {
    services: Services,
}

impl DeskApi {
    /// A desk API over the domain `services`.
    pub fn new(services: Services) -> Self {
        Self { services }
    }

    async fn agent_reply(&self, a: &crate::domain::Agent) -> pb::Agent {
        let mut agent = agent_to_pb(a);
        agent.active_chats = self
            .services
            .dispatcher
            .chats_of(&a.profile.agent_id)
            .await
            .len() as u32;
        agent
    }
}

fn agent<T>(request: &Request<T>, action: &str) -> Result<Caller, Status> {
    Caller::of(request, &[Role::Agent], action)
}

type DeskStream = ServerStream<pb::StreamDeskResponse>;

#[tonic::async_trait]
impl AgentDeskService for DeskApi {
    async fn sign_in(
        &self,
        request: Request<pb::SignInRequest>,
    ) -> Result<Response<pb::SignInResponse>, Status> {
        let caller = agent(&request, "sign in at a desk")?;
        let a = self
            .services
            .dispatcher
            .set_presence(&caller.subject, Presence::Available)
            .await?;
        tracing::info!(agent = %caller.subject, "agent signed in");
        Ok(Response::new(pb::SignInResponse {
            agent: Some(self.agent_reply(&a).await),
        }))
    }

    async fn set_presence(
        &self,
        request: Request<pb::SetPresenceRequest>,
    ) -> Result<Response<pb::SetPresenceResponse>, Status> {
        let caller = agent(&request, "set presence")?;
        let presence = presence_from_pb(request.get_ref().presence, "presence")?;
        let a = self
            .services
            .dispatcher
            .set_presence(&caller.subject, presence)
            .await?;
        Ok(Response::new(pb::SetPresenceResponse {
            agent: Some(self.agent_reply(&a).await),
        }))
    }

    type StreamDeskStream = DeskStream;

    async fn stream_desk(
        &self,
        request: Request<pb::StreamDeskRequest>,
    ) -> Result<Response<Self::StreamDeskStream>, Status> {
        let caller = agent(&request, "open a desk stream")?;
        let resume = request
            .into_inner()
            .resume
            .into_iter()
            .map(|c| (c.ticket_id, c.after_sequence))
            .collect();
        let items = self.services.streams.desk(&caller.subject, resume).await?;
        let dispatcher = self.services.dispatcher.clone();
        let stream = items.then(move |item| {
            let dispatcher = dispatcher.clone();
            async move {
                match item {
                    Ok(item) => Ok(desk_item_to_pb(&dispatcher, &item).await),
                    Err(e) => Err(Status::from(e)),
                }
            }
        });
        Ok(Response::new(self.services.shutdown.end_on_drain(stream)))
    }

    async fn accept_offer(
        &self,
        request: Request<pb::AcceptOfferRequest>,
    ) -> Result<Response<pb::AcceptOfferResponse>, Status> {
        let caller = agent(&request, "accept offers")?;
        let ticket = self
            .services
            .dispatcher
            .accept(&caller.subject, &request.get_ref().offer_id)
            .await?;
        Ok(Response::new(pb::AcceptOfferResponse {
            ticket: Some(ticket_to_pb(&ticket)),
        }))
    }

    async fn decline_offer(
        &self,
        request: Request<pb::DeclineOfferRequest>,
    ) -> Result<Response<pb::DeclineOfferResponse>, Status> {
        let caller = agent(&request, "decline offers")?;
        self.services
            .dispatcher
            .decline(&caller.subject, &request.get_ref().offer_id)
            .await?;
        Ok(Response::new(pb::DeclineOfferResponse {}))
    }

    async fn send_agent_message(
        &self,
        request: Request<pb::SendAgentMessageRequest>,
    ) -> Result<Response<pb::SendAgentMessageResponse>, Status> {
        let caller = agent(&request, "send agent messages")?;
        let r = request.into_inner();
        let event = self
            .services
            .conversation
            .agent_message(&caller.subject, &r.ticket_id, &r.client_message_id, &r.text)
            .await?;
        Ok(Response::new(pb::SendAgentMessageResponse {
            message: message_to_pb(&self.services.dispatcher, &event).await,
            sequence: event.sequence,
        }))
    }

    async fn close_ticket(
        &self,
        request: Request<pb::CloseTicketRequest>,
    ) -> Result<Response<pb::CloseTicketResponse>, Status> {
        let caller = agent(&request, "close tickets")?;
        let r = request.into_inner();
        let (reason, default_notice) = match pb::Resolution::try_from(r.resolution) {
            Ok(pb::Resolution::Resolved) => (
                CloseReason::Resolved,
                "The agent resolved the conversation.",
            ),
            Ok(pb::Resolution::ReturnToBot) => (
                CloseReason::ReturnedToBot,
                "The agent handed the conversation back to the assistant.",
            ),
            _ => {
                return Err(DomainError::invalid(
                    "resolution",
                    "must be RESOLUTION_RESOLVED or RESOLUTION_RETURN_TO_BOT",
                )
                .into());
            }
        };
        let notice = if r.note.trim().is_empty() {
            default_notice
        } else {
            r.note.as_str()
        };
        let ticket = self
            .services
            .dispatcher
            .close(&r.ticket_id, reason, notice, Some(&caller.subject))
            .await?;
        Ok(Response::new(pb::CloseTicketResponse {
            ticket: Some(ticket_to_pb(&ticket)),
        }))
    }

    async fn transfer_ticket(
        &self,
        request: Request<pb::TransferTicketRequest>,
    ) -> Result<Response<pb::TransferTicketResponse>, Status> {
        use pb::transfer_ticket_request::Target;
        let caller = agent(&request, "transfer tickets")?;
        let r = request.into_inner();
        let target = match r.target {
            Some(Target::Skill(s)) => TransferTarget::Skill(s),
            Some(Target::AgentId(a)) => TransferTarget::Agent(a),
            None => {
                return Err(DomainError::invalid("target", "name a skill or an agent_id").into());
            }
        };
        let ticket = self
            .services
            .dispatcher
            .transfer(&caller.subject, &r.ticket_id, target, &r.note)
            .await?;
        Ok(Response::new(pb::TransferTicketResponse {
            ticket: Some(ticket_to_pb(&ticket)),
        }))
    }

    async fn get_ticket_history(
        &self,
        request: Request<pb::GetTicketHistoryRequest>,
    ) -> Result<Response<pb::GetTicketHistoryResponse>, Status> {
        let caller = agent(&request, "read ticket history")?;
        let r = request.into_inner();
        let history = self
            .services
            .conversation
            .history(&caller.subject, &r.ticket_id, r.after_sequence)
            .await?;
        let mut events = Vec::with_capacity(history.events.len());
        for e in &history.events {
            events.push(event_to_pb(&self.services.dispatcher, e).await);
        }
        Ok(Response::new(pb::GetTicketHistoryResponse {
            ticket: Some(ticket_to_pb(&history.ticket)),
            bot_transcript: history
                .bot_transcript
                .iter()
                .map(transcript_to_pb)
                .collect(),
            events,
        }))
    }
}
