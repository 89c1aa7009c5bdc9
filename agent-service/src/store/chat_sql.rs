//! The SQL implementation of [`ChatStore`]: conditional assignment (a ticket moves from
//! queued to one agent in one guarded `UPDATE`), transfers, chat messages that refuse a
//! closed ticket, ratings, and the reads that rebuild routing after a restart.

use std::{collections::HashMap, time::SystemTime};

use async_trait::async_trait;
use server_kit::time::{from_unix_millis, unix_millis};
use sqlx::{AnyConnection, Row};

use super::{
    Appended, ChatStore, Moved, OpenTicket, Rating, RatingTotal, SqlStore, StoreError, TicketStore,
    TicketTimes, Transition,
    feed::Announce,
    sql::corrupt,
    ticket_sql::{
        EVENT_COLUMNS, TICKET_SELECT, event_from_row, insert_event, parse, sequence,
        ticket_from_row,
    },
};
use crate::domain::{EventKind, TicketEvent};

impl SqlStore {
    /// The message stored under `client_message_id` for the ticket.
    async fn message_by_client_id(
        &self,
        ticket_id: &str,
        client_message_id: &str,
    ) -> Result<Option<TicketEvent>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM ticket_events WHERE ticket_id = $1 AND client_message_id = $2"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ticket_id)
            .bind(client_message_id)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(event_from_row)
            .transpose()
    }
}

/// Gives the ticket to `agent_id` inside the caller's transaction, only while it waits
/// (and, when transferred to a named agent, names this one); the row with the new
/// `last_sequence` when it did.
pub(super) async fn assign_guarded(
    conn: &mut AnyConnection,
    ticket_id: &str,
    agent_id: &str,
    at: SystemTime,
) -> Result<Option<sqlx::any::AnyRow>, StoreError> {
    Ok(sqlx::query(
        "UPDATE tickets
         SET status = 'with_agent', agent_id = $2, assigned_at = $3, target_agent_id = NULL,
             last_sequence = last_sequence + 1
         WHERE ticket_id = $1 AND status = 'queued'
           AND (target_agent_id IS NULL OR target_agent_id = $2)
         RETURNING last_sequence",
    )
    .bind(ticket_id)
    .bind(agent_id)
    .bind(unix_millis(at))
    .fetch_optional(conn)
    .await?)
}

/// A chat message to append to a ticket.
#[derive(Clone, Debug)]
pub(super) struct NewMessage {
    /// The ticket.
    pub ticket_id: String,
    /// When it was sent.
    pub at: SystemTime,
    /// The message.
    pub kind: EventKind,
    /// The agent who must hold the ticket, or none for the customer (who needs it open).
    pub agent_guard: Option<String>,
}

/// Appends `message` under its ticket's next sequence number, inside the caller's
/// transaction, when the guard holds; `None` when it does not.
pub(super) async fn append_message(
    conn: &mut AnyConnection,
    announce: Announce,
    message: &NewMessage,
) -> Result<Option<TicketEvent>, StoreError> {
    let bump = "UPDATE tickets SET last_sequence = last_sequence + 1 WHERE ticket_id = $1";
    let next = match &message.agent_guard {
        None => {
            let sql = format!("{bump} AND status <> 'closed' RETURNING last_sequence");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&message.ticket_id)
                .fetch_optional(&mut *conn)
                .await?
        }
        Some(agent) => {
            let sql = format!(
                "{bump} AND status = 'with_agent' AND agent_id = $2 RETURNING last_sequence"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&message.ticket_id)
                .bind(agent)
                .fetch_optional(&mut *conn)
                .await?
        }
    };
    let Some(row) = next else {
        return Ok(None);
    };
    let seq = sequence(row.try_get("last_sequence")?)?;
    let event = insert_event(
        conn,
        announce,
        &message.ticket_id,
        seq,
        message.at,
        &message.kind,
    )
    .await?;
    Ok(Some(event))
}

fn millis(row: &sqlx::any::AnyRow, column: &str) -> Result<Option<SystemTime>, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(from_unix_millis))
}

