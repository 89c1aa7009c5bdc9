//! [`ComplaintDesk`] over gRPC: agent-service's `ComplaintService`, called with the
//! robot's service identity on behalf of the session's customer, over the same link
//! (deadline, retries, request id) as the ticket calls. Every call is safe to retry:
//! listing reads, and filing is idempotent by key.

use async_trait::async_trait;
use honeydesk_proto::agent::v1::{self as pb, complaint_service_client::ComplaintServiceClient};
use server_kit::time::from_timestamp;
use tonic::transport::Channel;

use super::AgentServiceClient;
use crate::{
    complaints::{
        Category, Complainable, ComplaintDesk, Filed, Filing, Standing,
        status::{MAX_LISTED, MyComplaint, Progress},
    },
    handoff::{
        AgentCard, HandoffError,
        wire::{entrance_from_pb, entrance_to_pb, language_to_pb},
    },
    vocabulary::Entrance,
};

impl AgentServiceClient {
    fn complaints(&self) -> ComplaintServiceClient<Channel> {
        ComplaintServiceClient::new(self.link.channel())
    }
}

fn category_to_pb(c: Category) -> pb::ComplaintCategory {
    match c {
        Category::AbusiveLanguage => pb::ComplaintCategory::AbusiveLanguage,
        Category::RudeAttitude => pb::ComplaintCategory::RudeAttitude,
        Category::WrongInformation => pb::ComplaintCategory::WrongInformation,
        Category::SlowOrNoResponse => pb::ComplaintCategory::SlowOrNoResponse,
        Category::Other => pb::ComplaintCategory::Other,
    }
}

fn progress_from_pb(status: i32) -> Option<Progress> {
    match pb::ComplaintStatus::try_from(status).ok()? {
        pb::ComplaintStatus::Received => Some(Progress::Received),
        pb::ComplaintStatus::InReview => Some(Progress::InReview),
        pb::ComplaintStatus::Resolved => Some(Progress::Resolved),
        pb::ComplaintStatus::Rejected => Some(Progress::Rejected),
        pb::ComplaintStatus::Withdrawn => Some(Progress::Withdrawn),
        pb::ComplaintStatus::Unspecified => None,
    }
}

fn mine_from_pb(c: pb::Complaint) -> Option<MyComplaint> {
    Some(MyComplaint {
        entrance: entrance_from_pb(c.entrance)?,
        progress: progress_from_pb(c.status)?,
        filed_at: when(c.filed_at.as_ref()),
        acknowledge_by: when(c.acknowledge_by.as_ref()),
        decide_by: when(c.decide_by.as_ref()),
        agent: card(c.agent),
        reference: c.reference,
        overdue: c.overdue,
        outcome: c.outcome,
    })
}

fn card(c: Option<pb::AgentCard>) -> Option<AgentCard> {
    c.map(|c| AgentCard {
        work_number: c.work_number,
        display_name: c.display_name,
    })
}

fn when(t: Option<&prost_types::Timestamp>) -> std::time::SystemTime {
    t.map_or(std::time::UNIX_EPOCH, from_timestamp)
}

#[async_trait]
impl ComplaintDesk for AgentServiceClient {
    async fn complainable(
        &self,
        customer_id: &str,
        entrance: Entrance,
    ) -> Result<Vec<Complainable>, HandoffError> {
        let message = pb::ListComplainableTicketsRequest {
            customer_id: customer_id.to_owned(),
            entrance: entrance_to_pb(entrance) as i32,
        };
        let response = self
            .idempotent("complainable conversations", || {
                let request = self.request(message.clone());
                let mut client = self.complaints();
                async move { client.list_complainable_tickets(request).await }
            })
            .await?;
        Ok(response
            .tickets
            .into_iter()
            .filter_map(|t| {
                Some(Complainable {
                    started_at: when(t.started_at.as_ref()),
                    agent: card(t.agent)?,
                    ticket_id: t.ticket_id,
                    summary: t.summary,
                })
            })
            .collect())
    }

    async fn file(&self, filing: &Filing) -> Result<Filed, HandoffError> {
        let message = pb::FileComplaintRequest {
            idempotency_key: filing.idempotency_key.clone(),
            ticket_id: filing.ticket_id.clone(),
            customer_id: filing.customer_id.clone(),
            agent_work_number: String::new(),
            category: category_to_pb(filing.category) as i32,
            description: filing.description.clone(),
            highlighted_message_ids: filing.highlighted_message_ids.clone(),
            language: language_to_pb(filing.language) as i32,
        };
        let response = self
            .idempotent("complaint", || {
                let request = self.request(message.clone());
                let mut client = self.complaints();
                async move { client.file_complaint(request).await }
            })
            .await?;
        let complaint = response.complaint.ok_or_else(|| {
            HandoffError::Refused("agent-service answered without a complaint".into())
        })?;
        Ok(Filed {
            reference: complaint.reference,
            acknowledge_by: when(complaint.acknowledge_by.as_ref()),
            decide_by: when(complaint.decide_by.as_ref()),
            agent: card(complaint.agent),
            standing: match pb::ComplaintStatus::try_from(complaint.status) {
                Ok(pb::ComplaintStatus::Resolved) => Standing::Upheld(complaint.outcome),
                Ok(pb::ComplaintStatus::Rejected) => Standing::NotUpheld(complaint.outcome),
                Ok(pb::ComplaintStatus::Withdrawn) => Standing::Withdrawn,
                _ => Standing::Open,
            },
            highlighted_message_ids: complaint.highlighted_message_ids,
            created: response.created,
        })
    }

    async fn mine(&self, customer_id: &str) -> Result<Vec<MyComplaint>, HandoffError> {
        let message = pb::ListComplaintsRequest {
            customer_id: customer_id.to_owned(),
            page_size: (MAX_LISTED * 4) as u32,
            ..Default::default()
        };
        let response = self
            .idempotent("the customer's complaints", || {
                let request = self.request(message.clone());
                let mut client = self.complaints();
                async move { client.list_complaints(request).await }
            })
            .await?;
        Ok(response
            .complaints
            .into_iter()
            .filter_map(mine_from_pb)
            .collect())
    }
}
