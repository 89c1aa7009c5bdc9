//! `honeydesk.agent.v1.SupervisorService`: queue figures, the roster, live abuse flags,
//! and a dry run of moderation.

use futures_util::StreamExt;
use honeydesk_proto::agent::v1::{self as pb, supervisor_service_server::SupervisorService};
use server_kit::{Caller, Role, shutdown::ServerStream};
use tonic::{Request, Response, Status};

use server_kit::time::{from_duration, to_duration};

use super::{
    Services,
    convert::{agent_to_pb, entrance_to_pb, patch_from_pb},
    events::flag_to_pb,
};
use crate::domain::{DomainError, stats::DEFAULT_WINDOW};

/// The supervisor API.
pub struct SupervisorApi {
    services: Services,
}

impl SupervisorApi {
    /// A supervisor API over the domain `services`.
    pub fn new(services: Services) -> Self {
        Self { services }
    }
}

fn supervisor<T>(request: &Request<T>, action: &str) -> Result<Caller, Status> {
    Caller::of(request, &[Role::Supervisor], action)
}

type FlagStream = ServerStream<pb::WatchFlagsResponse>;

#[tonic::async_trait]
impl SupervisorService for SupervisorApi {
    async fn get_queue_stats(
        &self,
        request: Request<pb::GetQueueStatsRequest>,
    ) -> Result<Response<pb::GetQueueStatsResponse>, Status> {
        supervisor(&request, "read queue figures")?;
        let window = match &request.get_ref().window {
            None => DEFAULT_WINDOW,
            Some(w) => from_duration(w)
                .filter(|d| !d.is_zero())
                .ok_or_else(|| DomainError::invalid("window", "must be a positive duration"))?,
        };
        let figures = self.services.supervision.queue_figures(window).await?;
        Ok(Response::new(pb::GetQueueStatsResponse {
            queues: figures
                .iter()
                .map(|q| pb::QueueStats {
                    entrance: entrance_to_pb(q.entrance) as i32,
                    skill: q.skill.clone(),
                    waiting: q.waiting,
                    longest_wait: Some(to_duration(q.longest_wait)),
                    agents_available: q.agents_available,
                    average_wait: Some(to_duration(q.average_wait)),
                    average_handling: Some(to_duration(q.average_handling)),
                    handled: q.handled,
                    csat_average: q.satisfaction.average().unwrap_or(0.0),
                    csat_ratings: q.satisfaction.ratings.try_into().unwrap_or(u32::MAX),
                })
                .collect(),
        }))
    }

    async fn list_agents(
        &self,
        request: Request<pb::ListAgentsRequest>,
    ) -> Result<Response<pb::ListAgentsResponse>, Status> {
        supervisor(&request, "list agents")?;
        let agents = self
            .services
            .supervision
            .agent_figures()
            .await?
            .iter()
            .map(|f| pb::Agent {
                active_chats: f.active_chats,
                flagged_messages: f.flagged_messages,
                csat_average: f.satisfaction.average().unwrap_or(0.0),
                csat_ratings: f.satisfaction.ratings.try_into().unwrap_or(u32::MAX),
                ..agent_to_pb(&f.agent)
            })
            .collect();
        Ok(Response::new(pb::ListAgentsResponse { agents }))
    }

    async fn upsert_agent(
        &self,
        request: Request<pb::UpsertAgentRequest>,
    ) -> Result<Response<pb::UpsertAgentResponse>, Status> {
        supervisor(&request, "add or change agents")?;
        let r = request.into_inner();
        let agent = r
            .agent
            .ok_or_else(|| DomainError::invalid("agent", "is required"))?;
        let agent_id = agent.agent_id.clone();
        let patch = patch_from_pb(agent, r.update_mask)?;
        let saved = self.services.roster.patch(&agent_id, patch).await?;
        self.services.dispatcher.refresh_agent(&saved).await;
        Ok(Response::new(pb::UpsertAgentResponse {
            agent: Some(agent_to_pb(&saved)),
        }))
    }

    async fn check_message(
        &self,
        request: Request<pb::CheckMessageRequest>,
    ) -> Result<Response<pb::CheckMessageResponse>, Status> {
        supervisor(&request, "check a message against the lexicon")?;
        let matched_terms = self
            .services
            .conversation
            .moderate(&request.get_ref().text)?;
        Ok(Response::new(pb::CheckMessageResponse {
            flagged: !matched_terms.is_empty(),
            matched_terms,
        }))
    }

    type WatchFlagsStream = FlagStream;

    async fn watch_flags(
        &self,
        request: Request<pb::WatchFlagsRequest>,
    ) -> Result<Response<Self::WatchFlagsStream>, Status> {
        supervisor(&request, "watch abuse flags")?;
        let since = request
            .get_ref()
            .since
            .as_ref()
            .map(server_kit::time::from_timestamp);
        let flags = self
            .services
            .supervision
            .watch_flags(&self.services.flags, since)
            .await?;
        let dispatcher = self.services.dispatcher.clone();
        let stream = flags.then(move |item| {
            let dispatcher = dispatcher.clone();
            async move {
                match item {
                    Ok(flag) => Ok(pb::WatchFlagsResponse {
                        flagged: Some(flag_to_pb(&dispatcher, &flag).await),
                    }),
                    Err(e) => Err(Status::from(e)),
                }
            }
        });
        Ok(Response::new(self.services.shutdown.end_on_drain(stream)))
    }
}
