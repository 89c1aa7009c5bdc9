//! Group commit: the writes that arrive while a commit is in flight (new tickets with
//! their transcript and first event, chat messages) are written together in the next
//! transaction, so many callers share one durable commit (one fsync on SQLite) instead
//! of queueing for one each. Every caller is answered only after the commit that holds
//! its write; a batch that fails is retried one write at a time, so one bad write never
//! fails the others. A caller whose deadline passes before its write is claimed for a
//! commit gives the write up, and it is never committed afterwards: a batch that holds
//! it (say, waiting on a locked table) is rolled back and written again without it.
//!
//! Hand-written rather than taken from a crate: which writes may share a transaction,
//! and how a failed batch is split, is the store's own contract.

use std::sync::{
    Arc,
    atomic::{AtomicU8, Ordering},
};

use sqlx::{Any, AnyPool, Transaction};
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

/// One write, where to send its answer, and who decides its fate at the deadline.
#[derive(Debug)]
struct Job {
    write: Write,
    reply: oneshot::Sender<Result<Written, StoreError>>,
    claim: Arc<Claim>,
}

impl Job {
    /// Its caller gave up (its deadline passed, or the call was dropped): it must not
    /// be committed.
    fn given_up(&self) -> bool {
        self.claim.0.load(Ordering::SeqCst) == ABANDONED || self.reply.is_closed()
    }
}

/// A write's fate once its caller's deadline nears: the writer claims it for a commit,
/// or the caller abandons it, whichever comes first. An abandoned write is rolled back
/// with its batch (the others are written again without it), so a caller told "not
/// stored" is never contradicted by a later commit.
#[derive(Debug, Default)]
struct Claim(AtomicU8);

const WAITING: u8 = 0;
const COMMITTING: u8 = 1;
const ABANDONED: u8 = 2;

impl Claim {
    fn shift(&self, from: u8, to: u8) -> bool {
        self.0
            .compare_exchange(from, to, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }
}

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

    /// Hands `write` to a writer and waits for its commit, until the current call's
    /// commit deadline ([`server_kit::deadline::commit_by`]): past it, a write not yet
    /// being committed is given up ([`StoreError::Expired`]), one being committed is
    /// waited for.
    async fn write(&self, write: Write) -> Result<Written, StoreError> {
        let (reply, mut answer) = oneshot::channel();
        let claim = Arc::new(Claim::default());
        let job = Job {
            write,
            reply,
            claim: claim.clone(),
        };
        let handed_over = async {
            self.queue.send(job).await.map_err(writers_gone)?;
            (&mut answer).await.map_err(writers_gone)?
        };
        let Some(commit_by) = server_kit::deadline::commit_by() else {
            return handed_over.await;
        };
        let outcome = tokio::time::timeout_at(commit_by, handed_over).await;
        match outcome {
            Ok(result) => result,
            Err(_) if claim.shift(WAITING, ABANDONED) => Err(StoreError::Expired),
            // The commit that holds it has begun: its outcome is the answer.
            Err(_) => answer.await.map_err(writers_gone)?,
        }
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
        if let Some(m) = metrics.get() {
            m.group_commit(batch.len());
        }
        write_batch(&pool, announce, batch).await;
    }
}

/// What one attempt at a batch came to.
enum Attempt {
    /// Committed: one answer per write.
    Done(Vec<Written>),
    /// A caller gave up while the batch was written: rolled back, nothing stored.
    GaveUp,
    /// Failed, nothing stored.
    Failed(StoreError),
}

/// Writes `jobs` in one transaction and answers every caller that still waits. Writes
/// whose callers gave up are left out, before the transaction or, if they give up
/// while it runs, by rolling it back and writing the rest again. A batch that fails is
/// retried one write at a time, so one bad write never fails the others; a timeout
/// fails them all (the database, not a write, is the trouble).
async fn write_batch(pool: &AnyPool, announce: Announce, mut jobs: Vec<Job>) {
    loop {
        jobs.retain(|job| !job.given_up());
        if jobs.is_empty() {
            return;
        }
        match attempt(pool, announce, &jobs).await {
            Attempt::Done(answers) => {
                for (job, answer) in jobs.into_iter().zip(answers) {
                    let _ = job.reply.send(Ok(answer));
                }
                return;
            }
            Attempt::GaveUp => continue,
            Attempt::Failed(StoreError::TimedOut(what)) => {
                for job in jobs {
                    let _ = job.reply.send(Err(StoreError::TimedOut(what)));
                }
                return;
            }
            Attempt::Failed(e) if jobs.len() == 1 => {
                if let Some(job) = jobs.pop() {
                    let _ = job.reply.send(Err(e));
                }
                return;
            }
            Attempt::Failed(e) => {
                tracing::warn!(error = %e, writes = jobs.len(), "group commit failed; writing one at a time");
                for job in jobs {
                    Box::pin(write_batch(pool, announce, vec![job])).await;
                }
                return;
            }
        }
    }
}

/// Writes `jobs` in one transaction and commits it, once every caller is claimed for
/// the commit (none gave up meanwhile).
async fn attempt(pool: &AnyPool, announce: Announce, jobs: &[Job]) -> Attempt {
    let (tx, answers) = match stage(pool, announce, jobs).await {
        Ok(staged) => staged,
        Err(e) => return Attempt::Failed(e),
    };
    let claimed = jobs
        .iter()
        .take_while(|job| !job.reply.is_closed() && job.claim.shift(WAITING, COMMITTING))
        .count();
    let release = |jobs: &[Job]| {
        for job in jobs {
            job.claim.shift(COMMITTING, WAITING);
        }
    };
    if claimed < jobs.len() {
        release(&jobs[..claimed]);
        let _ = tx.rollback().await;
        return Attempt::GaveUp;
    }
    match tx.commit().await {
        Ok(()) => Attempt::Done(answers),
        Err(e) => {
            release(jobs);
            Attempt::Failed(e.into())
        }
    }
}

/// Writes `jobs` in one uncommitted transaction: the new tickets first, in as few
/// statements as fit, then the messages in arrival order (a ticket's messages keep
/// their order). One answer per write, in order.
async fn stage(
    pool: &AnyPool,
    announce: Announce,
    jobs: &[Job],
) -> Result<(Transaction<'static, Any>, Vec<Written>), StoreError> {
    let writes: Vec<&Write> = jobs.iter().map(|job| &job.write).collect();
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
    Ok((tx, answers))
}
