//! A decorator around any [`Store`]: every operation runs in a `store` span (exported
//! with the call's trace when traces are on) and its duration is recorded by operation
//! and outcome, in one place instead of in every method. It also carries an [`Outage`]
//! switch, so a test can make the store unreachable after start-up without a database
//! server to stop (PostgreSQL tests stop the real thing instead).

use std::{
    collections::HashMap,
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Instant, SystemTime},
};

use async_trait::async_trait;
use tracing::{Instrument, Span};

use super::{
    Appended, ChatStore, ComplaintCounts, ComplaintFilter, ComplaintStore, CreateOutcome,
    FeedbackStore, FileOutcome, Moved, NewComplaint, OfferStore, OpenTicket, QueuePosition, Rating,
    RatingTotal, ReplyRatingCount, Store, StoreError, Taken, TicketStore, TicketTimes, Transition,
    UnansweredCount,
};
use crate::{
    domain::{
        Agent, AgentProfile, CloseReason, Entrance, Escalation, EventKind, Presence, Ticket,
        TicketEvent, TranscriptLine,
        complaint::{AuditEntry, Complaint, ComplaintStatus},
        evidence::Link,
        routing::{Offer, OfferProblem},
    },
    metrics::AgentMetrics,
};

/// A switch that makes an [`Instrumented`] store fail every operation with
/// [`StoreError::Unavailable`] while it is down. Cheap to clone; clones share the state.
#[derive(Clone, Debug, Default)]
pub struct Outage {
    down: Arc<AtomicBool>,
}

impl Outage {
    /// Takes the store away (`true`) or gives it back.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }
}

/// The decorated store.
pub struct Instrumented {
    inner: Arc<dyn Store>,
    metrics: AgentMetrics,
    outage: Outage,
}

impl Instrumented {
    /// `inner`, measured into `metrics`, switched by `outage`.
    pub fn new(inner: Arc<dyn Store>, metrics: AgentMetrics, outage: Outage) -> Self {
        Self {
            inner,
            metrics,
            outage,
        }
    }

    async fn run<T>(
        &self,
        operation: &'static str,
        work: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        if self.outage.is_down() {
            return Err(StoreError::Unavailable("the store is switched off".into()));
        }
        let span = if server_kit::telemetry::traces_enabled() {
            tracing::info_span!(
                "store",
                otel.name = %format_args!("store.{operation}"),
                otel.kind = "client",
                db.operation.name = operation,
            )
        } else {
            Span::none()
        };
        let started = Instant::now();
        let result = work.instrument(span).await;
        self.metrics
            .store_operation(operation, result.is_ok(), started.elapsed());
        result
    }
}

#[async_trait]
impl Store for Instrumented {
    async fn ping(&self) -> Result<(), StoreError> {
        self.run("ping", self.inner.ping()).await
    }
    async fn upsert_agent(&self, p: &AgentProfile, now: SystemTime) -> Result<Agent, StoreError> {
        self.run("upsert_agent", self.inner.upsert_agent(p, now))
            .await
    }
    async fn agent(&self, agent_id: &str) -> Result<Option<Agent>, StoreError> {
        self.run("agent", self.inner.agent(agent_id)).await
    }
    async fn agents(&self) -> Result<Vec<Agent>, StoreError> {
        self.run("agents", self.inner.agents()).await
    }
    async fn set_presence(
        &self,
        agent_id: &str,
        presence: Presence,
        at: SystemTime,
    ) -> Result<Option<Agent>, StoreError> {
        let work = self.inner.set_presence(agent_id, presence, at);
        self.run("set_presence", work).await
    }
}

