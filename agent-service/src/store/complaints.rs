//! What the complaint service keeps: complaints with their audit trail and sealed
//! evidence links, references allocated per filing day, and the customer's tickets that
//! reached a person.

use std::time::SystemTime;

use async_trait::async_trait;

use super::StoreError;
use crate::domain::{
    Entrance, Ticket,
    complaint::{AuditEntry, Complaint, ComplaintStatus},
    evidence::Link,
};

/// A complaint to store: everything but its reference, which the store allocates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewComplaint {
    /// The complaint (status RECEIVED, its filing as the only audit entry, empty
    /// reference).
    pub complaint: Complaint,
    /// The caller's retry key.
    pub idempotency_key: String,
    /// SHA-256 of the canonical request: the same key with another digest is a misuse.
    pub request_digest: String,
    /// The sealed evidence chain, in transcript order.
    pub links: Vec<Link>,
}

/// What [`ComplaintStore::file_complaint`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileOutcome {
    /// Stored under a new reference.
    Created(Complaint),
    /// The key was used before for the same request: that complaint.
    Replayed(Complaint),
    /// The key was used before for another request: that complaint.
    KeyReused(Complaint),
    /// The customer already complained about that ticket: that complaint.
    AlreadyFiled(Complaint),
}

/// Which complaints to list; every set field must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComplaintFilter {
    /// Filed by this customer.
    pub customer_id: Option<String>,
    /// About a conversation at this entrance.
    pub entrance: Option<Entrance>,
    /// About this agent.
    pub agent_id: Option<String>,
    /// In one of these statuses (any when empty).
    pub statuses: Vec<ComplaintStatus>,
    /// Only those past a deadline at this instant.
    pub overdue_at: Option<SystemTime>,
    /// Only references before this one (the previous page's last).
    pub before_reference: Option<String>,
    /// At most this many.
    pub limit: u32,
}

/// How many complaints are in each status, and how many open ones are overdue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComplaintCounts {
    /// Per status (statuses with none are left out).
    pub by_status: Vec<(ComplaintStatus, u64)>,
    /// Received or in review, past a deadline.
    pub overdue: u64,
}

/// Complaints, newest first.
#[async_trait]
pub trait ComplaintStore: Send + Sync + 'static {
    /// Stores a complaint, its evidence links and its first audit entry in one
    /// transaction with a reference `TS-<filing day>-<that day's next number>`, unless
    /// the idempotency key was used before or the customer already complained about the
    /// ticket.
    async fn file_complaint(&self, new: &NewComplaint) -> Result<FileOutcome, StoreError>;
    /// One complaint with its audit trail.
    async fn complaint(&self, reference: &str) -> Result<Option<Complaint>, StoreError>;
    /// Complaints matching `filter`, newest first.
    async fn complaints(&self, filter: &ComplaintFilter) -> Result<Vec<Complaint>, StoreError>;
    /// Moves a complaint from `from` to `entry.to`, setting `outcome` when given, and
    /// appends `entry` to its audit trail. `None` when the complaint is unknown or no
    /// longer in `from` (nothing changed then).
    async fn change_complaint_status(
        &self,
        reference: &str,
        from: ComplaintStatus,
        entry: &AuditEntry,
        outcome: Option<&str>,
    ) -> Result<Option<Complaint>, StoreError>;
    /// The sealed evidence chain of a complaint, in order.
    async fn evidence_links(&self, reference: &str) -> Result<Vec<Link>, StoreError>;
    /// Complaints per status, and the open ones past a deadline at `now` (for metrics).
    async fn complaint_counts(&self, now: SystemTime) -> Result<ComplaintCounts, StoreError>;
    /// The customer's most recent tickets at `entrance` that an agent took, newest first.
    async fn served_tickets(
        &self,
        customer_id: &str,
        entrance: Entrance,
        limit: u32,
    ) -> Result<Vec<Ticket>, StoreError>;
}
