//! The in-process notice board that live streams listen to, keyed so a notice wakes only
//! the streams it concerns: a ticket's stored events and queue position go to that
//! ticket's listeners, offers and presence changes to that agent's. (One board for
//! everything woke every stream for every notice: with 1,000 live chats at a message a
//! second, a million wake-ups a second just to filter.) Notices are hints for streams
//! connected now; anything stored can be re-read from the store, so a stream that falls
//! behind catches up from there instead of losing events.

use std::{
    collections::HashMap,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::SystemTime,
};

use futures_util::Stream;
use tokio::sync::broadcast;
use tokio_stream::wrappers::{BroadcastStream, errors::BroadcastStreamRecvError};

use super::{EventKind, TicketEvent, intake::QueueStatus};

/// How many notices a slow ticket listener may fall behind before it re-reads the store.
const TICKET_CAPACITY: usize = 64;
/// How many notices a slow agent listener may fall behind before it re-reads the store.
const AGENT_CAPACITY: usize = 256;

/// Something that happened to one ticket.
#[derive(Clone, Debug)]
pub enum TicketNotice {
    /// A stored event of the ticket, with when it was posted (for delivery latency).
    Event(Arc<TicketEvent>, std::time::Instant),
    /// Where the queued ticket stands now (not stored).
    Queue(QueueStatus),
    /// Another replica stored the event with this sequence number (heard through the
    /// store's notifications): read it from the store unless already seen.
    Stored(u64),
    /// Notifications may have been missed (the store's feed reconnected): re-read the
    /// store.
    Resync,
}

/// Something that concerns one agent.
#[derive(Clone, Debug)]
pub enum AgentNotice {
    /// A ticket was offered to the agent.
    Offered {
        /// The offer.
        offer_id: String,
        /// The ticket.
        ticket_id: String,
        /// When it lapses.
        expires_at: SystemTime,
    },
    /// An offer ended before the agent answered it.
    Withdrawn {
        /// The offer.
        offer_id: String,
        /// Why.
        reason: String,
    },
    /// The agent's presence or profile changed (e.g. set AWAY after missed offers).
    Changed,
    /// The agent joined this ticket: its events concern them from now on.
    Joined(String),
}

/// A listener fell behind and missed notices: re-read the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lagged;

/// The notice board. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Hub {
    tickets: Arc<Channels<TicketNotice>>,
    agents: Arc<Channels<AgentNotice>>,
}

impl Hub {
    /// An empty board.
    pub fn new() -> Self {
        Self::default()
    }

    /// Posts a stored event to the ticket's listeners, and to the joining agent's when
    /// an agent joined.
    pub fn event(&self, event: TicketEvent) {
        let event = Arc::new(event);
        if let EventKind::AgentJoined { agent_id } = &event.kind {
            self.agents
                .post(agent_id, AgentNotice::Joined(event.ticket_id.clone()));
        }
        let ticket_id = event.ticket_id.clone();
        let posted = std::time::Instant::now();
        self.tickets
            .post(&ticket_id, TicketNotice::Event(event, posted));
    }

    /// Posts an event another replica stored (known by its sequence number, and the
    /// joining agent when an agent joined) to the ticket's listeners.
    pub fn stored(&self, ticket_id: &str, sequence: u64, joined: Option<&str>) {
        if let Some(agent_id) = joined {
            self.agents
                .post(agent_id, AgentNotice::Joined(ticket_id.to_owned()));
        }
        self.tickets.post(ticket_id, TicketNotice::Stored(sequence));
    }

    /// Tells every ticket listener to re-read the store (notices may have been lost).
    pub fn resync_all(&self) {
        self.tickets.post_all(TicketNotice::Resync);
    }

    /// Posts a queued ticket's new place to its listeners.
    pub fn queue(&self, ticket_id: &str, status: QueueStatus) {
        self.tickets.post(ticket_id, TicketNotice::Queue(status));
    }

    /// Posts a notice to one agent's listeners.
    pub fn agent(&self, agent_id: &str, notice: AgentNotice) {
        self.agents.post(agent_id, notice);
    }

    /// Whether anyone listens to the ticket (positions are only worth posting then).
    pub fn ticket_is_watched(&self, ticket_id: &str) -> bool {
        self.tickets.is_watched(ticket_id)
    }

    /// Listens to one ticket from now on.
    pub fn listen_ticket(&self, ticket_id: &str) -> Listener<TicketNotice> {
        Channels::listen(&self.tickets, ticket_id.to_owned(), TICKET_CAPACITY)
    }

