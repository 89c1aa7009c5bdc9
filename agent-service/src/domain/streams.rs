//! Live streams that survive reconnects. Every stored event of a ticket has a sequence
//! number; a stream first replays what the store holds after the caller's resume point,
//! then forwards live notices, de-duplicating by sequence and re-reading the store
//! whenever it sees a gap (or fell behind), so nothing is lost or sent twice. Streams end
//! when the ticket closes (customer side), the caller hangs up, or the server drains.

use std::{collections::BTreeMap, sync::Arc};

use server_kit::Shutdown;
use tokio::sync::mpsc;
use tokio_stream::{StreamExt, StreamMap, wrappers::ReceiverStream};

use super::{
    Agent, DomainError, EventKind, Ticket, TicketEvent, TicketStatus, TranscriptLine,
    hub::{AgentNotice, Lagged, Listener, TicketNotice},
    intake::{QueueStatus, owned_ticket},
    routing::{Dispatcher, Offer},
};
use crate::{metrics::AgentMetrics, store::Store};

/// Items queued per stream before the producer waits for the client.
const BUFFER: usize = 64;

/// What the customer's watch delivers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchItem {
    /// A stored event.
    Event(TicketEvent),
    /// Where the queued ticket stands now (not stored).
    Queue(QueueStatus),
}

/// An offer with what the agent needs to decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferView {
    /// The offer.
    pub offer: Offer,
    /// The ticket offered.
    pub ticket: Ticket,
    /// The robot conversation so far.
    pub transcript: Vec<TranscriptLine>,
}

/// What the agent's desk stream delivers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeskItem {
    /// A new offer.
    Offer(Box<OfferView>),
    /// An offer ended before it was answered.
    Withdrawn {
        /// The offer.
        offer_id: String,
        /// Why.
        reason: String,
    },
    /// A stored event of one of the agent's tickets.
    Event(TicketEvent),
    /// The agent's own state.
    Agent(Agent),
}

/// A stream of items or a failure.
pub type ItemStream<T> = ReceiverStream<Result<T, DomainError>>;

/// Opens the live streams.
#[derive(Clone)]
pub struct Streams {
    store: Arc<dyn Store>,
    dispatcher: Dispatcher,
    shutdown: Shutdown,
}

