//! Stored events heard across replicas (PostgreSQL only). When several agent-service
//! replicas share one database, every transaction that stores ticket events also
//! `NOTIFY`s their ticket and sequence number on one channel, inside the transaction, so
//! only committed events are announced; each replica `LISTEN`s on one dedicated
//! connection (sqlx's `PgListener`) and turns what it hears into hints for its streams.
//! Notices are hints: a stream that hears one reads the store by sequence, and a listener
//! that lost its connection reports a gap, after which every stream re-reads the store.
//! Announcing is off unless replicas are configured: a `NOTIFY` serialises commits on a
//! database-wide lock, a cost a single replica need not pay.

use sqlx::{AnyConnection, postgres::PgListener};
use tokio::sync::mpsc;

use super::StoreError;
use crate::domain::{EventKind, TicketEvent};

/// The channel stored events are announced on.
pub const CHANNEL: &str = "honeydesk_ticket_events";

/// Payloads stay under PostgreSQL's 8,000-byte limit.
const MAX_PAYLOAD: usize = 7_000;

/// Whether this store announces the events it stores to other replicas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Announce(pub bool);

/// What a replica hears from the others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Heard {
    /// An event was stored (by this replica or another).
    Stored {
        /// The ticket.
        ticket_id: String,
        /// The event's sequence number.
        sequence: u64,
        /// The agent who joined, for an agent-joined event.
        joined: Option<String>,
    },
    /// Notices may have been missed: re-read the store.
    Gap,
}

/// One event as a payload line: `ticket<TAB>sequence[<TAB>joining agent]`.
fn line(event: &TicketEvent) -> String {
    match &event.kind {
        EventKind::AgentJoined { agent_id } => {
            format!("{}\t{}\t{agent_id}", event.ticket_id, event.sequence)
        }
        _ => format!("{}\t{}", event.ticket_id, event.sequence),
    }
}

/// Announces `events` inside the caller's transaction (delivered when it commits).
pub(super) async fn announce(
    conn: &mut AnyConnection,
    announce: Announce,
    events: &[TicketEvent],
) -> Result<(), StoreError> {
    if !announce.0 || events.is_empty() {
        return Ok(());
    }
    let mut payload = String::new();
    for event in events {
        let line = line(event);
        if !payload.is_empty() && payload.len() + line.len() + 1 > MAX_PAYLOAD {
            notify(conn, &std::mem::take(&mut payload)).await?;
        }
        if !payload.is_empty() {
            payload.push('\n');
        }
        payload.push_str(&line);
    }
    notify(conn, &payload).await
}

async fn notify(conn: &mut AnyConnection, payload: &str) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(conn)
        .await?;
    Ok(())
}

/// What one notification says; a line that cannot be read is a gap (re-read all).
pub fn parse(payload: &str) -> Vec<Heard> {
    payload
        .lines()
        .map(|line| {
            let mut parts = line.split('\t');
            let ticket_id = parts.next().filter(|t| !t.is_empty());
            let sequence = parts.next().and_then(|s| s.parse::<u64>().ok());
            match (ticket_id, sequence) {
                (Some(ticket_id), Some(sequence)) => Heard::Stored {
                    ticket_id: ticket_id.to_owned(),
                    sequence,
                    joined: parts.next().map(str::to_owned),
                },
                _ => Heard::Gap,
            }
        })
        .collect()
}

/// Listens on a dedicated connection to `url` and sends what it hears to `heard` until
/// the receiver goes; a lost connection is reported as a [`Heard::Gap`] once it is back.
/// Fails only if the first connection cannot be made.
pub async fn listen(url: &str, heard: mpsc::Sender<Heard>) -> Result<(), StoreError> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    tokio::spawn(async move {
        loop {
            let items = tokio::select! {
                () = heard.closed() => return,
                next = listener.try_recv() => match next {
                    Ok(Some(notification)) => parse(notification.payload()),
                    // The connection dropped; the listener reconnects on the next call.
                    Ok(None) => vec![Heard::Gap],
                    Err(e) => {
                        tracing::warn!(error = %e, "event feed: cannot reach PostgreSQL; retrying");
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                        vec![Heard::Gap]
                    }
                },
            };
            for item in items {
                if heard.send(item).await.is_err() {
                    return;
                }
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_lines_read_back_and_garbage_is_a_gap() {
        let joined = TicketEvent {
            ticket_id: "t-1".into(),
            sequence: 2,
            at: std::time::SystemTime::UNIX_EPOCH,
            kind: EventKind::AgentJoined {
                agent_id: "a-1".into(),
            },
        };
        let payload = format!("{}\nt-2\t7\nnonsense", line(&joined));
        assert_eq!(
            parse(&payload),
            vec![
                Heard::Stored {
                    ticket_id: "t-1".into(),
                    sequence: 2,
                    joined: Some("a-1".into())
                },
                Heard::Stored {
                    ticket_id: "t-2".into(),
                    sequence: 7,
                    joined: None
                },
                Heard::Gap,
            ]
        );
    }
}