    /// Listens to one agent from now on.
    pub fn listen_agent(&self, agent_id: &str) -> Listener<AgentNotice> {
        Channels::listen(&self.agents, agent_id.to_owned(), AGENT_CAPACITY)
    }
}

/// One broadcast channel per key, created by the first listener and dropped with the
/// last.
#[derive(Debug)]
pub struct Channels<T> {
    by_key: Mutex<HashMap<String, broadcast::Sender<T>>>,
}

impl<T> Default for Channels<T> {
    fn default() -> Self {
        Self {
            by_key: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone + Send + 'static> Channels<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, broadcast::Sender<T>>> {
        self.by_key.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn post(&self, key: &str, notice: T) {
        if let Some(tx) = self.lock().get(key) {
            let _ = tx.send(notice);
        }
    }

    fn post_all(&self, notice: T) {
        for tx in self.lock().values() {
            let _ = tx.send(notice.clone());
        }
    }

    fn is_watched(&self, key: &str) -> bool {
        self.lock().contains_key(key)
    }

    fn listen(this: &Arc<Self>, key: String, capacity: usize) -> Listener<T> {
        let rx = this
            .lock()
            .entry(key.clone())
            .or_insert_with(|| broadcast::channel(capacity).0)
            .subscribe();
        Listener {
            stream: BroadcastStream::new(rx),
            _guard: Guard {
                channels: this.clone(),
                key,
            },
        }
    }
}

/// Notices for one key, as a stream; a gap shows as [`Lagged`].
pub struct Listener<T: Clone + Send + 'static> {
    // Declared before the guard: the receiver is gone when the guard looks.
    stream: BroadcastStream<T>,
    _guard: Guard<T>,
}

impl<T: Clone + Send + 'static> Listener<T> {
    /// The next notice; `None` when the board is gone.
    pub async fn recv(&mut self) -> Option<Result<T, Lagged>> {
        futures_util::StreamExt::next(self).await
    }
}

impl<T: Clone + Send + 'static> Stream for Listener<T> {
    type Item = Result<T, Lagged>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.stream)
            .poll_next(cx)
            .map(|item| item.map(|r| r.map_err(|BroadcastStreamRecvError::Lagged(_)| Lagged)))
    }
}

/// Drops the key's channel when its last listener goes.
struct Guard<T: Clone + Send + 'static> {
    channels: Arc<Channels<T>>,
    key: String,
}

impl<T: Clone + Send + 'static> Drop for Guard<T> {
    fn drop(&mut self) {
        let mut by_key = self.channels.lock();
        if by_key
            .get(&self.key)
            .is_some_and(|tx| tx.receiver_count() == 0)
        {
            by_key.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(ticket_id: &str, sequence: u64) -> TicketEvent {
        TicketEvent {
            ticket_id: ticket_id.into(),
            sequence,
            at: SystemTime::UNIX_EPOCH,
            kind: EventKind::AgentJoined {
                agent_id: "a-1".into(),
            },
        }
    }

    #[tokio::test]
    async fn a_notice_reaches_only_its_own_listeners() {
        let hub = Hub::new();
        let mut mine = hub.listen_ticket("t-1");
        let mut other = hub.listen_ticket("t-2");
        let mut agent = hub.listen_agent("a-1");
        hub.event(message("t-1", 1));
        assert!(
            matches!(mine.recv().await, Some(Ok(TicketNotice::Event(e, _))) if e.sequence == 1)
        );
        assert!(matches!(agent.recv().await, Some(Ok(AgentNotice::Joined(t))) if t == "t-1"));
        let nothing = tokio::time::timeout(std::time::Duration::from_millis(20), other.recv());
        assert!(nothing.await.is_err(), "t-2's listener must not wake");
    }

    #[tokio::test]
    async fn the_channel_goes_with_its_last_listener() {
        let hub = Hub::new();
        let first = hub.listen_ticket("t-1");
        let second = hub.listen_ticket("t-1");
        drop(first);
        assert!(hub.ticket_is_watched("t-1"));
        drop(second);
        assert!(!hub.ticket_is_watched("t-1"));
        hub.event(message("t-1", 1)); // nobody listens: fine
    }

    #[tokio::test]
    async fn a_listener_that_falls_behind_is_told() {
        let hub = Hub::new();
        let mut slow = hub.listen_ticket("t-1");
        for n in 0..(TICKET_CAPACITY as u64 + 5) {
            hub.event(message("t-1", n + 1));
        }
        assert!(matches!(slow.recv().await, Some(Err(Lagged))));
    }
}
