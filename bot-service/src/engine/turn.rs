//! One user turn: validate the message, replay a retried one, recognise the intent,
//! compose the answer, and decide whether "talk to a person" is on offer.

use super::{BotError, Engine, committed};
use crate::{
    session::{
        RecognisedIntent, Reply, Session, SessionState, SessionView, Speaker, memory::Answered,
    },
    vocabulary::IntentKind,
};

/// Longest client message id accepted.
const MAX_CLIENT_MESSAGE_ID: usize = 128;

/// What a turn produced.
#[derive(Clone, Debug)]
pub struct TurnOutcome {
    /// The session after the turn.
    pub session: SessionView,
    /// The robot's reply, or word that a person got the message.
    pub reply: TurnReply,
}

/// Who answers a turn.
#[derive(Clone, Debug)]
pub enum TurnReply {
    /// The robot answered.
    Bot(Reply),
    /// The message went to the person (QUEUED or WITH_AGENT); their answer comes on the
    /// session's event stream.
    Relayed {
        /// The message's sequence number in the ticket.
        sequence: u64,
    },
}

impl Engine {
    /// Answers one user message. A retry with the same `client_message_id` returns the
    /// same reply and changes nothing.
    pub async fn turn(
        &self,
        user: &str,
        session_id: &str,
        client_message_id: &str,
        text: &str,
    ) -> Result<TurnOutcome, BotError> {
        self.turn_as(user, None, session_id, client_message_id, text)
            .await
    }

    /// [`Engine::turn`] for a caller whose token may carry their own mobile number,
    /// which a task (phone top-up) can use for "my own number".
    pub async fn turn_as(
        &self,
        user: &str,
        phone: Option<&str>,
        session_id: &str,
        client_message_id: &str,
        text: &str,
    ) -> Result<TurnOutcome, BotError> {
        validate_message_id(client_message_id)?;
        self.validate_text(text)?;
        let mut session = self.owned(user, session_id).await?;
        match session.replies.lookup(client_message_id, text) {
            Answered::New => {}
            Answered::Replay(reply) => {
                let outcome = TurnOutcome {
                    reply: TurnReply::Bot(reply.clone()),
                    session: session.view(),
                };
                return committed(session, outcome).await;
            }
            Answered::OtherText => {
                return Err(BotError::WrongState(format!(
                    "client_message_id '{client_message_id}' was already used for a different text; choose a new id for each message (a retry repeats the same text)"
                )));
            }
        }
        match session.state {
            SessionState::Closed => return Err(closed_error(&session)),
            SessionState::Queued | SessionState::WithAgent => {
                let sequence = self.relay(&mut session, client_message_id, text).await?;
                self.metrics.relayed(session.entrance);
                let outcome = TurnOutcome {
                    session: session.view(),
                    reply: TurnReply::Relayed { sequence },
                };
                return committed(session, outcome).await;
            }
            SessionState::Bot => {}
        }
        let now = self.now();
        session.last_activity = now;
        let offered_before = session.agent_offered;
        let mut reply = self.converse(&mut session, phone, text).await;
        if reply.fallback {
            self.note_unanswered(session.entrance, text, now).await;
        }
        self.metrics.turn(
            session.entrance,
            reply.intent.as_ref().map(|i| (i.kind, i.confidence)),
        );
        session.log(
            Speaker::Customer,
            text,
            now,
            reply.intent.as_ref().map(|i| i.name.as_str()),
        );
        // A typed 转人工 once a person is on offer does what the button does.
        if offered_before
            && reply
                .intent
                .as_ref()
                .is_some_and(|i| i.kind == IntentKind::Handoff)
        {
            self.typed_hand_off(&mut session, &mut reply).await;
        }
        session.log(Speaker::Bot, &reply.text, now, None);
        session
            .replies
            .remember(client_message_id.to_owned(), text, reply.clone());
        let outcome = TurnOutcome {
            session: session.view(),
            reply: TurnReply::Bot(reply),
        };
        committed(session, outcome).await
    }

