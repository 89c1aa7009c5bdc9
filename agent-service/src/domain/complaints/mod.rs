//! The complaint service: customers file complaints about agents who served them (never
//! the robot) with the conversation sealed as evidence; supervisors take them through
//! RECEIVED → IN_REVIEW → RESOLVED | REJECTED with every change audited; customers may
//! withdraw before a decision; agents read decided complaints about themselves. Times
//! come from the injectable clock, so deadlines and "overdue" follow it.

mod access;
mod complainable;
mod filing;

use std::sync::Arc;

use server_kit::clock::SharedClock;

pub use access::{Actor, Party};
pub use complainable::Complainable;
pub use filing::{FileRequest, Filed, robot_explanation};

use super::{
    DomainError, Ticket,
    complaint::{AuditEntry, Complaint, ComplaintStatus, Deadlines, Recourse, recourse},
    evidence::{self, Verification},
};
use crate::store::{ComplaintFilter, Store};

/// The default official complaint hotline.
pub const DEFAULT_HOTLINE: &str = "9510-8888";
/// Default and largest page of a list.
const PAGE_SIZE: (u32, u32) = (50, 100);

/// The complaint service's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplaintSettings {
    /// Acknowledge and decide deadlines.
    pub deadlines: Deadlines,
    /// The official complaint hotline quoted with decisions.
    pub hotline: String,
}

impl Default for ComplaintSettings {
    fn default() -> Self {
        Self {
            deadlines: Deadlines::default(),
            hotline: DEFAULT_HOTLINE.to_owned(),
        }
    }
}

/// A complaint as one actor is shown it at one instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplaintView {
    /// The complaint, redacted for the actor.
    pub complaint: Complaint,
    /// A deadline has passed without the step it demands.
    pub overdue: bool,
    /// Where to turn when not satisfied, once decided.
    pub recourse: Option<Recourse>,
}

/// Which complaints a list asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Only in this status.
    pub status: Option<ComplaintStatus>,
    /// Only about this agent (supervisors).
    pub agent_id: Option<String>,
    /// Only overdue ones (supervisors).
    pub overdue_only: bool,
    /// Page size; 0 = the default.
    pub page_size: u32,
    /// The previous page's token.
    pub page_token: String,
}

/// One page of complaints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// Newest first.
    pub complaints: Vec<ComplaintView>,
    /// Empty on the last page.
    pub next_page_token: String,
}

/// A supervisor's move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    /// IN_REVIEW, RESOLVED or REJECTED.
    pub to: ComplaintStatus,
    /// Why (audit trail).
    pub note: String,
    /// The decision text, required for RESOLVED and REJECTED.
    pub outcome: String,
}

/// The complaint service over the store.
#[derive(Clone)]
pub struct Complaints {
    store: Arc<dyn Store>,
    clock: SharedClock,
    settings: Arc<ComplaintSettings>,
}

impl Complaints {
    /// The service over `store`, timed by `clock`, with default settings.
    pub fn new(store: Arc<dyn Store>, clock: SharedClock) -> Self {
        Self {
            store,
            clock,
            settings: Arc::new(ComplaintSettings::default()),
        }
    }

    /// The same service with `settings`.
    pub fn with_settings(self, settings: ComplaintSettings) -> Self {
        Self {
            settings: Arc::new(settings),
            ..self
        }
    }

    /// One complaint, if the actor may read it.
    pub async fn get(&self, actor: &Actor, reference: &str) -> Result<ComplaintView, DomainError> {
        let complaint = self.readable(actor, reference).await?;
        Ok(self.view(actor, complaint))
    }

    /// The complaints the actor may see, filtered, newest first.
    pub async fn list(&self, actor: &Actor, query: &ListQuery) -> Result<Page, DomainError> {
        let limit = match query.page_size {
            0 => PAGE_SIZE.0,
            n => n.min(PAGE_SIZE.1),
        };
        if query.page_token.chars().count() > 64 {
            return Err(DomainError::invalid(
                "page_token",
                "is not a token this service gave",
            ));
        }
        let mut filter = ComplaintFilter {
            statuses: query.status.into_iter().collect(),
            before_reference: Some(query.page_token.clone()).filter(|t| !t.is_empty()),
            limit,
            ..Default::default()
        };
        match &actor.party {
            Party::Customer {
                customer_id,
                entrance,
            } => {
                filter.customer_id = Some(customer_id.clone());
                filter.entrance = Some(*entrance);
            }
            Party::OnBehalf { customer_id } => filter.customer_id = Some(customer_id.clone()),
            Party::Supervisor => {
                filter.agent_id = query.agent_id.clone().filter(|a| !a.is_empty());
                filter.overdue_at = query.overdue_only.then(|| self.clock.now());
            }
            Party::Agent { agent_id } => {
                filter.agent_id = Some(agent_id.clone());
                filter.statuses = access::decided_among(query.status);
                if filter.statuses.is_empty() {
                    return Ok(Page {
                        complaints: Vec::new(),
                        next_page_token: String::new(),
                    });
                }
            }
        }
        let complaints = self.store.complaints(&filter).await?;
        let next_page_token = match complaints.last() {
            Some(last) if complaints.len() == limit as usize => last.reference.clone(),
            _ => String::new(),
        };
        Ok(Page {
            complaints: complaints
                .into_iter()
                .map(|c| self.view(actor, c))
                .collect(),
            next_page_token,
        })
    }

