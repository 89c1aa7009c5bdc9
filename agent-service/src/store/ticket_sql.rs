//! The SQL implementation of [`TicketStore`]: tickets, transcripts and numbered events,
//! with the same statements on SQLite and PostgreSQL. Every write transaction starts with
//! its write, so SQLite takes the write lock first (waiting on `busy_timeout`) instead of
//! failing to upgrade a stale read.

use std::{str::FromStr, time::SystemTime};

use async_trait::async_trait;
use server_kit::time::{from_unix_millis, unix_millis};
use sqlx::{Any, Row, Transaction, any::AnyRow};

use super::{
    CreateOutcome, QueuePosition, SqlStore, StoreError, TicketStore, Transition,
    intake_sql::NewTicket, sql::corrupt,
};
use crate::domain::{
    AgentCard, CloseReason, Entrance, Escalation, EventKind, Sender, Ticket, TicketEvent,
    TranscriptLine,
};

// The event rows' mapping lives in `event_sql`; re-exported for the other SQL modules.
pub(super) use super::event_sql::{EVENT_COLUMNS, event_from_row, insert_event};

/// How often a create that lost a race re-reads before giving up.
const CREATE_ATTEMPTS: usize = 3;

pub(super) const TICKET_SELECT: &str =
    "SELECT t.ticket_id, t.customer_id, t.entrance, t.skill, t.priority,
        t.reason, t.intent, t.bot_session_id, t.status, t.agent_id, a.work_number,
        a.display_name, t.created_at, t.assigned_at, t.closed_at, t.close_reason,
        t.last_sequence, t.request_digest, t.target_agent_id
    FROM tickets t LEFT JOIN agents a ON a.agent_id = t.agent_id";

pub(super) fn parse<T: FromStr<Err = String>>(
    table: &'static str,
    raw: &str,
) -> Result<T, StoreError> {
    T::from_str(raw).map_err(|e| corrupt(table, e))
}

fn optional_parse<T: FromStr<Err = String>>(
    table: &'static str,
    raw: Option<String>,
) -> Result<Option<T>, StoreError> {
    raw.map(|r| parse(table, &r)).transpose()
}

pub(super) fn sequence(raw: i64) -> Result<u64, StoreError> {
    u64::try_from(raw).map_err(|e| corrupt("ticket_events", e))
}

pub(super) fn ticket_from_row(row: &AnyRow) -> Result<Ticket, StoreError> {
    let agent = match row.try_get::<Option<String>, _>("agent_id")? {
        Some(agent_id) => Some(AgentCard {
            agent_id,
            work_number: row
                .try_get::<Option<String>, _>("work_number")?
                .unwrap_or_default(),
            display_name: row
                .try_get::<Option<String>, _>("display_name")?
                .unwrap_or_default(),
        }),
        None => None,
    };
    let millis = |column: &str| -> Result<Option<SystemTime>, StoreError> {
        Ok(row.try_get::<Option<i64>, _>(column)?.map(from_unix_millis))
    };
    Ok(Ticket {
        ticket_id: row.try_get("ticket_id")?,
        customer_id: row.try_get("customer_id")?,
        entrance: parse("tickets", &row.try_get::<String, _>("entrance")?)?,
        skill: row.try_get("skill")?,
        priority: u8::try_from(row.try_get::<i64, _>("priority")?)
            .map_err(|e| corrupt("tickets", e))?,
        reason: row.try_get("reason")?,
        intent: row.try_get("intent")?,
        bot_session_id: row.try_get("bot_session_id")?,
        status: parse("tickets", &row.try_get::<String, _>("status")?)?,
        agent,
        created_at: from_unix_millis(row.try_get("created_at")?),
        assigned_at: millis("assigned_at")?,
        closed_at: millis("closed_at")?,
        close_reason: optional_parse("tickets", row.try_get("close_reason")?)?,
        last_sequence: sequence(row.try_get("last_sequence")?)?,
    })
}

impl SqlStore {
    /// Ends a guarded state change: when its UPDATE matched (`updated` holds the new
    /// `last_sequence`), records `kind` under that number and commits; otherwise rolls
    /// back. Returns the ticket as it is now, with the event when one was recorded.
    pub(super) async fn finish_transition(
        &self,
        mut tx: Transaction<'static, Any>,
        ticket_id: &str,
        updated: Option<AnyRow>,
        at: SystemTime,
        kind: &EventKind,
    ) -> Result<Option<Transition>, StoreError> {
        let event = match updated {
            Some(row) => {
                let seq = sequence(row.try_get("last_sequence")?)?;
                let event =
                    insert_event(&mut tx, self.announce(), ticket_id, seq, at, kind).await?;
                tx.commit().await?;
                Some(event)
            }
            None => {
                tx.rollback().await?;
                None
            }
        };
        Ok(self
            .ticket(ticket_id)
            .await?
            .map(|ticket| Transition { ticket, event }))
    }

