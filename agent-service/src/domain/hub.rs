//! The in-process notice board that live streams listen to: stored ticket events, queue
//! movement, offers and agent changes. Notices are hints for streams that are connected
//! now; anything stored can always be re-read from the store, so a stream that falls
//! behind catches up from there instead of losing events.

use std::{sync::Arc, time::SystemTime};

use tokio::sync::broadcast;

use super::TicketEvent;

/// How many notices a slow stream may fall behind before it re-reads the store.
const CAPACITY: usize = 4096;

/// Something that happened, for whoever is watching.
#[derive(Clone, Debug)]
pub enum Notice {
    /// A stored event of a ticket.
    Event(Arc<TicketEvent>),
    /// Queues moved or capacity changed: queued customers' positions may differ now.
    QueuesMoved,
    /// A ticket was offered to an agent.
    Offered {
        /// The agent.
        agent_id: String,
        /// The offer.
        offer_id: String,
        /// The ticket.
        ticket_id: String,
        /// When it lapses.
        expires_at: SystemTime,
    },
    /// An offer ended before the agent answered it.
    Withdrawn {
        /// The agent.
        agent_id: String,
        /// The offer.
        offer_id: String,
        /// Why.
        reason: String,
    },
    /// The agent's presence changed (e.g. set AWAY after missed offers).
    AgentChanged {
        /// The agent.
        agent_id: String,
    },
}

/// The notice board. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Hub {
    tx: broadcast::Sender<Notice>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    /// An empty board.
    pub fn new() -> Self {
        Self {
            tx: broadcast::channel(CAPACITY).0,
        }
    }

    /// Posts a notice (nobody listening is fine).
    pub fn post(&self, notice: Notice) {
        let _ = self.tx.send(notice);
    }

    /// Posts a stored event.
    pub fn event(&self, event: TicketEvent) {
        self.post(Notice::Event(Arc::new(event)));
    }

    /// Listens from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.tx.subscribe()
    }
}
