//! Handing a session to a person, once that option is on offer, and leaving the queue.

use super::{BotError, Engine, committed, turn::closed_error};
use crate::{
    handoff::{Escalation, HandoffError, QueuePlace},
    session::{Reply, Session, SessionState, SessionView},
    vocabulary::Language,
};

/// The result of asking for a person.
#[derive(Clone, Debug)]
pub struct Handoff {
    /// The session, now QUEUED.
    pub session: SessionView,
    /// Where it waits.
    pub place: QueuePlace,
    /// What to tell the customer.
    pub notice: String,
}

impl Engine {
    /// Queues the session for a person. Asking again while queued returns the
    /// current place of the same ticket.
    pub async fn request_agent(&self, user: &str, session_id: &str) -> Result<Handoff, BotError> {
        let mut session = self.owned(user, session_id).await?;
        let handoff = self.hand_off(&mut session).await?;
        committed(session, handoff).await
    }

    /// Queues `session` for a person (the `RequestAgent` RPC, or a typed 转人工 once a
    /// person is on offer): one ticket per hand-off, asking again while queued returns
    /// the place of the same ticket.
    pub(super) async fn hand_off(&self, session: &mut Session) -> Result<Handoff, BotError> {
        let session_id = session.id.clone();
        let brain = self.brain();
        let language = session_language(session);
        match (session.state, session.ticket_id.clone()) {
            (SessionState::Closed, _) => return Err(closed_error(session)),
            (SessionState::Queued, Some(ticket)) => {
                let place = self
                    .desk
                    .place(&ticket, &session.user_id)
                    .await
                    .map_err(|e| self.human_side_error(session, e))?;
                let notice = self.queued_notice(language, &place);
                return Ok(Handoff {
                    session: session.view(),
                    place,
                    notice,
                });
            }
            (SessionState::Queued | SessionState::WithAgent, _) => {
                return Err(BotError::WrongState(format!(
                    "session {session_id} is already with a person"
                )));
            }
            (SessionState::Bot, _) => {}
        }
        if !session.agent_offered {
            return Err(BotError::WrongState(brain.ask_problem(language)));
        }
        let (intent, skill) = session.last_problem.clone().unwrap_or_else(|| {
            (
                "handoff.human".to_owned(),
                brain.default_skill(session.entrance),
            )
        });
        let escalation = Escalation {
            idempotency_key: format!("{}:{}", session.id, session.transcript.written()),
            customer_id: session.user_id.clone(),
            entrance: session.entrance,
            skill,
            priority: 0,
            reason: "customer asked for a person".to_owned(),
            intent,
            session_id: session.id.clone(),
            transcript: session.transcript.lines().cloned().collect(),
        };
        self.metrics.handoff_requested(session.entrance);
        let place = self.desk.escalate(&escalation).await.map_err(|e| {
            self.metrics.handoff_failed(
                session.entrance,
                match &e {
                    HandoffError::Unavailable(_) => "unavailable",
                    HandoffError::Timeout(_) => "timeout",
                    HandoffError::Refused(_) | HandoffError::Rejected(..) => "refused",
                },
            );
            self.human_side_error(session, e)
        })?;
        session.queue(place.ticket_id.clone());
        session.last_sequence = place.known_events;
        session.last_activity = self.now();
        let notice = self.queued_notice(language, &place);
        Ok(Handoff {
            session: session.view(),
            place,
            notice,
        })
    }

    /// A typed request for a person (转人工, "talk to a person") while one is on offer:
    /// queues the session as [`Engine::request_agent`] does, and the reply says where
    /// the customer stands, or why it could not be done and what to do instead.
    pub(super) async fn typed_hand_off(&self, session: &mut Session, reply: &mut Reply) {
        reply.quick_replies.clear();
        reply.text = match self.hand_off(session).await {
            Ok(handoff) => handoff.notice,
            Err(e) => {
                tracing::warn!(error = %e, session = %session.id, "typed hand-off failed");
                e.to_string()
            }
        };
    }

    /// Joins `session` to the customer's open conversation with a person at its
    /// entrance, if there is one; returns what to tell the customer. Best effort: when
    /// agent-service cannot be asked in time the session simply starts with the robot.
    pub(super) async fn rejoin_open_conversation(
        &self,
        session: &mut Session,
        language: Language,
    ) -> Option<String> {
        let lookup = self
            .desk
            .open_conversation(&session.user_id, session.entrance);
        let open = match tokio::time::timeout(REJOIN_LOOKUP_LIMIT, lookup).await {
            Ok(Ok(open)) => open?,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not look for an open conversation with a person");
                return None;
            }
            Err(_) => {
                tracing::warn!("looking for an open conversation with a person timed out");
                return None;
            }
        };
        session.queue(open.place.ticket_id.clone());
        let brain = self.brain();
        let notice = match open.agent {
            Some(agent) => {
                let notice = brain.rejoined_notice(language, &agent);
                session.state = SessionState::WithAgent;
                session.agent = Some(agent);
                notice
            }
            None => self.queued_notice(language, &open.place),
        };
        tracing::info!(session = %session.id, ticket = %open.place.ticket_id, "session rejoined an open conversation");
        Some(notice)
    }

    /// Leaves the human queue and goes back to the robot.
    pub async fn leave_queue(&self, user: &str, session_id: &str) -> Result<SessionView, BotError> {
        let mut session = self.owned(user, session_id).await?;
        if session.state != SessionState::Queued {
            return Err(BotError::WrongState(format!(
                "session {session_id} is not waiting in a queue"
            )));
        }
        if let Some(ticket) = session.ticket_id.clone() {
            self.desk
                .cancel(&ticket, &session.user_id)
                .await
                .map_err(|e| {
                    BotError::AgentUnavailable(format!("could not leave the queue, try again: {e}"))
                })?;
        }
        session.leave_queue();
        session.last_activity = self.now();
        let view = session.view();
        committed(session, view).await
    }
}

impl Engine {
    /// What the customer is told once queued, in `language`.
    fn queued_notice(&self, language: Language, place: &QueuePlace) -> String {
        super::notices::queued(
            language,
            place.position,
            place.estimated_wait,
            &self.settings.hotline,
        )
    }
}

/// How long starting a session waits to learn about an open conversation with a person.
const REJOIN_LOOKUP_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The language of the customer's latest message (Chinese before any).
pub(super) fn session_language(session: &Session) -> Language {
    session
        .transcript
        .lines()
        .rev()
        .find(|l| l.speaker == crate::session::Speaker::Customer)
        .map(|l| crate::text::detect_language(&l.text))
        .unwrap_or(Language::Zh)
}
