//! The SQL implementation of [`TicketStore`]: tickets, transcripts and numbered events,
//! with the same statements on SQLite and PostgreSQL. Every write transaction starts with
//! its write, so SQLite takes the write lock first (waiting on `busy_timeout`) instead of
//! failing to upgrade a stale read.

use std::{str::FromStr, time::SystemTime};

use async_trait::async_trait;
use server_kit::time::{from_unix_millis, unix_millis};
use sqlx::{Any, AnyConnection, Row, Transaction, any::AnyRow};

use super::{
    CreateOutcome, QueuePosition, SqlStore, StoreError, TicketStore, Transition,
    intake_sql::NewTicket, sql::corrupt,
};
use crate::domain::{
    AgentCard, CloseReason, Entrance, Escalation, EventKind, Sender, Ticket, TicketEvent,
    TranscriptLine,
};

/// How often a create that lost a race re-reads before giving up.
const CREATE_ATTEMPTS: usize = 3;

pub(super) const TICKET_SELECT: &str =
    "SELECT t.ticket_id, t.customer_id, t.entrance, t.skill, t.priority,
        t.reason, t.intent, t.bot_session_id, t.status, t.agent_id, a.work_number,
        a.display_name, t.created_at, t.assigned_at, t.closed_at, t.close_reason,
        t.last_sequence, t.request_digest, t.target_agent_id
    FROM tickets t LEFT JOIN agents a ON a.agent_id = t.agent_id";

pub(super) const EVENT_COLUMNS: &str =
    "ticket_id, sequence, at, kind, sender, agent_id, skill, from_skill,
    priority, text, close_reason, client_message_id, flagged_terms";

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

/// The nullable columns of `ticket_events`, filled per kind.
#[derive(Default)]
struct EventColumns<'a> {
    sender: Option<&'static str>,
    agent_id: Option<&'a str>,
    skill: Option<&'a str>,
    from_skill: Option<&'a str>,
    priority: Option<i64>,
    text: Option<&'a str>,
    close_reason: Option<&'static str>,
    client_message_id: Option<&'a str>,
    flagged_terms: Option<String>,
}

fn event_columns(kind: &EventKind) -> EventColumns<'_> {
    match kind {
        EventKind::Queued { skill, priority } => EventColumns {
            skill: Some(skill),
            priority: Some(i64::from(*priority)),
            ..Default::default()
        },
        EventKind::AgentJoined { agent_id } => EventColumns {
            agent_id: Some(agent_id),
            ..Default::default()
        },
        EventKind::Message {
            sender,
            text,
            agent_id,
            client_message_id,
            flagged_terms,
        } => EventColumns {
            sender: Some(sender.as_str()),
            agent_id: agent_id.as_deref(),
            text: Some(text),
            client_message_id: client_message_id.as_deref(),
            flagged_terms: Some(flagged_terms.join("\n")),
            ..Default::default()
        },
        EventKind::Transferred {
            from_skill,
            to_skill,
            to_agent_id,
            note,
        } => EventColumns {
            agent_id: to_agent_id.as_deref(),
            skill: Some(to_skill),
            from_skill: Some(from_skill),
            text: Some(note),
            ..Default::default()
        },
        EventKind::Closed { reason, notice } => EventColumns {
            text: Some(notice),
            close_reason: Some(reason.as_str()),
            ..Default::default()
        },
    }
}

pub(super) fn event_from_row(row: &AnyRow) -> Result<TicketEvent, StoreError> {
    let text = |column: &str| -> Result<String, StoreError> {
        Ok(row
            .try_get::<Option<String>, _>(column)?
            .unwrap_or_default())
    };
    let kind = match row.try_get::<String, _>("kind")?.as_str() {
        "queued" => EventKind::Queued {
            skill: text("skill")?,
            priority: u8::try_from(row.try_get::<Option<i64>, _>("priority")?.unwrap_or(0))
                .map_err(|e| corrupt("ticket_events", e))?,
        },
        "agent_joined" => EventKind::AgentJoined {
            agent_id: text("agent_id")?,
        },
        "message" => EventKind::Message {
            sender: parse("ticket_events", &text("sender")?)?,
            text: text("text")?,
            agent_id: row.try_get("agent_id")?,
            client_message_id: row.try_get("client_message_id")?,
            flagged_terms: text("flagged_terms")?
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        },
        "transferred" => EventKind::Transferred {
            from_skill: text("from_skill")?,
            to_skill: text("skill")?,
            to_agent_id: row.try_get("agent_id")?,
            note: text("text")?,
        },
        "closed" => EventKind::Closed {
            reason: parse("ticket_events", &text("close_reason")?)?,
            notice: text("text")?,
        },
        other => {
            return Err(corrupt(
                "ticket_events",
                format!("unknown event kind '{other}'"),
            ));
        }
    };
    Ok(TicketEvent {
        ticket_id: row.try_get("ticket_id")?,
        sequence: sequence(row.try_get("sequence")?)?,
        at: from_unix_millis(row.try_get("at")?),
        kind,
    })
}

/// Inserts one event row inside the caller's transaction.
pub(super) async fn insert_event(
    conn: &mut AnyConnection,
    ticket_id: &str,
    sequence: u64,
    at: SystemTime,
    kind: &EventKind,
) -> Result<TicketEvent, StoreError> {
    let c = event_columns(kind);
    let sql = format!(
        "INSERT INTO ticket_events ({EVENT_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    );
    let result = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(ticket_id)
        .bind(sequence as i64)
        .bind(unix_millis(at))
        .bind(kind.as_str())
        .bind(c.sender)
        .bind(c.agent_id)
        .bind(c.skill)
        .bind(c.from_skill)
        .bind(c.priority)
        .bind(c.text)
        .bind(c.close_reason)
        .bind(c.client_message_id)
        .bind(c.flagged_terms)
        .execute(conn)
        .await;
    match result {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(StoreError::Conflict(format!("event of ticket {ticket_id}")));
        }
        other => other?,
    };
    Ok(TicketEvent {
        ticket_id: ticket_id.to_owned(),
        sequence,
        at: from_unix_millis(unix_millis(at)),
        kind: kind.clone(),
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
                let event = insert_event(&mut tx, ticket_id, seq, at, kind).await?;
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
        let mut tx = self.pool().begin().await?;
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
        let mut tx = self.pool().begin().await?;
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
