//! The live conversation: customer and agent messages (idempotent on the sender's
//! message id, stored before they are acknowledged, refused once the ticket is closed),
//! the agent's view of the whole history, and the customer's satisfaction rating.

use std::sync::Arc;

use server_kit::clock::SharedClock;

use super::{
    DomainError, EventKind, Sender, Ticket, TicketEvent, TicketStatus, TranscriptLine,
    flags::Flags,
    intake::owned_ticket,
    moderation::Lexicon,
    routing::Dispatcher,
    ticket::{MAX_KEY_CHARS, limit_chars},
};
use crate::store::{Appended, Rating, Store};

/// Longest chat message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Longest rating comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 500;

/// The whole conversation of a ticket, for the agent who takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    /// The ticket.
    pub ticket: Ticket,
    /// The robot part, before the hand-off.
    pub bot_transcript: Vec<TranscriptLine>,
    /// The human part, as stored events.
    pub events: Vec<TicketEvent>,
}

/// Messages, history and ratings over the store.
#[derive(Clone)]
pub struct Conversation {
    store: Arc<dyn Store>,
    clock: SharedClock,
    dispatcher: Dispatcher,
    lexicon: Arc<Lexicon>,
    flags: Flags,
}

fn check_message(client_message_id: &str, text: &str) -> Result<(), DomainError> {
    let id = client_message_id;
    if id.is_empty() || id.chars().count() > MAX_KEY_CHARS || id.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            "client_message_id",
            format!("must be 1-{MAX_KEY_CHARS} printable characters"),
        ));
    }
    check_text(text)
}

/// The stored message a retry found, if the retry carries the same text; a client
/// message id reused for another text is a client bug, not a retry.
fn same_message(stored: TicketEvent, retried: &EventKind) -> Result<TicketEvent, DomainError> {
    match (&stored.kind, retried) {
        (
            EventKind::Message {
                text,
                client_message_id: Some(id),
                ..
            },
            EventKind::Message { text: again, .. },
        ) if text != again => Err(DomainError::WrongState(format!(
            "client_message_id '{id}' was already used for a different text; choose a new id for each message (a retry repeats the same text)"
        ))),
        _ => Ok(stored),
    }
}

/// A message text must have something in it and fit [`MAX_MESSAGE_CHARS`].
fn check_text(text: &str) -> Result<(), DomainError> {
    if server_kit::text::is_blank(text) {
        return Err(DomainError::invalid(
            "text",
            "must not be empty (whitespace and invisible characters do not count)",
        ));
    }
    limit_chars("text", text, MAX_MESSAGE_CHARS)
}

impl Conversation {
    /// Conversations over `store`, timed by `clock`, telling `dispatcher` about customer
    /// activity.
    pub fn new(store: Arc<dyn Store>, clock: SharedClock, dispatcher: Dispatcher) -> Self {
        Self {
            store,
            clock,
            dispatcher,
            lexicon: Arc::new(Lexicon::default()),
            flags: Flags::new(server_kit::Shutdown::new()),
        }
    }

    /// The same, publishing flagged agent messages on `flags` once they are stored.
    pub fn with_flags(mut self, flags: Flags) -> Self {
        self.flags = flags;
        self
    }

    /// The same, marking agent messages that contain terms of `lexicon`.
    pub fn with_lexicon(mut self, lexicon: Arc<Lexicon>) -> Self {
        self.lexicon = lexicon;
        self
    }

    /// Relays a customer message (while queued or with an agent). A retry with the same
    /// id returns the stored message.
    pub async fn customer_message(
        &self,
        ticket_id: &str,
        customer_id: &str,
        client_message_id: &str,
        text: &str,
    ) -> Result<TicketEvent, DomainError> {
        check_message(client_message_id, text)?;
        owned_ticket(self.store.as_ref(), ticket_id, customer_id).await?;
        let kind = EventKind::Message {
            sender: Sender::Customer,
            text: text.to_owned(),
            agent_id: None,
            client_message_id: Some(client_message_id.to_owned()),
            flagged_terms: vec![],
        };
        let event = self.append(ticket_id, &kind, None).await?;
        self.dispatcher.touch(ticket_id, event.at).await;
        Ok(event)
    }