    /// A supervisor moves a complaint forward; the change is audited.
    pub async fn review(
        &self,
        actor: &Actor,
        reference: &str,
        review: &Review,
    ) -> Result<ComplaintView, DomainError> {
        if actor.party != Party::Supervisor {
            return Err(DomainError::Forbidden(format!(
                "role '{}' may not review complaints; only supervisors may",
                actor.role
            )));
        }
        use ComplaintStatus::*;
        if !matches!(review.to, InReview | Resolved | Rejected) {
            return Err(DomainError::invalid(
                "to",
                "must be IN_REVIEW, RESOLVED or REJECTED",
            ));
        }
        super::complaint::validate_note("note", &review.note)?;
        super::complaint::validate_note("outcome", &review.outcome)?;
        let outcome = review.outcome.trim();
        if review.to.is_decided() && outcome.is_empty() {
            return Err(DomainError::invalid(
                "outcome",
                format!("is required to move a complaint to {}", review.to),
            ));
        }
        let current = self.readable(actor, reference).await?;
        if !current.status.supervisor_may_move_to(review.to) {
            let hint = if current.status == Received && review.to.is_decided() {
                "; take it into review (IN_REVIEW) first, so the audit trail shows the review"
            } else {
                ""
            };
            return Err(DomainError::WrongState(format!(
                "complaint {reference} is {}; it cannot move to {}{hint}",
                current.status, review.to
            )));
        }
        let outcome = review.to.is_decided().then_some(outcome);
        self.change(actor, &current, review.to, &review.note, outcome)
            .await
    }

    /// The customer (or a service on their behalf) withdraws a complaint before a
    /// decision; withdrawing it again returns it unchanged.
    pub async fn withdraw(
        &self,
        actor: &Actor,
        reference: &str,
        note: &str,
    ) -> Result<ComplaintView, DomainError> {
        actor.customer("withdraw complaints")?;
        super::complaint::validate_note("note", note)?;
        let current = self.readable(actor, reference).await?;
        match current.status {
            ComplaintStatus::Withdrawn => Ok(self.view(actor, current)),
            s if s.is_decided() => Err(DomainError::WrongState(format!(
                "complaint {reference} was already decided ({s}); it can no longer be withdrawn"
            ))),
            _ => {
                self.change(actor, &current, ComplaintStatus::Withdrawn, note, None)
                    .await
            }
        }
    }

    /// Recomputes the evidence chain from the messages as stored now.
    pub async fn verify(
        &self,
        actor: &Actor,
        reference: &str,
    ) -> Result<Verification, DomainError> {
        let complaint = self.readable(actor, reference).await?;
        let links = self.store.evidence_links(reference).await?;
        let transcript = self.store.transcript(&complaint.ticket_id).await?;
        let events = self.store.events_after(&complaint.ticket_id, 0).await?;
        let items = filing::evidence_items(&complaint.ticket_id, &transcript, &events);
        let verification = evidence::verify(&links, &complaint.evidence_digest, &items);
        if !verification.intact {
            tracing::warn!(
                complaint = %reference,
                message = ?verification.first_mismatch,
                detail = %verification.detail,
                "complaint evidence no longer matches the stored transcript"
            );
        }
        Ok(verification)
    }

    async fn change(
        &self,
        actor: &Actor,
        current: &Complaint,
        to: ComplaintStatus,
        note: &str,
        outcome: Option<&str>,
    ) -> Result<ComplaintView, DomainError> {
        let entry = AuditEntry {
            actor_id: actor.id.clone(),
            actor_role: actor.role.clone(),
            at: self.clock.now(),
            from: Some(current.status),
            to,
            note: note.trim().to_owned(),
        };
        let changed = self
            .store
            .change_complaint_status(&current.reference, current.status, &entry, outcome)
            .await?
            .ok_or_else(|| {
                DomainError::WrongState(format!(
                    "complaint {} changed while this was decided; read it again",
                    current.reference
                ))
            })?;
        tracing::info!(
            complaint = %changed.reference,
            from = %current.status,
            to = %to,
            actor = %actor.id,
            role = %actor.role,
            "complaint status changed"
        );
        Ok(self.view(actor, changed))
    }

    async fn readable(&self, actor: &Actor, reference: &str) -> Result<Complaint, DomainError> {
        if reference.trim().is_empty() {
            return Err(DomainError::invalid("reference", "is required"));
        }
        let complaint = self
            .store
            .complaint(reference.trim())
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("no complaint '{reference}'")))?;
        actor.check_read(&complaint)?;
        Ok(complaint)
    }

    async fn ticket(&self, ticket_id: &str) -> Result<Ticket, DomainError> {
        self.store
            .ticket(ticket_id)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("no ticket '{ticket_id}'")))
    }

    fn view(&self, actor: &Actor, complaint: Complaint) -> ComplaintView {
        ComplaintView {
            overdue: complaint.is_overdue(self.clock.now()),
            recourse: complaint.status.is_decided().then(|| {
                recourse(
                    &self.settings.hotline,
                    complaint.entrance,
                    complaint.language,
                )
            }),
            complaint: actor.redact(complaint),
        }
    }
}
