//! [`FeedbackLog`] over gRPC: the robot's unanswered questions and answer ratings kept in
//! agent-service's store (`RobotFeedbackService`), so they survive restarts and every
//! bot-service replica adds to one set of figures. Recording runs in the background of a
//! turn; a write retried after a lost answer may count once more (these are figures,
//! not money).

use std::time::SystemTime;

use async_trait::async_trait;
use honeydesk_proto::agent::v1::{
    self as pb, robot_feedback_service_client::RobotFeedbackServiceClient,
};
use server_kit::time::from_timestamp;
use tonic::transport::Channel;

use super::AgentServiceClient;
use crate::{
    engine::stats::{FeedbackLog, IntentRatings, Unanswered, rating_deltas},
    handoff::{
        HandoffError,
        wire::{entrance_from_pb, entrance_to_pb},
    },
    vocabulary::Entrance,
};

impl AgentServiceClient {
    fn feedback(&self) -> RobotFeedbackServiceClient<Channel> {
        RobotFeedbackServiceClient::new(self.link.channel())
    }
}

#[async_trait]
impl FeedbackLog for AgentServiceClient {
    async fn unanswered(
        &self,
        entrance: Entrance,
        normalised: String,
        _at: SystemTime,
    ) -> Result<(), HandoffError> {
        let message = pb::RecordUnansweredRequest {
            entrance: entrance_to_pb(entrance) as i32,
            text: normalised,
        };
        self.idempotent("unanswered question", || {
            let request = self.request(message.clone());
            let mut client = self.feedback();
            async move { client.record_unanswered(request).await }
        })
        .await
        .map(|_| ())
    }

    async fn rate(
        &self,
        intent: &str,
        helpful: bool,
        previous: Option<bool>,
    ) -> Result<(), HandoffError> {
        let (helpful_delta, not_helpful_delta) = rating_deltas(helpful, previous);
        let message = pb::RecordReplyRatingRequest {
            intent: intent.to_owned(),
            helpful_delta,
            not_helpful_delta,
        };
        self.idempotent("answer rating", || {
            let request = self.request(message.clone());
            let mut client = self.feedback();
            async move { client.record_reply_rating(request).await }
        })
        .await
        .map(|_| ())
    }

    async fn top_unanswered(
        &self,
        entrance: Option<Entrance>,
        limit: usize,
    ) -> Result<Vec<Unanswered>, HandoffError> {
        let message = pb::ListUnansweredQuestionsRequest {
            entrance: entrance.map_or(0, |e| entrance_to_pb(e) as i32),
            limit: u32::try_from(limit).unwrap_or(u32::MAX),
        };
        let response = self
            .idempotent("unanswered questions", || {
                let request = self.request(message);
                let mut client = self.feedback();
                async move { client.list_unanswered_questions(request).await }
            })
            .await?;
        Ok(response
            .questions
            .into_iter()
            .filter_map(|q| {
                Some(Unanswered {
                    entrance: entrance_from_pb(q.entrance)?,
                    count: q.count,
                    last_seen: q
                        .last_seen
                        .as_ref()
                        .map_or(std::time::UNIX_EPOCH, from_timestamp),
                    text: q.text,
                })
            })
            .collect())
    }

    async fn ratings(&self) -> Result<Vec<IntentRatings>, HandoffError> {
        let response = self
            .idempotent("answer ratings", || {
                let request = self.request(pb::ListReplyRatingsRequest {});
                let mut client = self.feedback();
                async move { client.list_reply_ratings(request).await }
            })
            .await?;
        Ok(response
            .ratings
            .into_iter()
            .map(|r| IntentRatings {
                intent: r.intent,
                helpful: r.helpful,
                not_helpful: r.not_helpful,
            })
            .collect())
    }
}