    /// The agent's message on a ticket they hold. A retry with the same id returns the
    /// stored message.
    pub async fn agent_message(
        &self,
        agent_id: &str,
        ticket_id: &str,
        client_message_id: &str,
        text: &str,
    ) -> Result<TicketEvent, DomainError> {
        check_message(client_message_id, text)?;
        let ticket = self.ticket(ticket_id).await?;
        if ticket.agent.as_ref().is_none_or(|a| a.agent_id != agent_id) {
            return Err(DomainError::Forbidden(format!(
                "ticket {ticket_id} is not yours"
            )));
        }
        let kind = EventKind::Message {
            sender: Sender::Agent,
            text: text.to_owned(),
            agent_id: Some(agent_id.to_owned()),
            client_message_id: Some(client_message_id.to_owned()),
            // Still delivered and stored, but marked for supervisors and the customer.
            flagged_terms: self.lexicon.check(text),
        };
        self.append(ticket_id, &kind, Some(agent_id)).await
    }

    /// What moderation would make of a text an agent might send, without sending it
    /// (operators tuning the lexicon): the terms found, empty when it is clean.
    pub fn moderate(&self, text: &str) -> Result<Vec<String>, DomainError> {
        check_text(text)?;
        Ok(self.lexicon.check(text))
    }

    async fn append(
        &self,
        ticket_id: &str,
        kind: &EventKind,
        agent_guard: Option<&str>,
    ) -> Result<TicketEvent, DomainError> {
        let now = self.clock.now();
        match self
            .store
            .append_chat(ticket_id, now, kind, agent_guard)
            .await?
        {
            Some(Appended::Stored(event)) => {
                if super::flags::Flag::of(&event).is_some() {
                    self.dispatcher.metrics().message_flagged();
                }
                self.flags.publish(&event);
                self.dispatcher.hub().event(event.clone());
                Ok(event)
            }
            Some(Appended::Duplicate(event)) => same_message(event, kind),
            Some(Appended::Refused(ticket)) => Err(DomainError::WrongState(match ticket.status {
                TicketStatus::Closed => format!("ticket {ticket_id} is closed"),
                _ => format!("ticket {ticket_id} is not with you now"),
            })),
            None => Err(unknown(ticket_id)),
        }
    }

    async fn ticket(&self, ticket_id: &str) -> Result<Ticket, DomainError> {
        self.store
            .ticket(ticket_id)
            .await?
            .ok_or_else(|| unknown(ticket_id))
    }

    /// The whole conversation, for the agent who holds the ticket, served it, or has it
    /// on offer.
    pub async fn history(
        &self,
        agent_id: &str,
        ticket_id: &str,
        after_sequence: u64,
    ) -> Result<History, DomainError> {
        let ticket = self.ticket(ticket_id).await?;
        let served = ticket
            .agent
            .as_ref()
            .is_some_and(|a| a.agent_id == agent_id);
        let offered = self
            .dispatcher
            .offer_of_ticket(ticket_id)
            .await
            .is_some_and(|o| o.agent_id == agent_id);
        if !served && !offered {
            return Err(DomainError::Forbidden(format!(
                "ticket {ticket_id} is not yours"
            )));
        }
        Ok(History {
            bot_transcript: self.store.transcript(ticket_id).await?,
            events: self.store.events_after(ticket_id, after_sequence).await?,
            ticket,
        })
    }

    /// The customer rates the agent who served them, once, after the close. Repeating
    /// the same rating is accepted (a retry); a different second rating is refused.
    pub async fn rate(
        &self,
        ticket_id: &str,
        customer_id: &str,
        score: u32,
        comment: &str,
    ) -> Result<Rating, DomainError> {
        let score = u8::try_from(score)
            .ok()
            .filter(|s| (1..=5).contains(s))
            .ok_or_else(|| DomainError::invalid("score", "must be 1-5"))?;
        limit_chars("comment", comment, MAX_COMMENT_CHARS)?;
        let ticket = owned_ticket(self.store.as_ref(), ticket_id, customer_id).await?;
        if ticket.status != TicketStatus::Closed {
            return Err(DomainError::WrongState(format!(
                "ticket {ticket_id} can be rated once it is closed"
            )));
        }
        let Some(agent) = ticket.agent else {
            return Err(DomainError::WrongState(format!(
                "no agent served ticket {ticket_id}, so there is nobody to rate"
            )));
        };
        let wanted = Rating {
            ticket_id: ticket_id.to_owned(),
            agent_id: agent.agent_id,
            score,
            comment: comment.to_owned(),
            rated_at: self.clock.now(),
        };
        let stored = self.store.rate_ticket(&wanted).await?;
        if (stored.score, &stored.comment) != (wanted.score, &wanted.comment) {
            return Err(DomainError::WrongState(format!(
                "ticket {ticket_id} was already rated {}",
                stored.score
            )));
        }
        Ok(stored)
    }
}

fn unknown(ticket_id: &str) -> DomainError {
    DomainError::NotFound(format!("no ticket '{ticket_id}'"))
}