    /// Recognises `text` and builds the reply, updating the offer counters.
    pub(super) fn compose(&self, session: &mut Session, text: &str) -> Reply {
        let brain = self.brain();
        let now = self.now();
        let understanding = brain.understand(session.entrance, text);
        let language = understanding.language;
        let variant = (session.transcript.written() / 2) as usize;
        let Some(matched) = understanding.matched else {
            session.fallbacks_in_a_row += 1;
            if session.fallbacks_in_a_row >= self.settings.offer_agent_after_fallbacks {
                session.agent_offered = true;
            }
            return brain.fallback(
                session.entrance,
                language,
                variant,
                understanding.suggestions,
                session.agent_offered,
                now,
            );
        };
        session.fallbacks_in_a_row = 0;
        let mut answer = brain.answer(&matched.name, language, variant, &self.settings.hotline);
        match matched.kind {
            IntentKind::Faq | IntentKind::Task | IntentKind::Complaint => {
                session.recognised_turns += 1;
                session.last_problem = Some((matched.name.clone(), matched.skill.clone()));
            }
            IntentKind::Handoff => {
                session.agent_offered = true;
                if session.last_problem.is_none() {
                    answer.text = brain.ask_problem(language);
                }
            }
            IntentKind::Chitchat => {}
        }
        if session.recognised_turns >= self.settings.offer_agent_after_turns {
            session.agent_offered = true;
        }
        Reply {
            reply_id: server_kit::request_id::new_id(),
            text: answer.text,
            language,
            intent: Some(RecognisedIntent {
                name: matched.name,
                kind: matched.kind,
                confidence: matched.confidence,
            }),
            fallback: false,
            quick_replies: answer.quick_replies,
            suggestions: Vec::new(),
            agent_offered: session.agent_offered,
            at: now,
            complaint: None,
        }
    }

    fn validate_text(&self, text: &str) -> Result<(), BotError> {
        if text.is_empty() {
            return Err(BotError::invalid("text", "must not be empty"));
        }
        if server_kit::text::is_blank(text) {
            return Err(BotError::invalid(
                "text",
                "must not be only whitespace or invisible characters",
            ));
        }
        let chars = text.chars().count();
        if chars > self.settings.max_message_chars {
            return Err(BotError::invalid(
                "text",
                format!(
                    "is {chars} characters long; at most {} are accepted",
                    self.settings.max_message_chars
                ),
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        {
            return Err(BotError::invalid("text", "contains control characters"));
        }
        Ok(())
    }
}

fn validate_message_id(id: &str) -> Result<(), BotError> {
    if id.trim().is_empty() {
        return Err(BotError::invalid(
            "client_message_id",
            "is required (choose one per message; retries reuse it)",
        ));
    }
    if id.len() > MAX_CLIENT_MESSAGE_ID || id.chars().any(char::is_control) {
        return Err(BotError::invalid(
            "client_message_id",
            format!("must be at most {MAX_CLIENT_MESSAGE_ID} printable characters"),
        ));
    }
    Ok(())
}

/// FAILED_PRECONDITION for a message on a closed session, saying why it closed.
pub(super) fn closed_error(session: &Session) -> BotError {
    use crate::session::CloseReason;
    match session.close_reason {
        Some(CloseReason::IdleTimeout) => BotError::WrongState(format!(
            "session {} timed out after {} without a message; start a new session",
            session.id,
            spoken_duration(session.idle_timeout)
        )),
        _ => BotError::WrongState(format!(
            "session {} is closed; start a new session",
            session.id
        )),
    }
}

/// A duration as a person says it, exactly: "20 seconds", "1 minute", "90 seconds",
/// "2 hours" (never "1 minutes" for 20 s).
fn spoken_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = if secs == 0 || !secs.is_multiple_of(60) {
        (secs, "second")
    } else if !secs.is_multiple_of(3600) {
        (secs / 60, "minute")
    } else {
        (secs / 3600, "hour")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::spoken_duration;

    #[test]
    fn durations_are_said_exactly() {
        let said = |s| spoken_duration(Duration::from_secs(s));
        assert_eq!(said(20), "20 seconds");
        assert_eq!(said(1), "1 second");
        assert_eq!(said(60), "1 minute");
        assert_eq!(said(90), "90 seconds");
        assert_eq!(said(600), "10 minutes");
        assert_eq!(said(7200), "2 hours");
    }
}
