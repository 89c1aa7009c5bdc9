//! Abusive-language flags as they happen: the conversation publishes every newly stored
//! agent message that matched the lexicon (after the store write, never for a retry), and
//! supervisors' streams receive them live, personal data masked, until they hang up or
//! the server drains.

use std::{collections::HashSet, sync::Arc};

use server_kit::Shutdown;
use tokio::sync::{broadcast, broadcast::error::RecvError, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::{EventKind, Sender, TicketEvent, streams::ItemStream};

/// How many flags a slow supervisor stream may fall behind before it skips some.
const CAPACITY: usize = 1024;
/// Items queued per stream before the producer waits for the client.
const BUFFER: usize = 64;

/// A supervisor's place in the live flags (see [`Flags::subscribe`]).
#[derive(Debug)]
pub struct Subscription(broadcast::Receiver<Flag>);

/// A stored agent message that matched the abusive-language lexicon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// The stored message event.
    pub event: Arc<TicketEvent>,
    /// The agent who wrote it.
    pub agent_id: String,
}

impl Flag {
    /// The flag an event raises: an agent message with lexicon hits. Supervisors read
    /// flags, so the message's personal data (a customer's mobile or ID number quoted
    /// by the agent) is masked in the flag's copy; the stored message keeps its words.
    pub fn of(event: &TicketEvent) -> Option<Self> {
        match &event.kind {
            EventKind::Message {
                sender: Sender::Agent,
                agent_id: Some(agent_id),
                flagged_terms,
                ..
            } if !flagged_terms.is_empty() => {
                let mut seen = event.clone();
                if let EventKind::Message { text, .. } = &mut seen.kind {
                    *text = server_kit::privacy::mask(text);
                }
                Some(Self {
                    agent_id: agent_id.clone(),
                    event: Arc::new(seen),
                })
            }
            _ => None,
        }
    }
}

/// The live board of flags. Cheap to clone; clones share the board.
#[derive(Clone, Debug)]
pub struct Flags {
    tx: broadcast::Sender<Flag>,
    shutdown: Shutdown,
}

impl Flags {
    /// An empty board whose streams end when `shutdown` drains.
    pub fn new(shutdown: Shutdown) -> Self {
        Self {
            tx: broadcast::channel(CAPACITY).0,
            shutdown,
        }
    }

    /// Publishes `event` if it is a flagged agent message (nobody listening is fine).
    /// Call it once the event is stored.
    pub fn publish(&self, event: &TicketEvent) {
        if let Some(flag) = Flag::of(event) {
            let _ = self.tx.send(flag);
        }
    }

    /// A place in the live flags; take it before reading stored ones, so nothing
    /// stored in between is missed.
    pub fn subscribe(&self) -> Subscription {
        Subscription(self.tx.subscribe())
    }

    /// `replay` first (stored flags), then the live ones from `live` that were not
    /// replayed, until the caller hangs up or the server drains.
    pub fn stream(&self, live: Subscription, replay: Vec<Flag>) -> ItemStream<Flag> {
        let mut flags = live.0;
        let (tx, rx) = mpsc::channel(BUFFER);
        let draining = self.shutdown.draining();
        tokio::spawn(async move {
            tokio::pin!(draining);
            let replayed: HashSet<(String, u64)> = replay
                .iter()
                .map(|f| (f.event.ticket_id.clone(), f.event.sequence))
                .collect();
            for flag in replay {
                if tx.send(Ok(flag)).await.is_err() {
                    return;
                }
            }
            loop {
                let flag = tokio::select! {
                    _ = &mut draining => return,
                    _ = tx.closed() => return,
                    flag = flags.recv() => flag,
                };
                match flag {
                    Ok(flag)
                        if replayed
                            .contains(&(flag.event.ticket_id.clone(), flag.event.sequence)) => {}
                    Ok(flag) => {
                        if tx.send(Ok(flag)).await.is_err() {
                            return;
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "a supervisor's flag stream fell behind");
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        });
        ReceiverStream::new(rx)
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use futures_util::StreamExt;

    use super::*;

    fn message(sender: Sender, agent: Option<&str>, terms: &[&str]) -> TicketEvent {
        TicketEvent {
            ticket_id: "t-1".into(),
            sequence: 3,
            at: SystemTime::UNIX_EPOCH,
            kind: EventKind::Message {
                sender,
                text: "滚，你的号码 13911112222 我记住了".into(),
                agent_id: agent.map(str::to_owned),
                client_message_id: Some("c-1".into()),
                flagged_terms: terms.iter().map(|t| (*t).to_owned()).collect(),
            },
        }
    }

    #[test]
    fn only_flagged_agent_messages_raise_a_flag() {
        assert!(Flag::of(&message(Sender::Agent, Some("a-1"), &[])).is_none());
        assert!(Flag::of(&message(Sender::Customer, None, &["傻逼"])).is_none());
        let flag = Flag::of(&message(Sender::Agent, Some("a-1"), &["傻逼"])).unwrap();
        assert_eq!(flag.agent_id, "a-1");
        let EventKind::Message { text, .. } = &flag.event.kind else {
            panic!("a flag carries the message");
        };
        assert_eq!(
            text, "滚，你的号码 [mobile] 我记住了",
            "supervisors see no mobile"
        );
    }

    #[tokio::test]
    async fn watchers_get_flags_live_and_end_on_shutdown() {
        let shutdown = Shutdown::new();
        let flags = Flags::new(shutdown.clone());
        let mut watch = flags.stream(flags.subscribe(), Vec::new());
        flags.publish(&message(Sender::Agent, Some("a-1"), &[]));
        flags.publish(&message(Sender::Agent, Some("a-2"), &["idiot"]));
        let got = watch.next().await.unwrap().unwrap();
        assert_eq!(got.agent_id, "a-2");
        shutdown.trigger();
        assert!(watch.next().await.is_none(), "the stream ends on shutdown");
    }
}
