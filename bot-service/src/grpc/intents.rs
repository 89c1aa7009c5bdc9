//! `honeydesk.bot.v1.IntentService`: recognition on demand, catalogue reload, and what
//! the robot could not answer. Classify: service or supervisor; the rest: supervisor.

use std::sync::Arc;

use honeydesk_proto::bot::v1::{self as pb, intent_service_server::IntentService};
use server_kit::{Caller, Role, time::to_timestamp};
use tonic::{Request, Response, Status};

use super::convert::{entrance_from_pb, entrance_to_pb, kind_to_pb, language_to_pb};
use crate::engine::{BotError, Engine};

/// Candidates returned by Classify unless asked otherwise, and at most.
const DEFAULT_TOP_K: usize = 5;
const MAX_TOP_K: usize = 20;

/// The operators' API over the engine.
pub struct IntentApi {
    engine: Arc<Engine>,
}

impl IntentApi {
    /// An intent API for `engine`.
    pub fn new(engine: Arc<Engine>) -> Self {
        Self { engine }
    }
}

#[tonic::async_trait]
impl IntentService for IntentApi {
    async fn classify(
        &self,
        request: Request<pb::ClassifyRequest>,
    ) -> Result<Response<pb::ClassifyResponse>, Status> {
        Caller::of(
            &request,
            &[Role::Service, Role::Supervisor],
            "classify text",
        )?;
        let m = request.into_inner();
        let entrance = entrance_from_pb(m.entrance)?;
        if server_kit::text::is_blank(&m.text) {
            return Err(BotError::invalid("text", "must not be empty").into());
        }
        if m.text.chars().count() > 2000 {
            return Err(BotError::invalid("text", "must be at most 2000 characters").into());
        }
        let top_k = match m.top_k as usize {
            0 => DEFAULT_TOP_K,
            k if k > MAX_TOP_K => {
                return Err(
                    BotError::invalid("top_k", format!("must be at most {MAX_TOP_K}")).into(),
                );
            }
            k => k,
        };
        let c = self.engine.classify(entrance, &m.text, top_k);
        Ok(Response::new(pb::ClassifyResponse {
            language: language_to_pb(c.language) as i32,
            intents: c
                .ranked
                .iter()
                .map(|s| pb::ScoredIntent {
                    name: s.name.clone(),
                    kind: kind_to_pb(s.kind) as i32,
                    score: s.score,
                })
                .collect(),
            confident: c.confident,
            threshold: c.threshold,
        }))
    }

    async fn reload_catalogue(
        &self,
        request: Request<pb::ReloadCatalogueRequest>,
    ) -> Result<Response<pb::ReloadCatalogueResponse>, Status> {
        Caller::of(&request, &[Role::Supervisor], "reload the catalogue")?;
        let info = self.engine.reload()?;
        Ok(Response::new(pb::ReloadCatalogueResponse {
            intents: info.intents as u32,
            loaded_at: Some(to_timestamp(info.loaded_at)),
            digest: info.digest,
        }))
    }

    async fn list_unanswered(
        &self,
        request: Request<pb::ListUnansweredRequest>,
    ) -> Result<Response<pb::ListUnansweredResponse>, Status> {
        Caller::of(&request, &[Role::Supervisor], "read unanswered questions")?;
        let m = request.into_inner();
        let entrance = match m.entrance {
            0 => None,
            raw => Some(entrance_from_pb(raw)?),
        };
        let limit = match m.limit {
            0 => 20,
            l if l > 200 => return Err(BotError::invalid("limit", "must be at most 200").into()),
            l => l as usize,
        };
        let questions = self
            .engine
            .unanswered(entrance, limit)
            .await?
            .into_iter()
            .map(|u| pb::UnansweredQuestion {
                text: u.text,
                entrance: entrance_to_pb(u.entrance) as i32,
                count: u.count,
                last_seen: Some(to_timestamp(u.last_seen)),
            })
            .collect();
        Ok(Response::new(pb::ListUnansweredResponse { questions }))
    }

    async fn get_reply_ratings(
        &self,
        request: Request<pb::GetReplyRatingsRequest>,
    ) -> Result<Response<pb::GetReplyRatingsResponse>, Status> {
        Caller::of(&request, &[Role::Supervisor], "read reply ratings")?;
        let ratings = self
            .engine
            .reply_ratings()
            .await?
            .into_iter()
            .map(|r| pb::IntentRating {
                intent: r.intent,
                helpful: r.helpful,
                not_helpful: r.not_helpful,
            })
            .collect();
        Ok(Response::new(pb::GetReplyRatingsResponse { ratings }))
    }
}
