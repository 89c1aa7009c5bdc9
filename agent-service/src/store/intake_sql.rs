//! Escalation intake's writes: new tickets, each with its transcript and first event,
//! many rows per statement, inside a transaction the group commit
//! ([`super::group_commit`]) shares with other writers' work.

use std::{
    collections::{HashMap, HashSet},
    time::SystemTime,
};

use server_kit::time::{from_unix_millis, unix_millis};
use sqlx::{AnyConnection, Row};

use super::{
    StoreError,
    event_sql::insert_events,
    feed::Announce,
    rows::{placeholders, placeholders_then, rows_per_statement},
};
use crate::domain::{Escalation, EventKind, Ticket, TicketEvent, TicketStatus, TranscriptLine};

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

/// Inserts `tickets` (those a unique rule allows), each with its transcript and first
/// event, inside the caller's transaction, each table's rows in as few statements as fit
/// (every statement is a round trip); the tickets stored, by id.
pub(super) async fn insert_tickets_with_events(
    conn: &mut AnyConnection,
    announce: Announce,
    tickets: &[&NewTicket],
) -> Result<HashMap<String, Ticket>, StoreError> {
    let mut stored = HashSet::new();
    for chunk in tickets.chunks(rows_per_statement(TICKET_COLUMNS)) {
        stored.extend(insert_tickets(conn, chunk).await?);
    }
    let kept: Vec<&NewTicket> = tickets
        .iter()
        .copied()
        .filter(|t| stored.contains(&t.ticket_id))
        .collect();
    insert_transcripts(conn, &kept).await?;
    let first_events: Vec<TicketEvent> = kept.iter().map(|t| first_event(t)).collect();
    insert_events(conn, announce, &first_events).await?;
    Ok(kept
        .into_iter()
        .map(|t| (t.ticket_id.clone(), queued_ticket(t)))
        .collect())
}

/// Columns of a new `tickets` row.
const TICKET_COLUMNS: usize = 11;

/// Inserts the tickets a unique rule allows (idempotency key, one open ticket per
/// customer and entrance); returns the ids stored.
async fn insert_tickets(
    conn: &mut AnyConnection,
    tickets: &[&NewTicket],
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
