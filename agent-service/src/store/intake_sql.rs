//! Escalation intake's writes, with group commit: new tickets (each with its transcript
//! and first event) that arrive while a commit is in flight are written together in the
//! next transaction, so many callers share one durable commit (one fsync on SQLite)
//! instead of queueing for one each. Every caller is answered only after the commit
//! that holds its ticket; a batch that fails is retried one ticket at a time, so one bad
//! ticket never fails the others.

use std::{sync::Arc, time::SystemTime};

use server_kit::time::{from_unix_millis, unix_millis};
use sqlx::{AnyConnection, AnyPool};
use tokio::sync::{Mutex, mpsc, oneshot};

use super::{StoreError, ticket_sql::insert_event};
use crate::domain::{Escalation, EventKind, Ticket, TicketStatus, TranscriptLine};

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
}

impl GroupCommit {
    /// Starts `writers` writer tasks over `pool`: one for SQLite (a single writer at a
    /// time anyway), a few for PostgreSQL, where commits of different groups overlap.
    pub fn start(pool: AnyPool, writers: usize) -> Self {
        let (queue, incoming) = mpsc::channel(QUEUE_DEPTH);
        let incoming: Incoming = Arc::new(Mutex::new(incoming));
        for _ in 0..writers.max(1) {
            tokio::spawn(writer(pool.clone(), incoming.clone()));
        }
        Self { queue }
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
async fn writer(pool: AnyPool, incoming: Incoming) {
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
        match insert_all(&pool, &tickets).await {
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
                    let result = insert_all(&pool, std::slice::from_ref(ticket))
                        .await
                        .map(|mut one| one.pop().flatten());
                    let _ = reply.send(result);
                }
            }
        }
    }
}

/// Writes `tickets` in one transaction; one result per ticket, in order.
async fn insert_all(
    pool: &AnyPool,
    tickets: &[NewTicket],
) -> Result<Vec<Option<Ticket>>, StoreError> {
    let mut tx = pool.begin().await?;
    let mut results = Vec::with_capacity(tickets.len());
    for ticket in tickets {
        results.push(insert_one(&mut tx, ticket).await?);
    }
    tx.commit().await?;
    Ok(results)
}

/// Stores the ticket, transcript and first event inside the caller's transaction, or
/// `None` when a unique rule refused the ticket.
async fn insert_one(conn: &mut AnyConnection, t: &NewTicket) -> Result<Option<Ticket>, StoreError> {
    let r = &t.request;
    let inserted = sqlx::query(
        "INSERT INTO tickets (ticket_id, idempotency_key, request_digest, customer_id, entrance,
            skill, priority, reason, intent, bot_session_id, status, created_at, last_sequence)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued', $11, 1)
         ON CONFLICT DO NOTHING
         RETURNING ticket_id",
    )
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
    .bind(unix_millis(t.at))
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_none() {
        return Ok(None);
    }
    insert_transcript(conn, &t.ticket_id, &r.transcript).await?;
    let queued = EventKind::Queued {
        skill: r.skill.clone(),
        priority: r.priority,
    };
    insert_event(conn, &t.ticket_id, 1, t.at, &queued).await?;
    Ok(Some(Ticket {
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
    }))
}

/// Inserts the transcript lines (numbered from 1) in one statement.
async fn insert_transcript(
    conn: &mut AnyConnection,
    ticket_id: &str,
    lines: &[TranscriptLine],
) -> Result<(), StoreError> {
    if lines.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..lines.len())
        .map(|i| {
            let n = i * 6;
            format!(
                "(${}, ${}, ${}, ${}, ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5,
                n + 6
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO ticket_transcript (ticket_id, line_no, sender, text, at, intent) VALUES {}",
        rows.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (i, line) in lines.iter().enumerate() {
        query = query
            .bind(ticket_id)
            .bind(i as i64 + 1)
            .bind(line.sender.as_str())
            .bind(line.text.as_str())
            .bind(unix_millis(line.at))
            .bind(line.intent.as_str());
    }
    query.execute(conn).await?;
    Ok(())
}