fn rating_from_row(row: &sqlx::any::AnyRow) -> Result<Rating, StoreError> {
    Ok(Rating {
        ticket_id: row.try_get("ticket_id")?,
        agent_id: row.try_get("agent_id")?,
        score: u8::try_from(row.try_get::<i64, _>("score")?)
            .map_err(|e| corrupt("ticket_ratings", e))?,
        comment: row.try_get("comment")?,
        rated_at: from_unix_millis(row.try_get("rated_at")?),
    })
}

#[async_trait]
impl ChatStore for SqlStore {
    async fn open_tickets(&self) -> Result<Vec<OpenTicket>, StoreError> {
        let last_customer: HashMap<String, SystemTime> = sqlx::query(
            "SELECT e.ticket_id, MAX(e.at) AS last_at FROM ticket_events e
             JOIN tickets t ON t.ticket_id = e.ticket_id
             WHERE t.status = 'with_agent' AND e.sender = 'customer'
             GROUP BY e.ticket_id",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("ticket_id")?,
                from_unix_millis(row.try_get("last_at")?),
            ))
        })
        .collect::<Result<_, StoreError>>()?;
        let sql = format!(
            "{TICKET_SELECT} WHERE t.status <> 'closed'
             ORDER BY t.priority DESC, t.created_at, t.ticket_id"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|row| {
                let ticket = ticket_from_row(row)?;
                Ok(OpenTicket {
                    target_agent_id: row.try_get("target_agent_id")?,
                    last_customer_message_at: last_customer.get(&ticket.ticket_id).copied(),
                    ticket,
                })
            })
            .collect()
    }

    async fn assign_ticket(
        &self,
        ticket_id: &str,
        agent_id: &str,
        at: SystemTime,
    ) -> Result<Option<Transition>, StoreError> {
        let mut tx = self.writer().begin().await?;
        let assigned = assign_guarded(&mut tx, ticket_id, agent_id, at).await?;
        let kind = EventKind::AgentJoined {
            agent_id: agent_id.to_owned(),
        };
        self.finish_transition(tx, ticket_id, assigned, at, &kind)
            .await
    }

    async fn transfer_ticket(
        &self,
        ticket_id: &str,
        from_agent: &str,
        to_skill: &str,
        to_agent: Option<&str>,
        note: &str,
        at: SystemTime,
    ) -> Result<Option<Moved>, StoreError> {
        let mut tx = self.writer().begin().await?;
        let moved = sqlx::query(
            "UPDATE tickets
             SET status = 'queued', skill = $3, target_agent_id = $4,
                 last_sequence = last_sequence + 2
             WHERE ticket_id = $1 AND status = 'with_agent' AND agent_id = $2
             RETURNING last_sequence, priority",
        )
        .bind(ticket_id)
        .bind(from_agent)
        .bind(to_skill)
        .bind(to_agent)
        .fetch_optional(&mut *tx)
        .await?;
        let mut events = Vec::new();
        match moved {
            Some(row) => {
                let last = sequence(row.try_get("last_sequence")?)?;
                let from_skill = sqlx::query(
                    "SELECT skill FROM ticket_events
                     WHERE ticket_id = $1 AND kind = 'queued' ORDER BY sequence DESC LIMIT 1",
                )
                .bind(ticket_id)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get::<Option<String>, _>("skill"))
                .transpose()?
                .flatten()
                .unwrap_or_default();
                let priority = u8::try_from(row.try_get::<i64, _>("priority")?)
                    .map_err(|e| corrupt("tickets", e))?;
                let kinds = [
                    EventKind::Transferred {
                        from_skill,
                        to_skill: to_skill.to_owned(),
                        to_agent_id: to_agent.map(str::to_owned),
                        note: note.to_owned(),
                    },
                    EventKind::Queued {
                        skill: to_skill.to_owned(),
                        priority,
                    },
                ];
                for (seq, kind) in (last - 1..).zip(kinds.iter()) {
                    events.push(
                        insert_event(&mut tx, self.announce(), ticket_id, seq, at, kind).await?,
                    );
                }
                tx.commit().await?;
            }
            None => tx.rollback().await?,
        }
        Ok(self
            .ticket(ticket_id)
            .await?
            .map(|ticket| Moved { ticket, events }))
    }

    async fn clear_target(&self, ticket_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE tickets SET target_agent_id = NULL WHERE ticket_id = $1")
            .bind(ticket_id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn append_chat(
        &self,
        ticket_id: &str,
        at: SystemTime,
        kind: &EventKind,
        agent_guard: Option<&str>,
    ) -> Result<Option<Appended>, StoreError> {
        let client_id = match kind {
            EventKind::Message {
                client_message_id: Some(id),
                ..
            } => Some(id.as_str()),
            _ => None,
        };
        if let Some(id) = client_id
            && let Some(earlier) = self.message_by_client_id(ticket_id, id).await?
        {
            return Ok(Some(Appended::Duplicate(earlier)));
        }
        let message = NewMessage {
            ticket_id: ticket_id.to_owned(),
            at,
            kind: kind.clone(),
            agent_guard: agent_guard.map(str::to_owned),
        };
        match self.group_commit().append(message).await {
            Ok(Some(event)) => Ok(Some(Appended::Stored(event))),
            Ok(None) => Ok(self.ticket(ticket_id).await?.map(Appended::Refused)),
            // A retry raced the first attempt: the first one won.
            Err(StoreError::Conflict(what)) => match client_id {
                Some(id) => Ok(self
                    .message_by_client_id(ticket_id, id)
                    .await?
                    .map(Appended::Duplicate)),
                None => Err(StoreError::Conflict(what)),
            },
            Err(e) => Err(e),
        }
    }

    async fn rate_ticket(&self, r: &Rating) -> Result<Rating, StoreError> {
        sqlx::query(
            "INSERT INTO ticket_ratings (ticket_id, agent_id, score, comment, rated_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&r.ticket_id)
        .bind(&r.agent_id)
        .bind(i64::from(r.score))
        .bind(&r.comment)
        .bind(unix_millis(r.rated_at))
        .execute(self.writer())
        .await?;
        self.rating(&r.ticket_id)
            .await?
            .ok_or_else(|| corrupt("ticket_ratings", "rating vanished after insert"))
    }

    async fn rating(&self, ticket_id: &str) -> Result<Option<Rating>, StoreError> {
        sqlx::query(
            "SELECT ticket_id, agent_id, score, comment, rated_at FROM ticket_ratings
             WHERE ticket_id = $1",
        )
        .bind(ticket_id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(rating_from_row)
        .transpose()
    }

    async fn rating_totals(&self, since: SystemTime) -> Result<Vec<RatingTotal>, StoreError> {
        super::counts_sql::rating_totals(self.pool(), since).await
    }

    async fn ticket_times(&self, since: SystemTime) -> Result<Vec<TicketTimes>, StoreError> {
        sqlx::query(
            "SELECT entrance, skill, created_at, assigned_at, closed_at FROM tickets
             WHERE assigned_at >= $1 OR (closed_at >= $1 AND assigned_at IS NOT NULL)",
        )
        .bind(unix_millis(since))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|row| {
            Ok(TicketTimes {
                entrance: parse("tickets", &row.try_get::<String, _>("entrance")?)?,
                skill: row.try_get("skill")?,
                created_at: from_unix_millis(row.try_get("created_at")?),
                assigned_at: millis(row, "assigned_at")?,
                closed_at: millis(row, "closed_at")?,
            })
        })
        .collect()
    }

    async fn flagged_since(
        &self,
        since: SystemTime,
        limit: u32,
    ) -> Result<Vec<TicketEvent>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM ticket_events
             WHERE kind = 'message' AND sender = 'agent' AND agent_id IS NOT NULL
               AND flagged_terms IS NOT NULL AND flagged_terms <> '' AND at >= $1
             ORDER BY at, ticket_id, sequence LIMIT $2"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(unix_millis(since))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    }

    async fn flag_counts(&self) -> Result<HashMap<String, u64>, StoreError> {
        sqlx::query(
            "SELECT agent_id, COUNT(*) AS flagged FROM ticket_events
             WHERE kind = 'message' AND sender = 'agent' AND agent_id IS NOT NULL
               AND flagged_terms IS NOT NULL AND flagged_terms <> ''
             GROUP BY agent_id",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|row| {
            let count: i64 = row.try_get("flagged")?;
            Ok((
                row.try_get("agent_id")?,
                u64::try_from(count).map_err(|e| corrupt("ticket_events", e))?,
            ))
        })
        .collect()
    }
}