#[async_trait]
impl TicketStore for Instrumented {
    async fn create_ticket(
        &self,
        ticket_id: &str,
        request: &Escalation,
        digest: &str,
        at: SystemTime,
    ) -> Result<CreateOutcome, StoreError> {
        let work = self.inner.create_ticket(ticket_id, request, digest, at);
        self.run("create_ticket", work).await
    }
    async fn ticket(&self, ticket_id: &str) -> Result<Option<Ticket>, StoreError> {
        self.run("ticket", self.inner.ticket(ticket_id)).await
    }
    async fn open_ticket_for(
        &self,
        customer_id: &str,
        entrance: Entrance,
    ) -> Result<Option<Ticket>, StoreError> {
        let work = self.inner.open_ticket_for(customer_id, entrance);
        self.run("open_ticket_for", work).await
    }
    async fn transcript(&self, ticket_id: &str) -> Result<Vec<TranscriptLine>, StoreError> {
        self.run("transcript", self.inner.transcript(ticket_id))
            .await
    }
    async fn close_ticket(
        &self,
        ticket_id: &str,
        reason: CloseReason,
        notice: &str,
        at: SystemTime,
    ) -> Result<Option<Transition>, StoreError> {
        let work = self.inner.close_ticket(ticket_id, reason, notice, at);
        self.run("close_ticket", work).await
    }
    async fn queue_position(&self, ticket_id: &str) -> Result<Option<QueuePosition>, StoreError> {
        self.run("queue_position", self.inner.queue_position(ticket_id))
            .await
    }
    async fn append_event(
        &self,
        ticket_id: &str,
        at: SystemTime,
        kind: &EventKind,
    ) -> Result<Option<TicketEvent>, StoreError> {
        let work = self.inner.append_event(ticket_id, at, kind);
        self.run("append_event", work).await
    }
    async fn events_after(
        &self,
        ticket_id: &str,
        after_sequence: u64,
    ) -> Result<Vec<TicketEvent>, StoreError> {
        let work = self.inner.events_after(ticket_id, after_sequence);
        self.run("events_after", work).await
    }
}

#[async_trait]
impl ChatStore for Instrumented {
    async fn open_tickets(&self) -> Result<Vec<OpenTicket>, StoreError> {
        self.run("open_tickets", self.inner.open_tickets()).await
    }
    async fn assign_ticket(
        &self,
        ticket_id: &str,
        agent_id: &str,
        at: SystemTime,
    ) -> Result<Option<Transition>, StoreError> {
        let work = self.inner.assign_ticket(ticket_id, agent_id, at);
        self.run("assign_ticket", work).await
    }
    async fn transfer_ticket(
        &self,
        ticket_id: &str,
        from_agent: &str,
        to_skill: &str,
        to_agent: Option<&str>,
        note: &str,
        at: SystemTime,
    ) -> Result<Option<Moved>, StoreError> {
        let work = self
            .inner
            .transfer_ticket(ticket_id, from_agent, to_skill, to_agent, note, at);
        self.run("transfer_ticket", work).await
    }
    async fn clear_target(&self, ticket_id: &str) -> Result<(), StoreError> {
        self.run("clear_target", self.inner.clear_target(ticket_id))
            .await
    }
    async fn append_chat(
        &self,
        ticket_id: &str,
        at: SystemTime,
        kind: &EventKind,
        agent_guard: Option<&str>,
    ) -> Result<Option<Appended>, StoreError> {
        let work = self.inner.append_chat(ticket_id, at, kind, agent_guard);
        self.run("append_chat", work).await
    }
    async fn rate_ticket(&self, rating: &Rating) -> Result<Rating, StoreError> {
        self.run("rate_ticket", self.inner.rate_ticket(rating))
            .await
    }
    async fn rating(&self, ticket_id: &str) -> Result<Option<Rating>, StoreError> {
        self.run("rating", self.inner.rating(ticket_id)).await
    }
    async fn ticket_times(&self, since: SystemTime) -> Result<Vec<TicketTimes>, StoreError> {
        self.run("ticket_times", self.inner.ticket_times(since))
            .await
    }
    async fn rating_totals(&self, since: SystemTime) -> Result<Vec<RatingTotal>, StoreError> {
        self.run("rating_totals", self.inner.rating_totals(since))
            .await
    }
    async fn flag_counts(&self) -> Result<HashMap<String, u64>, StoreError> {
        self.run("flag_counts", self.inner.flag_counts()).await
    }
    async fn flagged_since(
        &self,
        since: SystemTime,
        limit: u32,
    ) -> Result<Vec<TicketEvent>, StoreError> {
        self.run("flagged_since", self.inner.flagged_since(since, limit))
            .await
    }
}