    /// The ticket made with an idempotency key, and the digest of that request.
    async fn ticket_by_key(&self, key: &str) -> Result<Option<(Ticket, String)>, StoreError> {
        let sql = format!("{TICKET_SELECT} WHERE t.idempotency_key = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| Ok((ticket_from_row(&row)?, row.try_get("request_digest")?)))
            .transpose()
    }
}

#[async_trait]
impl TicketStore for SqlStore {
    async fn create_ticket(
        &self,
        ticket_id: &str,
        request: &Escalation,
        request_digest: &str,
        at: SystemTime,
    ) -> Result<CreateOutcome, StoreError> {
        // Try the insert first; when a unique rule refuses it, find out which. A ticket
        // closed between the refusal and the reads is retried.
        for _ in 0..CREATE_ATTEMPTS {
            let new = NewTicket {
                ticket_id: ticket_id.to_owned(),
                request: request.clone(),
                digest: request_digest.to_owned(),
                at,
            };
            if let Some(ticket) = self.group_commit().insert(new).await? {
                return Ok(CreateOutcome::Created(ticket));
            }
            if let Some((ticket, digest)) = self.ticket_by_key(&request.idempotency_key).await? {
                return Ok(if digest == request_digest {
                    CreateOutcome::Replayed(ticket)
                } else {
                    CreateOutcome::KeyReused(ticket)
                });
            }
            if let Some(ticket) = self
                .open_ticket_for(&request.customer_id, request.entrance)
                .await?
            {
                return Ok(CreateOutcome::AlreadyOpen(ticket));
            }
        }
        Err(StoreError::Conflict(format!(
            "a ticket for customer {} kept changing while it was created",
            request.customer_id
        )))
    }

    async fn ticket(&self, ticket_id: &str) -> Result<Option<Ticket>, StoreError> {
        let sql = format!("{TICKET_SELECT} WHERE t.ticket_id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ticket_id)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(ticket_from_row)
            .transpose()
    }

    async fn open_ticket_for(
        &self,
        customer_id: &str,
        entrance: Entrance,
    ) -> Result<Option<Ticket>, StoreError> {
        let sql = format!(
            "{TICKET_SELECT} WHERE t.customer_id = $1 AND t.entrance = $2 AND t.status <> 'closed'"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(customer_id)
            .bind(entrance.as_str())
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(ticket_from_row)
            .transpose()
    }

    async fn transcript(&self, ticket_id: &str) -> Result<Vec<TranscriptLine>, StoreError> {
        let rows = sqlx::query(
            "SELECT sender, text, at, intent FROM ticket_transcript
             WHERE ticket_id = $1 ORDER BY line_no",
        )
        .bind(ticket_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TranscriptLine {
                    sender: parse::<Sender>(
                        "ticket_transcript",
                        &row.try_get::<String, _>("sender")?,
                    )?,
                    text: row.try_get("text")?,
                    at: from_unix_millis(row.try_get("at")?),
                    intent: row.try_get("intent")?,
                })
            })
            .collect()
    }

    async fn close_ticket(
        &self,
        ticket_id: &str,
        reason: CloseReason,
        notice: &str,
        at: SystemTime,
    ) -> Result<Option<Transition>, StoreError> {
        let mut tx = self.writer().begin().await?;
        let closed = sqlx::query(
            "UPDATE tickets
             SET status = 'closed', closed_at = $2, close_reason = $3, last_sequence = last_sequence + 1
             WHERE ticket_id = $1 AND status <> 'closed'
             RETURNING last_sequence",
        )
        .bind(ticket_id)
        .bind(unix_millis(at))
        .bind(reason.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let kind = EventKind::Closed {
            reason,
            notice: notice.to_owned(),
        };
        self.finish_transition(tx, ticket_id, closed, at, &kind)
            .await
    }

    async fn queue_position(&self, ticket_id: &str) -> Result<Option<QueuePosition>, StoreError> {
        let row = sqlx::query(
            "SELECT
                (SELECT COUNT(*) FROM tickets o
                  WHERE o.status = 'queued' AND o.entrance = t.entrance AND o.skill = t.skill
                    AND (o.priority > t.priority
                         OR (o.priority = t.priority AND (o.created_at < t.created_at
                             OR (o.created_at = t.created_at AND o.ticket_id < t.ticket_id))))
                ) AS ahead,
                (SELECT COUNT(*) FROM tickets o
                  WHERE o.status = 'queued' AND o.entrance = t.entrance AND o.skill = t.skill
                ) AS waiting
             FROM tickets t WHERE t.ticket_id = $1 AND t.status = 'queued'",
        )
        .bind(ticket_id)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let count = |column: &str| -> Result<u32, StoreError> {
            u32::try_from(row.try_get::<i64, _>(column)?).map_err(|e| corrupt("tickets", e))
        };
        Ok(Some(QueuePosition {
            position: count("ahead")? + 1,
            waiting: count("waiting")?,
        }))
    }

    async fn append_event(
        &self,
        ticket_id: &str,
        at: SystemTime,
        kind: &EventKind,
    ) -> Result<Option<TicketEvent>, StoreError> {
        let mut tx = self.writer().begin().await?;
        let next = sqlx::query(
            "UPDATE tickets SET last_sequence = last_sequence + 1
             WHERE ticket_id = $1 RETURNING last_sequence",
        )
        .bind(ticket_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = next else {
            tx.rollback().await?;
            return Ok(None);
        };
        let event = insert_event(
            &mut tx,
            self.announce(),
            ticket_id,
            sequence(row.try_get("last_sequence")?)?,
            at,
            kind,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(event))
    }

    async fn events_after(
        &self,
        ticket_id: &str,
        after_sequence: u64,
    ) -> Result<Vec<TicketEvent>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM ticket_events
             WHERE ticket_id = $1 AND sequence > $2 ORDER BY sequence"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ticket_id)
            .bind(i64::try_from(after_sequence).unwrap_or(i64::MAX))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    }
}