/// The events after `*last` that a notice (or a gap) calls for, moving `*last` on; a
/// live event that skips sequence numbers is a gap, counted as a `stream` resync.
async fn catch_up(
    store: &dyn Store,
    stream: (&AgentMetrics, &'static str),
    ticket_id: &str,
    last: &mut u64,
    live: Option<&TicketEvent>,
) -> Result<Vec<TicketEvent>, DomainError> {
    let events = match live {
        Some(e) if e.sequence <= *last => vec![],
        Some(e) if e.sequence == *last + 1 => vec![e.clone()],
        Some(_) => {
            stream.0.stream_resync(stream.1, "gap");
            store.events_after(ticket_id, *last).await?
        }
        None => store.events_after(ticket_id, *last).await?,
    };
    if let Some(e) = events.last() {
        *last = e.sequence;
    }
    Ok(events)
}

/// Sends or reports that the client is gone.
async fn send<T>(tx: &mpsc::Sender<Result<T, DomainError>>, item: T) -> bool {
    tx.send(Ok(item)).await.is_ok()
}

impl Streams {
    /// Streams over `store` and `dispatcher`'s notices, ending when `shutdown` drains.
    pub fn new(store: Arc<dyn Store>, dispatcher: Dispatcher, shutdown: Shutdown) -> Self {
        Self {
            store,
            dispatcher,
            shutdown,
        }
    }

    /// The customer's view of a ticket: every stored event after `after_sequence`, then
    /// live events and queue positions, until the ticket closes.
    pub async fn watch_ticket(
        &self,
        ticket_id: &str,
        customer_id: &str,
        after_sequence: u64,
    ) -> Result<ItemStream<WatchItem>, DomainError> {
        // Listen before reading the store, so nothing falls between the two.
        let mut notices = self.dispatcher.hub().listen_ticket(ticket_id);
        let ticket = owned_ticket(self.store.as_ref(), ticket_id, customer_id).await?;
        if ticket.status == TicketStatus::Closed && after_sequence >= ticket.last_sequence {
            // Everything, the close included, was seen before.
            return Ok(ReceiverStream::new(mpsc::channel(1).1));
        }
        let (tx, rx) = mpsc::channel(BUFFER);
        let (this, id) = (self.clone(), ticket_id.to_owned());
        server_kit::trace_context::spawn_in_context(async move {
            let store = this.store.as_ref();
            let metrics = this.dispatcher.metrics();
            let mut last = after_sequence;
            let mut posted = None;
            let mut shown: Option<QueueStatus> = None;
            let draining = this.shutdown.draining();
            tokio::pin!(draining);
            let mut live: Option<Arc<TicketEvent>> = None;
            let mut refresh = true;
            // The ticket was just read: nothing stored after the caller's point yet.
            let mut caught_up = ticket.last_sequence <= after_sequence;
            loop {
                let skip_store = std::mem::take(&mut caught_up);
                if (refresh && !skip_store) || live.is_some() {
                    let events = match catch_up(
                        store,
                        (metrics, "customer"),
                        &id,
                        &mut last,
                        live.as_deref(),
                    )
                    .await
                    {
                        Ok(events) => events,
                        Err(e) => {
                            let _ = tx.send(Err(e)).await;
                            return;
                        }
                    };
                    for event in events {
                        let closed = matches!(event.kind, EventKind::Closed { .. });
                        let message = matches!(event.kind, EventKind::Message { .. });
                        if !send(&tx, WatchItem::Event(event)).await || closed {
                            return;
                        }
                        if let Some(at) = posted.take().filter(|_: &std::time::Instant| message) {
                            metrics.relay_delivered("customer", at.elapsed());
                        }
                    }
                    posted = None;
                }
                let mut status = None;
                if refresh {
                    status = this.dispatcher.queue_status(&id).await;
                }
                (live, refresh) = (None, false);
                if status.is_none() {
                    tokio::select! {
                        _ = &mut draining => return,
                        _ = tx.closed() => return,
                        notice = notices.recv() => match notice {
                            Some(Ok(TicketNotice::Event(e, at))) => (live, posted) = (Some(e), Some(at)),
                            Some(Ok(TicketNotice::Queue(now))) => status = Some(now),
                            // Stored by another replica: read it unless already sent.
                            Some(Ok(TicketNotice::Stored(sequence))) => refresh = sequence > last,
                            Some(Ok(TicketNotice::Resync)) => refresh = true,
                            Some(Err(Lagged)) => {
                                metrics.stream_resync("customer", "lagged");
                                refresh = true;
                            }
                            None => return,
                        },
                    }
                }
                if let Some(now) = status
                    && shown != Some(now)
                {
                    shown = Some(now);
                    if !send(&tx, WatchItem::Queue(now)).await {
                        return;
                    }
                }
            }
        });
        Ok(ReceiverStream::new(rx))
    }

    /// The agent's desk: their state, the conversations they hold (replayed after each
    /// cursor in `resume`, from the start otherwise), their open offer, then everything
    /// live.
    pub async fn desk(
        &self,
        agent_id: &str,
        resume: Vec<(String, u64)>,
    ) -> Result<ItemStream<DeskItem>, DomainError> {
        let agent = self
            .store
            .agent(agent_id)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("no agent '{agent_id}'")))?;
        let mut notices = self.dispatcher.hub().listen_agent(agent_id);
        let (tx, rx) = mpsc::channel(BUFFER);
        let mut desk = Desk {
            streams: self.clone(),
            agent_id: agent_id.to_owned(),
            seen: resume.into_iter().collect(),
            tracked: StreamMap::new(),
            shown: Some(agent.clone()),
            tx,
        };
        server_kit::trace_context::spawn_in_context(async move {
            for ticket_id in desk.seen.keys().cloned().collect::<Vec<_>>() {
                // Tickets the agent no longer served are skipped, not refused.
                if let Ok(Some(t)) = desk.streams.store.ticket(&ticket_id).await
                    && t.agent.is_some_and(|a| a.agent_id == desk.agent_id)
                {
                    desk.track(&ticket_id);
                }
            }
            for ticket_id in desk.streams.dispatcher.chats_of(&desk.agent_id).await {
                desk.track(&ticket_id);
            }
            if !send(&desk.tx, DeskItem::Agent(agent)).await || !desk.resync().await {
                return;
            }
            let draining = desk.streams.shutdown.draining();
            tokio::pin!(draining);
            loop {
                let alive = tokio::select! {
                    _ = &mut draining => false,
                    _ = desk.tx.closed() => false,
                    notice = notices.recv() => match notice {
                        Some(Ok(notice)) => desk.on(notice).await,
                        Some(Err(Lagged)) => {
                            desk.streams.dispatcher.metrics().stream_resync("desk", "lagged");
                            desk.resync().await
                        }
                        None => false,
                    },
                    Some((ticket_id, notice)) = desk.tracked.next() => match notice {
                        Ok(TicketNotice::Event(e, at)) => {
                            let alive = desk.deliver(&ticket_id, Some(&e)).await;
                            if matches!(e.kind, EventKind::Message { .. }) {
                                desk.streams.dispatcher.metrics().relay_delivered("desk", at.elapsed());
                            }
                            alive
                        }
                        Ok(TicketNotice::Queue(_)) => true,
                        Ok(TicketNotice::Stored(sequence)) => {
                            if desk.seen.get(&ticket_id).is_some_and(|&seen| seen >= sequence) {
                                true
                            } else {
                                desk.deliver(&ticket_id, None).await
                            }
                        }
                        Ok(TicketNotice::Resync) | Err(Lagged) => {
                            desk.streams.dispatcher.metrics().stream_resync("desk", "lagged");
                            desk.deliver(&ticket_id, None).await
                        }
                    },
                };
                if !alive {
                    return;
                }
            }
        });
        Ok(ReceiverStream::new(rx))
    }
}

