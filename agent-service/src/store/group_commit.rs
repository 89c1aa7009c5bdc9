//! Group commit: the writes that arrive while a commit is in flight (new tickets with
//! their transcript and first event, chat messages) are written together in the next
//! transaction, so many callers share one durable commit (one fsync on SQLite) instead
//! of queueing for one each. Every caller is answered only after the commit that holds
//! its write; a batch that fails is retried one write at a time, so one bad write never
//! fails the others.
//!
//! Hand-written rather than taken from a crate: which writes may share a transaction,
//! and how a failed batch is split, is the store's own contract.

use std::sync::Arc;

use sqlx::AnyPool;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::{
    StoreError,
    chat_sql::{NewMessage, append_message},
    feed::Announce,
    intake_sql::{NewTicket, insert_tickets_with_events},
};
use crate::domain::{Ticket, TicketEvent};

/// Most writes in one transaction.
const MAX_BATCH: usize = 128;

/// Writes waiting for a writer before callers wait to hand theirs over.
const QUEUE_DEPTH: usize = 1024;

/// One write that may share a transaction with others.
#[derive(Clone, Debug)]
enum Write {
    /// A new ticket.
    Ticket(NewTicket),
    /// A message on an open ticket.
    Message(NewMessage),
}

/// What one write did.
#[derive(Debug)]
enum Written {
    /// `Some(ticket)` when stored, `None` when a unique rule (idempotency key, one open
    /// ticket per customer and entrance) refused it.
    Ticket(Option<Ticket>),
    /// `Some(event)` when stored, `None` when the ticket's guard refused it.
    Message(Option<TicketEvent>),
}

/// One write and where to send its answer.
type Job = (Write, oneshot::Sender<Result<Written, StoreError>>);

/// Writes waiting for a writer.
type Incoming = Arc<Mutex<mpsc::Receiver<Job>>>;

/// Where the writers report batch sizes, once the application says.
type Observer = Arc<std::sync::OnceLock<crate::metrics::AgentMetrics>>;

/// The handle callers use; the writer tasks end when the last handle is dropped.
#[derive(Clone, Debug)]
pub(super) struct GroupCommit {
    queue: mpsc::Sender<Job>,
    metrics: Observer,
}

impl GroupCommit {
    /// Starts `writers` writer tasks over `pool`: one for SQLite (a single writer at a
    /// time anyway), a few for PostgreSQL, where commits of different groups overlap.
    pub fn start(pool: AnyPool, writers: usize, announce: Announce) -> Self {
        let (queue, incoming) = mpsc::channel(QUEUE_DEPTH);
        let incoming: Incoming = Arc::new(Mutex::new(incoming));
        let metrics = Observer::default();
        for _ in 0..writers.max(1) {
            tokio::spawn(writer(
                pool.clone(),
                incoming.clone(),
                metrics.clone(),
                announce,
            ));
        }
        Self { queue, metrics }
    }

    /// Reports each batch's size to `metrics` from now on (the first call wins).
    pub fn observe(&self, metrics: crate::metrics::AgentMetrics) {
        let _ = self.metrics.set(metrics);
    }

    /// Stores `ticket` durably (in whichever transaction takes it); `None` when a unique
    /// rule refused it.
    pub async fn insert(&self, ticket: NewTicket) -> Result<Option<Ticket>, StoreError> {
        match self.write(Write::Ticket(ticket)).await? {
            Written::Ticket(stored) => Ok(stored),
            Written::Message(_) => Err(mismatch()),
        }
    }

    /// Appends `message` durably under its ticket's next sequence number; `None` when
    /// the ticket's guard (open, or held by the sending agent) refused it.
    pub async fn append(&self, message: NewMessage) -> Result<Option<TicketEvent>, StoreError> {
        match self.write(Write::Message(message)).await? {
            Written::Message(stored) => Ok(stored),
            Written::Ticket(_) => Err(mismatch()),
        }
    }

    async fn write(&self, write: Write) -> Result<Written, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((write, reply))
            .await
            .map_err(writers_gone)?;
        answer.await.map_err(writers_gone)?
    }
}

/// A writer answered a write with another kind's answer: a bug, reported, not a panic.
fn mismatch() -> StoreError {
    super::sql::corrupt("group commit", "answer of the wrong kind")
}

/// The writers are gone only once the store is closed.
fn writers_gone<E>(_: E) -> StoreError {
    StoreError::Database(sqlx::Error::PoolClosed)
}

/// Takes whatever has queued up, writes it in one transaction, answers every caller.
async fn writer(pool: AnyPool, incoming: Incoming, metrics: Observer, announce: Announce) {
    loop {
        // One writer at a time takes what has queued up; the others write meanwhile.
        let batch = {
            let mut incoming = incoming.lock().await;
            let Some(first) = incoming.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match incoming.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            batch
        };
        let (writes, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        if let Some(m) = metrics.get() {
            m.group_commit(writes.len());
        }
        match write_all(&pool, announce, &writes).await {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    // A caller that gave up still has its write stored; a retry with
                    // the same key finds it.
                    let _ = reply.send(Ok(result));
                }
            }
            Err(e) if writes.len() == 1 => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(e));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, writes = writes.len(), "group commit failed; writing one at a time");
                for (write, reply) in writes.iter().zip(replies) {
                    let result = write_all(&pool, announce, std::slice::from_ref(write))
                        .await
                        .and_then(|mut one| one.pop().ok_or_else(mismatch));
                    let _ = reply.send(result);
                }
            }
        }
    }
}

/// Writes `writes` in one transaction: the new tickets first, in as few statements as
/// fit, then the messages in arrival order (a ticket's messages keep their order). One
/// answer per write, in order.
async fn write_all(
    pool: &AnyPool,
    announce: Announce,
    writes: &[Write],
) -> Result<Vec<Written>, StoreError> {
    let mut tx = pool.begin().await?;
    let tickets: Vec<&NewTicket> = writes
        .iter()
        .filter_map(|w| match w {
            Write::Ticket(t) => Some(t),
            Write::Message(_) => None,
        })
        .collect();
    let stored = if tickets.is_empty() {
        Default::default()
    } else {
        insert_tickets_with_events(&mut tx, announce, &tickets).await?
    };
    // Messages take their tickets' row locks in ticket order, so two PostgreSQL writers
    // never wait on each other in a cycle; a ticket's own messages keep arrival order.
    let mut messages: Vec<(usize, &NewMessage)> = writes
        .iter()
        .enumerate()
        .filter_map(|(i, w)| match w {
            Write::Message(m) => Some((i, m)),
            Write::Ticket(_) => None,
        })
        .collect();
    messages.sort_by(|a, b| a.1.ticket_id.cmp(&b.1.ticket_id));
    let mut appended = vec![None; writes.len()];
    for (i, m) in messages {
        appended[i] = append_message(&mut tx, announce, m).await?;
    }
    let answers = writes
        .iter()
        .zip(appended)
        .map(|(write, event)| match write {
            Write::Ticket(t) => Written::Ticket(stored.get(&t.ticket_id).cloned()),
            Write::Message(_) => Written::Message(event),
        })
        .collect();
    tx.commit().await?;
    Ok(answers)
}
