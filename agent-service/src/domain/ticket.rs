//! Tickets: one escalation from the robot to the human side, and the escalation request
//! that creates one (validated, with a digest so a reused idempotency key can be told
//! apart from an honest retry).

use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::{AgentCard, CloseReason, DomainError, Entrance, Sender, TicketStatus, agent::valid_id};

/// Highest priority; higher is served first.
pub const MAX_PRIORITY: u8 = 9;
/// Longest reason or intent, in characters.
pub const MAX_LABEL_CHARS: usize = 200;
/// Most transcript lines one escalation may carry.
pub const MAX_TRANSCRIPT_LINES: usize = 500;
/// Longest transcript line, in characters.
pub const MAX_LINE_CHARS: usize = 2000;
/// Longest idempotency key or bot session id, in characters.
pub const MAX_KEY_CHARS: usize = 128;

/// One escalation as stored: who, where, why, and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    /// UUIDv7.
    pub ticket_id: String,
    /// The customer the bot escalated for.
    pub customer_id: String,
    /// Which door, hence which queues.
    pub entrance: Entrance,
    /// The skill queue.
    pub skill: String,
    /// 0..=9, higher is served first.
    pub priority: u8,
    /// Why a person was asked for.
    pub reason: String,
    /// The last intent the robot recognised.
    pub intent: String,
    /// The robot session it came from.
    pub bot_session_id: String,
    /// Queued, with an agent, or closed.
    pub status: TicketStatus,
    /// The agent serving it (with an agent) or who served it last.
    pub agent: Option<AgentCard>,
    /// When it was stored.
    pub created_at: SystemTime,
    /// When an agent last accepted it.
    pub assigned_at: Option<SystemTime>,
    /// When it closed.
    pub closed_at: Option<SystemTime>,
    /// Why it closed.
    pub close_reason: Option<CloseReason>,
    /// The sequence number of its latest event.
    pub last_sequence: u64,
}

impl Ticket {
    /// Whether the ticket is still queued or with an agent.
    pub fn is_open(&self) -> bool {
        self.status != TicketStatus::Closed
    }
}

/// The public id of line `line_no` (from 1) of a ticket's robot transcript, next to the
/// human messages' [`TicketEvent::message_id`](super::TicketEvent::message_id).
pub fn transcript_line_id(ticket_id: &str, line_no: usize) -> String {
    format!("{ticket_id}-bot-{line_no}")
}

/// One line of the robot conversation that came before the hand-off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TranscriptLine {
    /// Customer or bot, usually.
    pub sender: Sender,
    /// What was said.
    pub text: String,
    /// When.
    pub at: SystemTime,
    /// The intent the robot recognised (customer lines); empty when none.
    pub intent: String,
}

/// What bot-service sends to have a customer queued for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escalation {
    /// Retries with the same key return the same ticket.
    pub idempotency_key: String,
    /// The customer.
    pub customer_id: String,
    /// Which door.
    pub entrance: Entrance,
    /// The skill queue.
    pub skill: String,
    /// 0..=9.
    pub priority: u8,
    /// Why a person was asked for.
    pub reason: String,
    /// The last recognised intent.
    pub intent: String,
    /// The robot session.
    pub bot_session_id: String,
    /// The robot conversation so far.
    pub transcript: Vec<TranscriptLine>,
}

/// The latest instant a client may send (the end of 9999): later ones do not survive the
/// store's millisecond form (found by fuzzing: year 292 billion was stored as 1969).
fn latest_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(253_402_300_799)
}

impl Escalation {
    /// INVALID_ARGUMENT-worthy problems, naming the field.
    pub fn validate(&self) -> Result<(), DomainError> {
        let key = &self.idempotency_key;
        if key.is_empty() || key.chars().count() > MAX_KEY_CHARS || !printable(key) {
            return Err(DomainError::invalid(
                "idempotency_key",
                format!("must be 1-{MAX_KEY_CHARS} printable characters"),
            ));
        }
        require_id("customer_id", &self.customer_id)?;
        require_id("skill", &self.skill)?;
        if self.priority > MAX_PRIORITY {
            return Err(DomainError::invalid(
                "priority",
                format!("must be 0-{MAX_PRIORITY}"),
            ));
        }
        limit_chars("reason", &self.reason, MAX_LABEL_CHARS)?;
        limit_chars("intent", &self.intent, MAX_LABEL_CHARS)?;
        limit_chars("bot_session_id", &self.bot_session_id, MAX_KEY_CHARS)?;
        if !printable(&self.bot_session_id) {
            return Err(DomainError::invalid("bot_session_id", "must be printable"));
        }
        if self.transcript.len() > MAX_TRANSCRIPT_LINES {
            return Err(DomainError::invalid(
                "transcript",
                format!("must have at most {MAX_TRANSCRIPT_LINES} lines"),
            ));
        }
        for (i, line) in self.transcript.iter().enumerate() {
            limit_chars(&format!("transcript[{i}].text"), &line.text, MAX_LINE_CHARS)?;
            limit_chars(
                &format!("transcript[{i}].intent"),
                &line.intent,
                MAX_LABEL_CHARS,
            )?;
            if line.at > latest_time() {
                return Err(DomainError::invalid(
                    format!("transcript[{i}].at"),
                    "must be before the year 10000",
                ));
            }
        }
        Ok(())
    }

