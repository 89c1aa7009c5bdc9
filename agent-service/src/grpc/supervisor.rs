//! `honeydesk.agent.v1.SupervisorService`: queue figures, the roster, live abuse flags.

use std::pin::Pin;

use honeydesk_proto::agent::v1::{self as pb, supervisor_service_server::SupervisorService};
use server_kit::{Caller, Role};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::convert::{agent_to_pb, profile_from_pb};
use crate::domain::{DomainError, roster::Roster};

/// The supervisor API over the roster.
pub struct SupervisorApi {
    roster: Roster,
}

impl SupervisorApi {
    /// A supervisor API for `roster`.
    pub fn new(roster: Roster) -> Self {
        Self { roster }
    }
}

fn supervisor<T>(request: &Request<T>, action: &str) -> Result<Caller, Status> {
    Caller::of(request, &[Role::Supervisor], action)
}

type FlagStream = Pin<Box<dyn Stream<Item = Result<pb::WatchFlagsResponse, Status>> + Send>>;

#[tonic::async_trait]
impl SupervisorService for SupervisorApi {
    async fn get_queue_stats(
        &self,
        request: Request<pb::GetQueueStatsRequest>,
    ) -> Result<Response<pb::GetQueueStatsResponse>, Status> {
        supervisor(&request, "read queue figures")?;
        Err(Status::unimplemented("queue figures are not available yet"))
    }

    async fn list_agents(
        &self,
        request: Request<pb::ListAgentsRequest>,
    ) -> Result<Response<pb::ListAgentsResponse>, Status> {
        supervisor(&request, "list agents")?;
        let agents = self.roster.agents().await?;
        Ok(Response::new(pb::ListAgentsResponse {
            agents: agents.iter().map(agent_to_pb).collect(),
        }))
    }

    async fn upsert_agent(
        &self,
        request: Request<pb::UpsertAgentRequest>,
    ) -> Result<Response<pb::UpsertAgentResponse>, Status> {
        supervisor(&request, "add or change agents")?;
        let agent = request
            .into_inner()
            .agent
            .ok_or_else(|| DomainError::invalid("agent", "is required"))?;
        let saved = self.roster.upsert(profile_from_pb(agent)?).await?;
        Ok(Response::new(pb::UpsertAgentResponse {
            agent: Some(agent_to_pb(&saved)),
        }))
    }

    type WatchFlagsStream = FlagStream;

    async fn watch_flags(
        &self,
        request: Request<pb::WatchFlagsRequest>,
    ) -> Result<Response<Self::WatchFlagsStream>, Status> {
        supervisor(&request, "watch abuse flags")?;
        Err(Status::unimplemented("abuse flags are not available yet"))
    }
}
