//! What replicas sharing one database hear of each other (PostgreSQL only). When several
//! agent-service replicas share one database, every transaction that stores ticket
//! events, offers or agent changes also `NOTIFY`s them on one channel, inside the
//! transaction, so only committed changes are announced; each replica `LISTEN`s on one
//! dedicated connection (sqlx's `PgListener`) and turns what it hears into hints for its
//! streams and its copy of the routing state. Notices are hints: a stream that hears one
//! reads the store by sequence, routing re-reads the ticket or agent named, and a
//! listener that lost its connection reports a gap, after which everything re-reads the
//! store. Announcing is off unless replicas are configured: a `NOTIFY` serialises commits
//! on a database-wide lock, a cost a single replica need not pay.

use sqlx::{AnyConnection, postgres::PgListener};
use tokio::sync::mpsc;

use super::StoreError;
pub use crate::domain::routing::replica::{Change, Heard};
use crate::domain::{EventKind, Sender, TicketEvent, routing::Offer};

/// The channel stored events are announced on.
pub const CHANNEL: &str = "honeydesk_ticket_events";

/// Payloads stay under PostgreSQL's 8,000-byte limit.
const MAX_PAYLOAD: usize = 7_000;

/// Whether this store announces the events it stores to other replicas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Announce(pub bool);

/// One event as a payload line: `ticket<TAB>sequence<TAB>change[<TAB>joining agent]`.
fn line(event: &TicketEvent) -> String {
    let (ticket, seq) = (&event.ticket_id, event.sequence);
    match &event.kind {
        EventKind::AgentJoined { agent_id } => format!("{ticket}\t{seq}\ts\t{agent_id}"),
        EventKind::Message {
            sender: Sender::Customer,
            ..
        } => format!("{ticket}\t{seq}\tc"),
        EventKind::Message { .. } => format!("{ticket}\t{seq}\to"),
        _ => format!("{ticket}\t{seq}\ts"),
    }
}

/// An offer made, as a payload line.
pub(super) fn offered_line(offer: &Offer) -> String {
    let expires = server_kit::time::unix_millis(offer.expires_at);
    format!(
        "!offer\t{}\t{}\t{}\t{expires}",
        offer.offer_id, offer.ticket_id, offer.agent_id
    )
}

/// An offer ended, as a payload line (tabs and newlines in the reason become spaces).
pub(super) fn ended_line(offer_id: &str, agent_id: &str, reason: &str) -> String {
    let reason: String = reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("!ended\t{offer_id}\t{agent_id}\t{reason}")
}

/// An agent changed, as a payload line.
pub(super) fn agent_line(agent_id: &str) -> String {
    format!("!agent\t{agent_id}")
}

/// Announces `events` inside the caller's transaction (delivered when it commits).
pub(super) async fn announce(
    conn: &mut AnyConnection,
    announce: Announce,
    events: &[TicketEvent],
) -> Result<(), StoreError> {
    announce_lines(conn, announce, events.iter().map(line)).await
}

/// Announces payload `lines` inside the caller's transaction (delivered when it commits),
/// as few notifications as the payload limit allows.
pub(super) async fn announce_lines(
    conn: &mut AnyConnection,
    announce: Announce,
    lines: impl IntoIterator<Item = String>,
) -> Result<(), StoreError> {
    if !announce.0 {
        return Ok(());
    }
    let mut payload = String::new();
    for line in lines {
        if !payload.is_empty() && payload.len() + line.len() + 1 > MAX_PAYLOAD {
            notify(conn, &std::mem::take(&mut payload)).await?;
        }
        if !payload.is_empty() {
            payload.push('\n');
        }
        payload.push_str(&line);
    }
    if payload.is_empty() {
        return Ok(());
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
        .map(|line| parse_line(line).unwrap_or(Heard::Gap))
        .collect()
}

fn parse_line(line: &str) -> Option<Heard> {
    let mut parts = line.split('\t');
    let mut next = || parts.next().filter(|p| !p.is_empty()).map(str::to_owned);
    let first = next()?;
    Some(match first.as_str() {
        "!offer" => Heard::Offered(Offer {
            offer_id: next()?,
            ticket_id: next()?,
            agent_id: next()?,
            expires_at: server_kit::time::from_unix_millis(next()?.parse().ok()?),
        }),
        "!ended" => Heard::OfferEnded {
            offer_id: next()?,
            agent_id: next()?,
            reason: next().unwrap_or_default(),
        },
        "!agent" => Heard::AgentChanged(next()?),
        _ => Heard::Stored {
            ticket_id: first,
            sequence: next()?.parse().ok()?,
            change: match next()?.as_str() {
                "s" => Change::State,
                "c" => Change::CustomerMessage,
                "o" => Change::Other,
                _ => return None,
            },
            joined: next(),
        },
    })
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
        let at = std::time::SystemTime::UNIX_EPOCH;
        let joined = TicketEvent {
            ticket_id: "t-1".into(),
            sequence: 2,
            at,
            kind: EventKind::AgentJoined {
                agent_id: "a-1".into(),
            },
        };
        let said = TicketEvent {
            ticket_id: "t-2".into(),
            sequence: 7,
            at,
            kind: EventKind::Message {
                sender: Sender::Customer,
                text: "hi".into(),
                agent_id: None,
                client_message_id: None,
                flagged_terms: vec![],
            },
        };
        let offer = Offer {
            offer_id: "o-1".into(),
            ticket_id: "t-3".into(),
            agent_id: "a-2".into(),
            expires_at: at + std::time::Duration::from_millis(1_234),
        };
        let payload = [
            line(&joined),
            line(&said),
            offered_line(&offer),
            ended_line("o-1", "a-2", "it was\tdeclined"),
            agent_line("a-2"),
            "nonsense".into(),
            "t-4\tx\ts".into(),
        ]
        .join("\n");
        assert_eq!(
            parse(&payload),
            vec![
                Heard::Stored {
                    ticket_id: "t-1".into(),
                    sequence: 2,
                    joined: Some("a-1".into()),
                    change: Change::State,
                },
                Heard::Stored {
                    ticket_id: "t-2".into(),
                    sequence: 7,
                    joined: None,
                    change: Change::CustomerMessage,
                },
                Heard::Offered(offer),
                Heard::OfferEnded {
                    offer_id: "o-1".into(),
                    agent_id: "a-2".into(),
                    reason: "it was declined".into(),
                },
                Heard::AgentChanged("a-2".into()),
                Heard::Gap,
                Heard::Gap,
            ]
        );
    }
}
