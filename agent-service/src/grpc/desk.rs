//! `honeydesk.agent.v1.AgentDeskService`: the agent's desk software. The agent is the
//! token's subject.

use std::pin::Pin;

use honeydesk_proto::agent::v1::{self as pb, agent_desk_service_server::AgentDeskService};
use server_kit::{Caller, Role};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::{
    convert::{agent_to_pb, presence_from_pb},
    not_yet,
};
use crate::domain::{Presence, roster::Roster};

/// The desk API over the roster.
pub struct DeskApi {
    roster: Roster,
}

impl DeskApi {
    /// A desk API for `roster`.
    pub fn new(roster: Roster) -> Self {
        Self { roster }
    }
}

fn agent<T>(request: &Request<T>, action: &str) -> Result<Caller, Status> {
    Caller::of(request, &[Role::Agent], action)
}

type DeskStream = Pin<Box<dyn Stream<Item = Result<pb::StreamDeskResponse, Status>> + Send>>;

#[tonic::async_trait]
impl AgentDeskService for DeskApi {
    async fn sign_in(
        &self,
        request: Request<pb::SignInRequest>,
    ) -> Result<Response<pb::SignInResponse>, Status> {
        let caller = agent(&request, "sign in at a desk")?;
        let a = self
            .roster
            .set_presence(&caller.subject, Presence::Available)
            .await?;
        tracing::info!(agent = %caller.subject, "agent signed in");
        Ok(Response::new(pb::SignInResponse {
            agent: Some(agent_to_pb(&a)),
        }))
    }

    async fn set_presence(
        &self,
        request: Request<pb::SetPresenceRequest>,
    ) -> Result<Response<pb::SetPresenceResponse>, Status> {
        let caller = agent(&request, "set presence")?;
        let presence = presence_from_pb(request.get_ref().presence, "presence")?;
        let a = self.roster.set_presence(&caller.subject, presence).await?;
        Ok(Response::new(pb::SetPresenceResponse {
            agent: Some(agent_to_pb(&a)),
        }))
    }

    type StreamDeskStream = DeskStream;

    async fn stream_desk(
        &self,
        request: Request<pb::StreamDeskRequest>,
    ) -> Result<Response<Self::StreamDeskStream>, Status> {
        agent(&request, "open a desk stream")?;
        Err(not_yet("the desk stream"))
    }

    async fn accept_offer(
        &self,
        request: Request<pb::AcceptOfferRequest>,
    ) -> Result<Response<pb::AcceptOfferResponse>, Status> {
        agent(&request, "accept offers")?;
        Err(not_yet("accepting offers"))
    }

    async fn decline_offer(
        &self,
        request: Request<pb::DeclineOfferRequest>,
    ) -> Result<Response<pb::DeclineOfferResponse>, Status> {
        agent(&request, "decline offers")?;
        Err(not_yet("declining offers"))
    }

    async fn send_agent_message(
        &self,
        request: Request<pb::SendAgentMessageRequest>,
    ) -> Result<Response<pb::SendAgentMessageResponse>, Status> {
        agent(&request, "send agent messages")?;
        Err(not_yet("agent messages"))
    }

    async fn close_ticket(
        &self,
        request: Request<pb::CloseTicketRequest>,
    ) -> Result<Response<pb::CloseTicketResponse>, Status> {
        agent(&request, "close tickets")?;
        Err(not_yet("closing tickets"))
    }

    async fn transfer_ticket(
        &self,
        request: Request<pb::TransferTicketRequest>,
    ) -> Result<Response<pb::TransferTicketResponse>, Status> {
        agent(&request, "transfer tickets")?;
        Err(not_yet("transfers"))
    }

    async fn get_ticket_history(
        &self,
        request: Request<pb::GetTicketHistoryRequest>,
    ) -> Result<Response<pb::GetTicketHistoryResponse>, Status> {
        agent(&request, "read ticket history")?;
        Err(not_yet("ticket history"))
    }
}
