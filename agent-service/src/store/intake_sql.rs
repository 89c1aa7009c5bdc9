//! Escalation intake's writes, with group commit: new tickets (each with its transcript
//! and first event) that arrive while a commit is in flight are written together in the
//! next transaction, so many callers share one durable commit (one fsync on SQLite)
//! instead of queueing for one each. Every caller is answered only after the commit
//! that holds its ticket; a batch that fails is retried one ticket at a time, so one bad
//! ticket never fails the others.

use std::{collections::HashSet, sync::Arc, time::SystemTime};

use server_kit::time::{from_unix_millis, unix_millis};
use sqlx::{AnyConnection, AnyPool, Row};
use tokio::sync::{Mutex, mpsc, oneshot};

use super::{
    StoreError,
    event_sql::insert_events,
    feed::Announce,
    rows::{placeholders, placeholders_then, rows_per_statement},
};
use crate::domain::{Escalation, EventKind, Ticket, TicketEvent, TicketStatus, TranscriptLine};

/// Most tickets written in one transaction.
const MAX_BATCH: usize = 128;

/// Tickets waiting for the writer before callers wait to hand theirs over.
const QUEUE_DEPTH: usize = 1024;

/// A ticket to store.
#[derive(Clone, Debug)]
pub(super) struct NewTicket {
    /// Its id.
    pub ticket_id: String,
    /// What bot-service sent.
    pub request: Escalation,
    /// SHA-256 of the canonical request, kept with the idempotency key.
    pub digest: String,
    /// When it arrived.
    pub at: SystemTime,
}

/// `Some(ticket)` when stored, `None` when a unique rule (idempotency key, one open
/// ticket per customer and entrance) refused it.
type Inserted = Result<Option<Ticket>, StoreError>;

/// Tickets waiting for a writer, with where to send each answer.
type Incoming = Arc<Mutex<mpsc::Receiver<(NewTicket, oneshot::Sender<Inserted>)>>>;

/// The handle callers use; the writer tasks end when the last handle is dropped.
#[derive(Clone, Debug)]
pub(super) struct GroupCommit {
    queue: mpsc::Sender<(NewTicket, oneshot::Sender<Inserted>)>,
    metrics: Observer,
}

/// Where the writers report batch sizes, once the application says.
type Observer = Arc<std::sync::OnceLock<crate::metrics::AgentMetrics>>;

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

    /// Stores `ticket` durably (in whichever transaction takes it) and says whether a
    /// unique rule refused it.
    pub async fn insert(&self, ticket: NewTicket) -> Inserted {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((ticket, reply))
            .await
            .map_err(writers_gone)?;
        answer.await.map_err(writers_gone)?
    }
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
        let (tickets, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        if let Some(m) = metrics.get() {
            m.group_commit(tickets.len());
        }
        match insert_all(&pool, announce, &tickets).await {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    // A caller that gave up still has its ticket stored; a retry with
                    // the same key finds it.
                    let _ = reply.send(Ok(result));
                }
            }
            Err(e) if tickets.len() == 1 => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(e));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, tickets = tickets.len(), "group commit failed; storing one at a time");
                for (ticket, reply) in tickets.iter().zip(replies) {
                    let result = insert_all(&pool, announce, std::slice::from_ref(ticket))
                        .await
                        .map(|mut one| one.pop().flatten());
                    let _ = reply.send(result);
                }
            }
        }
    }
}

/// Writes `tickets` in one transaction, each table's rows in as few statements as fit
/// (every statement is a round trip); one result per ticket, in order.
async fn insert_all(
    pool: &AnyPool,
    announce: Announce,
    tickets: &[NewTicket],
) -> Result<Vec<Option<Ticket>>, StoreError> {
    let mut tx = pool.begin().await?;
    let mut stored = HashSet::new();
    for chunk in tickets.chunks(rows_per_statement(TICKET_COLUMNS)) {
        stored.extend(insert_tickets(&mut tx, chunk).await?);
    }
    let kept: Vec<&NewTicket> = tickets
        .iter()
        .filter(|t| stored.contains(&t.ticket_id))
        .collect();
    insert_transcripts(&mut tx, &kept).await?;
    let first_events: Vec<TicketEvent> = kept.iter().map(|t| first_event(t)).collect();
    insert_events(&mut tx, announce, &first_events).await?;
    tx.commit().await?;
    Ok(tickets
        .iter()
        .map(|t| stored.contains(&t.ticket_id).then(|| queued_ticket(t)))
        .collect())
}

