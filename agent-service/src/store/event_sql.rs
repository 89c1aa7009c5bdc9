//! The rows of `ticket_events`: which nullable columns each kind of event fills, and the
//! mapping between rows and [`TicketEvent`]s, on SQLite and PostgreSQL alike.

use std::time::SystemTime;

use server_kit::time::{from_unix_millis, unix_millis};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{
    StoreError,
    feed::Announce,
    rows::{placeholders, rows_per_statement},
    sql::corrupt,
    ticket_sql::{parse, sequence},
};
use crate::domain::{EventKind, TicketEvent};

pub(super) const EVENT_COLUMNS: &str =
    "ticket_id, sequence, at, kind, sender, agent_id, skill, from_skill,
    priority, text, close_reason, client_message_id, flagged_terms";

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

/// Inserts one event inside the caller's transaction; a unique violation (the sequence
/// or the client message id taken) is a conflict.
pub(super) async fn insert_event(
    conn: &mut AnyConnection,
    announce: Announce,
    ticket_id: &str,
    sequence: u64,
    at: SystemTime,
    kind: &EventKind,
) -> Result<TicketEvent, StoreError> {
    let event = TicketEvent {
        ticket_id: ticket_id.to_owned(),
        sequence,
        at: from_unix_millis(unix_millis(at)),
        kind: kind.clone(),
    };
    match insert_events(conn, announce, std::slice::from_ref(&event)).await {
        Err(StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => {
            Err(StoreError::Conflict(format!("event of ticket {ticket_id}")))
        }
        other => other.map(|()| event),
    }
}

/// Inserts events inside the caller's transaction, many rows per statement, and
/// announces them to other replicas when `announce` says so.
pub(super) async fn insert_events(
    conn: &mut AnyConnection,
    announce: Announce,
    events: &[TicketEvent],
) -> Result<(), StoreError> {
    const COLUMNS: usize = 13;
    for chunk in events.chunks(rows_per_statement(COLUMNS)) {
        let sql = format!(
            "INSERT INTO ticket_events ({EVENT_COLUMNS}) VALUES {}",
            placeholders(chunk.len(), COLUMNS)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            let c = event_columns(&e.kind);
            query = query
                .bind(e.ticket_id.as_str())
                .bind(e.sequence as i64)
                .bind(unix_millis(e.at))
                .bind(e.kind.as_str())
                .bind(c.sender)
                .bind(c.agent_id)
                .bind(c.skill)
                .bind(c.from_skill)
                .bind(c.priority)
                .bind(c.text)
                .bind(c.close_reason)
                .bind(c.client_message_id)
                .bind(c.flagged_terms);
        }
        query.execute(&mut *conn).await?;
    }
    super::feed::announce(conn, announce, events).await
}