/// One desk stream's bookkeeping.
struct Desk {
    streams: Streams,
    agent_id: String,
    /// The last sequence delivered per ticket.
    seen: BTreeMap<String, u64>,
    /// Tickets whose events this desk follows, each with its listener.
    tracked: StreamMap<String, Listener<TicketNotice>>,
    /// The agent's state as last sent: an unchanged one (a repeated sign-in) is not
    /// sent again.
    shown: Option<Agent>,
    tx: mpsc::Sender<Result<DeskItem, DomainError>>,
}

impl Desk {
    /// Handles one notice to the agent; false once the stream should end.
    async fn on(&mut self, notice: AgentNotice) -> bool {
        match notice {
            AgentNotice::Joined(ticket_id) => {
                self.track(&ticket_id);
                self.deliver(&ticket_id, None).await
            }
            AgentNotice::Offered { offer_id, .. } => self.offer(&offer_id).await,
            AgentNotice::Withdrawn { offer_id, reason } => {
                send(&self.tx, DeskItem::Withdrawn { offer_id, reason }).await
            }
            AgentNotice::Changed => match self.streams.store.agent(&self.agent_id).await {
                Ok(Some(agent)) if self.shown.as_ref() != Some(&agent) => {
                    self.shown = Some(agent.clone());
                    send(&self.tx, DeskItem::Agent(agent)).await
                }
                _ => true,
            },
        }
    }

    /// Follows a ticket's notices; says whether it was new.
    fn track(&mut self, ticket_id: &str) -> bool {
        if self.tracked.contains_key(ticket_id) {
            return false;
        }
        let listener = self.streams.dispatcher.hub().listen_ticket(ticket_id);
        self.tracked.insert(ticket_id.to_owned(), listener);
        true
    }

    /// Catches every tracked ticket up from the store and re-sends the open offer.
    async fn resync(&mut self) -> bool {
        for ticket_id in self.tracked.keys().cloned().collect::<Vec<_>>() {
            if !self.deliver(&ticket_id, None).await {
                return false;
            }
        }
        match self.streams.dispatcher.offer_for(&self.agent_id).await {
            Some(offer) => self.offer(&offer.offer_id).await,
            None => true,
        }
    }

    /// Sends the ticket's events after what this desk saw, following joins and leaves.
    /// A ticket joined in the middle is read once more after its listener is set, so no
    /// event falls between the store read and the listening.
    async fn deliver(&mut self, ticket_id: &str, mut live: Option<&TicketEvent>) -> bool {
        loop {
            let last = self.seen.entry(ticket_id.to_owned()).or_insert(0);
            let store = self.streams.store.as_ref();
            let metrics = (self.streams.dispatcher.metrics(), "desk");
            let events = match catch_up(store, metrics, ticket_id, last, live.take()).await {
                Ok(events) => events,
                Err(e) => return self.tx.send(Err(e)).await.is_ok(),
            };
            let mut joined = false;
            for event in events {
                match &event.kind {
                    EventKind::AgentJoined { agent_id } if *agent_id == self.agent_id => {
                        joined |= self.track(ticket_id);
                    }
                    EventKind::Closed { .. } | EventKind::Transferred { .. } => {
                        self.tracked.remove(ticket_id);
                    }
                    _ => {}
                }
                if !send(&self.tx, DeskItem::Event(event)).await {
                    return false;
                }
            }
            if !joined {
                return true;
            }
        }
    }

    /// Sends the offer with its ticket and transcript, if it is still open.
    async fn offer(&mut self, offer_id: &str) -> bool {
        let Some(offer) = self.streams.dispatcher.offer_for(&self.agent_id).await else {
            return true;
        };
        if offer.offer_id != offer_id {
            return true;
        }
        let store = self.streams.store.as_ref();
        let view = async {
            let ticket = store.ticket(&offer.ticket_id).await?;
            let transcript = store.transcript(&offer.ticket_id).await?;
            Ok::<_, DomainError>(ticket.map(|ticket| OfferView {
                offer,
                ticket,
                transcript,
            }))
        };
        match view.await {
            Ok(Some(view)) if view.ticket.status == TicketStatus::Queued => {
                send(&self.tx, DeskItem::Offer(Box::new(view))).await
            }
            Ok(_) => true,
            Err(e) => self.tx.send(Err(e)).await.is_ok(),
        }
    }
}
