//! Complaint types on the wire: categories, statuses, complaints with their audit trail
//! and recourse, evidence verifications and complainable conversations.

use honeydesk_proto::agent::v1 as pb;
use server_kit::time::to_timestamp;

use super::super::convert::{card_to_pb, entrance_to_pb, language_to_pb};
use crate::domain::{
    DomainError,
    complaint::{AuditEntry, Category, ComplaintStatus},
    complaints::{Complainable, ComplaintView},
    evidence::Verification,
};

pub fn category_from_pb(raw: i32) -> Result<Category, DomainError> {
    use pb::ComplaintCategory as C;
    match C::try_from(raw) {
        Ok(C::AbusiveLanguage) => Ok(Category::AbusiveLanguage),
        Ok(C::RudeAttitude) => Ok(Category::RudeAttitude),
        Ok(C::WrongInformation) => Ok(Category::WrongInformation),
        Ok(C::SlowOrNoResponse) => Ok(Category::SlowOrNoResponse),
        Ok(C::Other) => Ok(Category::Other),
        _ => Err(DomainError::invalid(
            "category",
            "must be one of ABUSIVE_LANGUAGE, RUDE_ATTITUDE, WRONG_INFORMATION, \
             SLOW_OR_NO_RESPONSE, OTHER",
        )),
    }
}

fn category_to_pb(c: Category) -> pb::ComplaintCategory {
    use pb::ComplaintCategory as C;
    match c {
        Category::AbusiveLanguage => C::AbusiveLanguage,
        Category::RudeAttitude => C::RudeAttitude,
        Category::WrongInformation => C::WrongInformation,
        Category::SlowOrNoResponse => C::SlowOrNoResponse,
        Category::Other => C::Other,
    }
}

fn status_to_pb(s: ComplaintStatus) -> pb::ComplaintStatus {
    use pb::ComplaintStatus as S;
    match s {
        ComplaintStatus::Received => S::Received,
        ComplaintStatus::InReview => S::InReview,
        ComplaintStatus::Resolved => S::Resolved,
        ComplaintStatus::Rejected => S::Rejected,
        ComplaintStatus::Withdrawn => S::Withdrawn,
    }
}

/// `None` for UNSPECIFIED (no filter); INVALID_ARGUMENT naming `field` for unknown values.
pub fn status_from_pb(raw: i32, field: &str) -> Result<Option<ComplaintStatus>, DomainError> {
    use pb::ComplaintStatus as S;
    match S::try_from(raw) {
        Ok(S::Unspecified) => Ok(None),
        Ok(S::Received) => Ok(Some(ComplaintStatus::Received)),
        Ok(S::InReview) => Ok(Some(ComplaintStatus::InReview)),
        Ok(S::Resolved) => Ok(Some(ComplaintStatus::Resolved)),
        Ok(S::Rejected) => Ok(Some(ComplaintStatus::Rejected)),
        Ok(S::Withdrawn) => Ok(Some(ComplaintStatus::Withdrawn)),
        Err(_) => Err(DomainError::invalid(field, format!("unknown status {raw}"))),
    }
}

fn audit_to_pb(e: &AuditEntry) -> pb::AuditEntry {
    pb::AuditEntry {
        actor_id: e.actor_id.clone(),
        actor_role: e.actor_role.clone(),
        at: Some(to_timestamp(e.at)),
        from: e
            .from
            .map_or(pb::ComplaintStatus::Unspecified, status_to_pb) as i32,
        to: status_to_pb(e.to) as i32,
        note: e.note.clone(),
    }
}

pub fn complaint_to_pb(view: &ComplaintView) -> pb::Complaint {
    let c = &view.complaint;
    pb::Complaint {
        reference: c.reference.clone(),
        ticket_id: c.ticket_id.clone(),
        customer_id: c.customer_id.clone(),
        entrance: entrance_to_pb(c.entrance) as i32,
        agent: Some(card_to_pb(&c.agent)),
        agent_id: c.agent_id.clone(),
        category: category_to_pb(c.category) as i32,
        description: c.description.clone(),
        status: status_to_pb(c.status) as i32,
        outcome: c.outcome.clone(),
        filed_at: Some(to_timestamp(c.filed_at)),
        acknowledge_by: Some(to_timestamp(c.acknowledge_by)),
        decide_by: Some(to_timestamp(c.decide_by)),
        overdue: view.overdue,
        evidence_digest: c.evidence_digest.clone(),
        evidence_messages: c.evidence_messages,
        highlighted_message_ids: c.highlighted_message_ids.clone(),
        audit: c.audit.iter().map(audit_to_pb).collect(),
        recourse: view.recourse.as_ref().map(|r| pb::FurtherRecourse {
            hotline: r.hotline.clone(),
            consumer_hotline: r.consumer_hotline.clone(),
            text: r.text.clone(),
        }),
        language: language_to_pb(c.language) as i32,
    }
}

pub fn verification_to_pb(v: Verification) -> pb::VerifyEvidenceResponse {
    pb::VerifyEvidenceResponse {
        intact: v.intact,
        first_mismatch_message_id: v.first_mismatch.unwrap_or_default(),
        detail: v.detail,
        sealed_digest: v.sealed_digest,
        recomputed_digest: v.recomputed_digest,
    }
}

pub fn complainable_to_pb(c: &Complainable) -> pb::ComplainableTicket {
    pb::ComplainableTicket {
        ticket_id: c.ticket_id.clone(),
        agent: Some(card_to_pb(&c.agent)),
        started_at: Some(to_timestamp(c.started_at)),
        summary: c.summary.clone(),
    }
}