/// Columns of a new `tickets` row.
const TICKET_COLUMNS: usize = 11;

/// Inserts the tickets a unique rule allows (idempotency key, one open ticket per
/// customer and entrance); returns the ids stored.
async fn insert_tickets(
    conn: &mut AnyConnection,
    tickets: &[NewTicket],
) -> Result<Vec<String>, StoreError> {
    let sql = format!(
        "INSERT INTO tickets (ticket_id, idempotency_key, request_digest, customer_id, entrance,
            skill, priority, reason, intent, bot_session_id, created_at, status, last_sequence)
         VALUES {}
         ON CONFLICT DO NOTHING
         RETURNING ticket_id",
        placeholders_then(tickets.len(), TICKET_COLUMNS, "'queued', 1")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for t in tickets {
        let r = &t.request;
        query = query
            .bind(&t.ticket_id)
            .bind(&r.idempotency_key)
            .bind(&t.digest)
            .bind(&r.customer_id)
            .bind(r.entrance.as_str())
            .bind(&r.skill)
            .bind(i64::from(r.priority))
            .bind(&r.reason)
            .bind(&r.intent)
            .bind(&r.bot_session_id)
            .bind(unix_millis(t.at));
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| row.try_get::<String, _>(0).map_err(StoreError::from))
        .collect()
}

/// The first event of a new ticket: it entered its queue.
fn first_event(t: &NewTicket) -> TicketEvent {
    TicketEvent {
        ticket_id: t.ticket_id.clone(),
        sequence: 1,
        at: from_unix_millis(unix_millis(t.at)),
        kind: EventKind::Queued {
            skill: t.request.skill.clone(),
            priority: t.request.priority,
        },
    }
}

/// The ticket as stored.
fn queued_ticket(t: &NewTicket) -> Ticket {
    let r = &t.request;
    Ticket {
        ticket_id: t.ticket_id.clone(),
        customer_id: r.customer_id.clone(),
        entrance: r.entrance,
        skill: r.skill.clone(),
        priority: r.priority,
        reason: r.reason.clone(),
        intent: r.intent.clone(),
        bot_session_id: r.bot_session_id.clone(),
        status: TicketStatus::Queued,
        agent: None,
        created_at: from_unix_millis(unix_millis(t.at)),
        assigned_at: None,
        closed_at: None,
        close_reason: None,
        last_sequence: 1,
    }
}

/// Inserts every ticket's transcript lines (numbered from 1 per ticket), many rows per
/// statement.
async fn insert_transcripts(
    conn: &mut AnyConnection,
    tickets: &[&NewTicket],
) -> Result<(), StoreError> {
    const COLUMNS: usize = 6;
    let lines: Vec<(&str, usize, &TranscriptLine)> = tickets
        .iter()
        .flat_map(|t| {
            let id = t.ticket_id.as_str();
            t.request
                .transcript
                .iter()
                .enumerate()
                .map(move |(i, l)| (id, i + 1, l))
        })
        .collect();
    for chunk in lines.chunks(rows_per_statement(COLUMNS)) {
        let sql = format!(
            "INSERT INTO ticket_transcript (ticket_id, line_no, sender, text, at, intent) VALUES {}",
            placeholders(chunk.len(), COLUMNS)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (ticket_id, line_no, line) in chunk {
            query = query
                .bind(*ticket_id)
                .bind(*line_no as i64)
                .bind(line.sender.as_str())
                .bind(line.text.as_str())
                .bind(unix_millis(line.at))
                .bind(line.intent.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