    /// SHA-256 (hex) of a canonical encoding of everything but the idempotency key: equal
    /// exactly when two requests ask for the same thing.
    pub fn digest(&self) -> String {
        let mut canon = Canonical(Sha256::new());
        canon.text("honeydesk.ticket.v1");
        for field in [
            self.customer_id.as_str(),
            self.entrance.as_str(),
            &self.skill,
            &self.reason,
            &self.intent,
            &self.bot_session_id,
        ] {
            canon.text(field);
        }
        canon.number(u64::from(self.priority));
        canon.number(self.transcript.len() as u64);
        for line in &self.transcript {
            canon.text(line.sender.as_str());
            canon.text(&line.text);
            canon.number(server_kit::time::unix_millis(line.at) as u64);
            canon.text(&line.intent);
        }
        hex::encode(canon.0.finalize())
    }
}

/// Length-prefixed fields, so no two different payloads encode alike.
/// A length-prefixed SHA-256 encoding of fields, for request digests.
pub(crate) struct Canonical(pub(crate) Sha256);

impl Canonical {
    /// Adds a text field.
    pub(crate) fn text(&mut self, s: &str) {
        self.number(s.len() as u64);
        self.0.update(s.as_bytes());
    }

    /// Adds a number.
    pub(crate) fn number(&mut self, n: u64) {
        self.0.update(n.to_be_bytes());
    }
}

fn printable(s: &str) -> bool {
    s.chars().all(|c| !c.is_control())
}

/// INVALID_ARGUMENT unless `value` is a well-formed id.
pub(crate) fn require_id(field: &str, value: &str) -> Result<(), DomainError> {
    if valid_id(value) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            "must be 1-64 letters, digits, '-', '_' or '.'",
        ))
    }
}

pub(crate) fn limit_chars(field: &str, value: &str, max: usize) -> Result<(), DomainError> {
    if value.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// Sample escalations for tests across the crate.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::time::{Duration, SystemTime};

    use super::{Escalation, TranscriptLine};
    use crate::domain::{Entrance, Sender};

    /// A valid consumer escalation to the `orders` queue.
    pub fn escalation(key: &str, customer_id: &str) -> Escalation {
        Escalation {
            idempotency_key: key.into(),
            customer_id: customer_id.into(),
            entrance: Entrance::Consumer,
            skill: "orders".into(),
            priority: 0,
            reason: "customer asked for a person".into(),
            intent: "order.not_shipped".into(),
            bot_session_id: format!("session-{customer_id}"),
            transcript: vec![
                TranscriptLine {
                    sender: Sender::Customer,
                    text: "拍下后超时不发货".into(),
                    at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
                    intent: "order.not_shipped".into(),
                },
                TranscriptLine {
                    sender: Sender::Bot,
                    text: "正在为您转接人工客服".into(),
                    at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_001),
                    intent: String::new(),
                },
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escalation() -> Escalation {
        super::fixtures::escalation("session-1:4", "u-1")
    }

    fn field_of(e: Escalation) -> String {
        match e.validate().unwrap_err() {
            DomainError::Invalid { field, .. } => field,
            other => panic!("not invalid: {other}"),
        }
    }

    #[test]
    fn validation_names_the_field() {
        escalation().validate().unwrap();
        type Spoiler = (&'static str, fn(&mut Escalation));
        let cases: [Spoiler; 9] = [
            ("idempotency_key", |e| e.idempotency_key.clear()),
            ("idempotency_key", |e| e.idempotency_key = "k".repeat(129)),
            ("idempotency_key", |e| e.idempotency_key = "a\u{7}b".into()),
            ("customer_id", |e| e.customer_id = "has space".into()),
            ("skill", |e| e.skill.clear()),
            ("priority", |e| e.priority = 10),
            ("reason", |e| e.reason = "x".repeat(201)),
            ("transcript", |e| {
                e.transcript = vec![e.transcript[0].clone(); 501]
            }),
            ("transcript[0].text", |e| {
                e.transcript[0].text = "长".repeat(2001)
            }),
        ];
        for (field, spoil) in cases {
            let mut e = escalation();
            spoil(&mut e);
            assert_eq!(field_of(e), field);
        }
        let mut e = escalation();
        e.idempotency_key = "键".repeat(128);
        e.reason = "因".repeat(200);
        e.priority = 9;
        e.validate().unwrap();
    }

    #[test]
    fn digest_covers_the_payload_but_not_the_key() {
        let base = escalation().digest();
        assert_eq!(base.len(), 64);
        let mut same = escalation();
        same.idempotency_key = "another".into();
        assert_eq!(same.digest(), base);
        let mut e = escalation();
        e.priority = 1;
        assert_ne!(e.digest(), base);
        let mut e = escalation();
        e.transcript[0].text.push('!');
        assert_ne!(e.digest(), base);
        // Field boundaries matter: moving a character from one field to the next changes it.
        let mut a = escalation();
        a.reason = "ab".into();
        a.intent = "c".into();
        let mut b = escalation();
        b.reason = "a".into();
        b.intent = "bc".into();
        assert_ne!(a.digest(), b.digest());
    }
}