#[async_trait]
impl FeedbackStore for Instrumented {
    async fn record_unanswered(
        &self,
        entrance: Entrance,
        text: &str,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        let work = self.inner.record_unanswered(entrance, text, at);
        self.run("record_unanswered", work).await
    }
    async fn top_unanswered(
        &self,
        entrance: Option<Entrance>,
        limit: u32,
    ) -> Result<Vec<UnansweredCount>, StoreError> {
        let work = self.inner.top_unanswered(entrance, limit);
        self.run("top_unanswered", work).await
    }
    async fn add_reply_rating(
        &self,
        intent: &str,
        helpful: i64,
        not_helpful: i64,
    ) -> Result<(), StoreError> {
        let work = self.inner.add_reply_rating(intent, helpful, not_helpful);
        self.run("add_reply_rating", work).await
    }
    async fn reply_ratings(&self) -> Result<Vec<ReplyRatingCount>, StoreError> {
        self.run("reply_ratings", self.inner.reply_ratings()).await
    }
}

#[async_trait]
impl ComplaintStore for Instrumented {
    async fn file_complaint(&self, new: &NewComplaint) -> Result<FileOutcome, StoreError> {
        self.run("file_complaint", self.inner.file_complaint(new))
            .await
    }
    async fn complaint(&self, reference: &str) -> Result<Option<Complaint>, StoreError> {
        self.run("complaint", self.inner.complaint(reference)).await
    }
    async fn complaints(&self, filter: &ComplaintFilter) -> Result<Vec<Complaint>, StoreError> {
        self.run("complaints", self.inner.complaints(filter)).await
    }
    async fn change_complaint_status(
        &self,
        reference: &str,
        from: ComplaintStatus,
        entry: &AuditEntry,
        outcome: Option<&str>,
    ) -> Result<Option<Complaint>, StoreError> {
        let work = self
            .inner
            .change_complaint_status(reference, from, entry, outcome);
        self.run("change_complaint_status", work).await
    }
    async fn evidence_links(&self, reference: &str) -> Result<Vec<Link>, StoreError> {
        self.run("evidence_links", self.inner.evidence_links(reference))
            .await
    }
    async fn complaint_counts(&self, now: SystemTime) -> Result<ComplaintCounts, StoreError> {
        self.run("complaint_counts", self.inner.complaint_counts(now))
            .await
    }
    async fn served_tickets(
        &self,
        customer_id: &str,
        entrance: Entrance,
        limit: u32,
    ) -> Result<Vec<crate::domain::Ticket>, StoreError> {
        let work = self.inner.served_tickets(customer_id, entrance, limit);
        self.run("served_tickets", work).await
    }
}

#[async_trait]
impl OfferStore for Instrumented {
    async fn record_offers(&self, offers: &[Offer], at: SystemTime) -> Result<(), StoreError> {
        let work = self.inner.record_offers(offers, at);
        self.run("record_offers", work).await
    }
    async fn end_offers(
        &self,
        ended: &[(Offer, String)],
        at: SystemTime,
    ) -> Result<usize, StoreError> {
        self.run("end_offers", self.inner.end_offers(ended, at))
            .await
    }
    async fn end_open_offers(&self, reason: &str, at: SystemTime) -> Result<usize, StoreError> {
        let work = self.inner.end_open_offers(reason, at);
        self.run("end_open_offers", work).await
    }
    async fn open_offers(&self) -> Result<Vec<Offer>, StoreError> {
        self.run("open_offers", self.inner.open_offers()).await
    }
    async fn accept_offer(
        &self,
        offer_id: &str,
        agent_id: &str,
        at: SystemTime,
    ) -> Result<Taken, StoreError> {
        let work = self.inner.accept_offer(offer_id, agent_id, at);
        self.run("accept_offer", work).await
    }
    async fn decline_offer(
        &self,
        offer_id: &str,
        agent_id: &str,
        reason: &str,
        at: SystemTime,
    ) -> Result<Result<Offer, OfferProblem>, StoreError> {
        let work = self.inner.decline_offer(offer_id, agent_id, reason, at);
        self.run("decline_offer", work).await
    }
    async fn routed_ticket(&self, ticket_id: &str) -> Result<Option<OpenTicket>, StoreError> {
        self.run("routed_ticket", self.inner.routed_ticket(ticket_id))
            .await
    }
    async fn announce_agent(&self, agent_id: &str) -> Result<(), StoreError> {
        self.run("announce_agent", self.inner.announce_agent(agent_id))
            .await
    }
}
