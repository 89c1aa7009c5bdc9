//! `honeydesk.agent.v1.ComplaintService`: complaint intake and review. Decodes who the
//! caller is — a consumer or merchant for themselves at their entrance, a service for
//! the customer it names, a supervisor, an agent — and leaves every rule to the domain.

mod wire;

use honeydesk_proto::agent::v1::{self as pb, complaint_service_server::ComplaintService};
use server_kit::{Caller, Role};
use tonic::{Request, Response, Status};

use self::wire::{
    category_from_pb, complainable_to_pb, complaint_to_pb, status_from_pb, verification_to_pb,
};
use super::{
    Services,
    convert::{entrance_from_pb, language_from_pb},
};
use crate::domain::{
    DomainError, Entrance,
    complaints::{Actor, FileRequest, ListQuery, Party, Review},
    ticket::require_id,
};

/// Who may file, withdraw and list complainable conversations.
const CUSTOMER_SIDE: [Role; 3] = [Role::Consumer, Role::Merchant, Role::Service];
/// Who may read.
const READERS: [Role; 5] = Role::ALL;

/// The complaint API.
pub struct ComplaintApi {
    services: Services,
}

impl ComplaintApi {
    /// A complaint API over the domain `services`.
    pub fn new(services: Services) -> Self {
        Self { services }
    }
}

/// The caller as a complaint party. Customers act for themselves (a `customer_id`, if
/// sent, must be theirs); a service must name the customer.
fn actor<T>(
    request: &Request<T>,
    allowed: &[Role],
    action: &str,
    customer_id: &str,
) -> Result<Actor, Status> {
    let caller = Caller::of(request, allowed, action)?;
    let party = match caller.role {
        Role::Consumer | Role::Merchant => {
            if !customer_id.is_empty() && customer_id != caller.subject {
                return Err(DomainError::Forbidden(format!(
                    "customer_id: a {} acts only for themselves ({})",
                    caller.role, caller.subject
                ))
                .into());
            }
            Party::Customer {
                customer_id: caller.subject.clone(),
                entrance: if caller.role == Role::Consumer {
                    Entrance::Consumer
                } else {
                    Entrance::Merchant
                },
            }
        }
        Role::Service => {
            if customer_id.is_empty() {
                return Err(DomainError::invalid(
                    "customer_id",
                    "is required with the service role: name the customer you act for",
                )
                .into());
            }
            require_id("customer_id", customer_id)?;
            Party::OnBehalf {
                customer_id: customer_id.to_owned(),
            }
        }
        Role::Supervisor => Party::Supervisor,
        Role::Agent => Party::Agent {
            agent_id: caller.subject.clone(),
        },
    };
    Ok(Actor {
        id: caller.subject,
        role: caller.role.as_str().to_owned(),
        party,
    })
}

#[tonic::async_trait]
impl ComplaintService for ComplaintApi {
    async fn file_complaint(
        &self,
        request: Request<pb::FileComplaintRequest>,
    ) -> Result<Response<pb::FileComplaintResponse>, Status> {
        let r = request.get_ref();
        let actor = actor(&request, &CUSTOMER_SIDE, "file complaints", &r.customer_id)?;
        let filing = FileRequest {
            idempotency_key: r.idempotency_key.clone(),
            ticket_id: r.ticket_id.clone(),
            agent_work_number: r.agent_work_number.clone(),
            category: category_from_pb(r.category)?,
            description: r.description.clone(),
            highlighted_message_ids: r.highlighted_message_ids.clone(),
            language: language_from_pb(r.language, "language")?,
        };
        let filed = self.services.complaints.file(&actor, &filing).await?;
        Ok(Response::new(pb::FileComplaintResponse {
            complaint: Some(complaint_to_pb(&filed.view)),
            created: filed.created,
        }))
    }

    async fn get_complaint(
        &self,
        request: Request<pb::GetComplaintRequest>,
    ) -> Result<Response<pb::GetComplaintResponse>, Status> {
        let r = request.get_ref();
        let actor = actor(&request, &READERS, "read complaints", &r.customer_id)?;
        let view = self.services.complaints.get(&actor, &r.reference).await?;
        Ok(Response::new(pb::GetComplaintResponse {
            complaint: Some(complaint_to_pb(&view)),
        }))
    }

    async fn list_complaints(
        &self,
        request: Request<pb::ListComplaintsRequest>,
    ) -> Result<Response<pb::ListComplaintsResponse>, Status> {
        let r = request.get_ref();
        let actor = actor(&request, &READERS, "list complaints", &r.customer_id)?;
        let query = ListQuery {
            status: status_from_pb(r.status, "status")?,
            agent_id: Some(r.agent_id.clone()).filter(|a| !a.is_empty()),
            overdue_only: r.overdue_only,
            page_size: r.page_size,
            page_token: r.page_token.clone(),
        };
        let page = self.services.complaints.list(&actor, &query).await?;
        Ok(Response::new(pb::ListComplaintsResponse {
            complaints: page.complaints.iter().map(complaint_to_pb).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn review_complaint(
        &self,
        request: Request<pb::ReviewComplaintRequest>,
    ) -> Result<Response<pb::ReviewComplaintResponse>, Status> {
        let actor = actor(&request, &[Role::Supervisor], "review complaints", "")?;
        let r = request.into_inner();
        let review = Review {
            to: status_from_pb(r.to, "to")?.ok_or_else(|| {
                DomainError::invalid("to", "must be IN_REVIEW, RESOLVED or REJECTED")
            })?,
            note: r.note,
            outcome: r.outcome,
        };
        let view = self
            .services
            .complaints
            .review(&actor, &r.reference, &review)
            .await?;
        Ok(Response::new(pb::ReviewComplaintResponse {
            complaint: Some(complaint_to_pb(&view)),
        }))
    }

    async fn withdraw_complaint(
        &self,
        request: Request<pb::WithdrawComplaintRequest>,
    ) -> Result<Response<pb::WithdrawComplaintResponse>, Status> {
        let r = request.get_ref();
        let actor = actor(
            &request,
            &CUSTOMER_SIDE,
            "withdraw complaints",
            &r.customer_id,
        )?;
        let view = self
            .services
            .complaints
            .withdraw(&actor, &r.reference, &r.note)
            .await?;
        Ok(Response::new(pb::WithdrawComplaintResponse {
            complaint: Some(complaint_to_pb(&view)),
        }))
    }

    async fn verify_evidence(
        &self,
        request: Request<pb::VerifyEvidenceRequest>,
    ) -> Result<Response<pb::VerifyEvidenceResponse>, Status> {
        let r = request.get_ref();
        let actor = actor(
            &request,
            &READERS,
            "verify complaint evidence",
            &r.customer_id,
        )?;
        let verification = self
            .services
            .complaints
            .verify(&actor, &r.reference)
            .await?;
        Ok(Response::new(verification_to_pb(verification)))
    }

    async fn list_complainable_tickets(
        &self,
        request: Request<pb::ListComplainableTicketsRequest>,
    ) -> Result<Response<pb::ListComplainableTicketsResponse>, Status> {
        let r = request.get_ref();
        let actor = actor(
            &request,
            &CUSTOMER_SIDE,
            "list complainable conversations",
            &r.customer_id,
        )?;
        let entrance = match r.entrance {
            0 => None,
            raw => Some(entrance_from_pb(raw, "entrance")?),
        };
        let tickets = self
            .services
            .complaints
            .complainable(&actor, entrance)
            .await?;
        Ok(Response::new(pb::ListComplainableTicketsResponse {
            tickets: tickets.iter().map(complainable_to_pb).collect(),
        }))
    }
}
