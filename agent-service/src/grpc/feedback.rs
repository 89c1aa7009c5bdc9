//! `honeydesk.agent.v1.RobotFeedbackService`: bot-service (service role) records the
//! questions its robot could not answer and how users rated its answers; bot-service and
//! supervisors read the figures.

use honeydesk_proto::agent::v1::{self as pb, robot_feedback_service_server::RobotFeedbackService};
use server_kit::{Caller, Role, time::to_timestamp};
use tonic::{Request, Response, Status};

use super::{
    Services,
    convert::{entrance_from_pb, entrance_to_pb},
};

/// The feedback API.
pub struct FeedbackApi {
    services: Services,
}

impl FeedbackApi {
    /// A feedback API over the domain `services`.
    pub fn new(services: Services) -> Self {
        Self { services }
    }
}

const READERS: [Role; 2] = [Role::Service, Role::Supervisor];

#[tonic::async_trait]
impl RobotFeedbackService for FeedbackApi {
    async fn record_unanswered(
        &self,
        request: Request<pb::RecordUnansweredRequest>,
    ) -> Result<Response<pb::RecordUnansweredResponse>, Status> {
        Caller::of(&request, &[Role::Service], "record unanswered questions")?;
        let r = request.into_inner();
        let entrance = entrance_from_pb(r.entrance, "entrance")?;
        self.services
            .feedback
            .record_unanswered(entrance, &r.text)
            .await?;
        Ok(Response::new(pb::RecordUnansweredResponse {}))
    }

    async fn record_reply_rating(
        &self,
        request: Request<pb::RecordReplyRatingRequest>,
    ) -> Result<Response<pb::RecordReplyRatingResponse>, Status> {
        Caller::of(&request, &[Role::Service], "record answer ratings")?;
        let r = request.into_inner();
        self.services
            .feedback
            .rate(
                &r.intent,
                i64::from(r.helpful_delta),
                i64::from(r.not_helpful_delta),
            )
            .await?;
        Ok(Response::new(pb::RecordReplyRatingResponse {}))
    }

    async fn list_unanswered_questions(
        &self,
        request: Request<pb::ListUnansweredQuestionsRequest>,
    ) -> Result<Response<pb::ListUnansweredQuestionsResponse>, Status> {
        Caller::of(&request, &READERS, "read unanswered questions")?;
        let r = request.into_inner();
        let entrance = match r.entrance {
            0 => None,
            raw => Some(entrance_from_pb(raw, "entrance")?),
        };
        let questions = self
            .services
            .feedback
            .unanswered(entrance, r.limit)
            .await?
            .into_iter()
            .map(|u| pb::UnansweredQuestionCount {
                entrance: entrance_to_pb(u.entrance) as i32,
                count: u.count,
                last_seen: Some(to_timestamp(u.last_seen)),
                text: u.text,
            })
            .collect();
        Ok(Response::new(pb::ListUnansweredQuestionsResponse {
            questions,
        }))
    }

    async fn list_reply_ratings(
        &self,
        request: Request<pb::ListReplyRatingsRequest>,
    ) -> Result<Response<pb::ListReplyRatingsResponse>, Status> {
        Caller::of(&request, &READERS, "read answer ratings")?;
        let ratings = self
            .services
            .feedback
            .ratings()
            .await?
            .into_iter()
            .map(|r| pb::ReplyRatingCount {
                intent: r.intent,
                helpful: r.helpful,
                not_helpful: r.not_helpful,
            })
            .collect();
        Ok(Response::new(pb::ListReplyRatingsResponse { ratings }))
    }
}
