//! The conversation once a person is involved: the customer's messages relayed to the
//! agent, the session caught up with its ticket on each call (QUEUED → WITH_AGENT → BOT
//! or CLOSED as agent-service reports; no background follower, so any replica can
//! answer), the customer's event stream, and rating the person.

use std::pin::Pin;

use tokio::sync::{mpsc, watch};
use tokio_stream::{Stream, StreamExt, wrappers::ReceiverStream};

use super::{BotError, Engine, committed, handoff::session_language, notices, turn::closed_error};
use crate::{
    complaints::Offer,
    handoff::{HandoffError, HumanClose, HumanEvent, HumanEventKind, Rejection},
    session::{CloseReason, Session, SessionState},
};

/// Highest accepted agent rating.
const MAX_SCORE: u32 = 5;

/// Longest rating comment, in characters.
const MAX_COMMENT_CHARS: usize = 500;

/// One event for the customer, with the sentence to show them.
#[derive(Clone, Debug)]
pub struct CustomerEvent {
    /// What happened on the human side.
    pub event: HumanEvent,
    /// What to show the customer, in their language.
    pub notice: String,
    /// With a flagged agent message: the one-step complaint on offer.
    pub offer: Option<Offer>,
}

/// The customer's event stream.
pub type CustomerEvents = Pin<Box<dyn Stream<Item = Result<CustomerEvent, BotError>> + Send>>;

impl Engine {
    /// Passes a message to the person (QUEUED or WITH_AGENT sessions); returns its
    /// sequence number in the ticket. Retries with the same id are stored once.
    pub(super) async fn relay(
        &self,
        session: &mut Session,
        client_message_id: &str,
        text: &str,
    ) -> Result<u64, BotError> {
        let ticket = session
            .ticket_id
            .clone()
            .ok_or_else(|| closed_error(session))?;
        let sequence = self
            .desk
            .relay(&ticket, &session.user_id, client_message_id, text)
            .await
            .map_err(|e| self.human_side_error(session, e))?;
        session.last_activity = self.now();
        Ok(sequence)
    }

    /// The session's human-side events after `after_sequence`, then live, until the
    /// human conversation ends or the service stops.
    pub async fn events(
        &self,
        user: &str,
        session_id: &str,
        after_sequence: u64,
    ) -> Result<CustomerEvents, BotError> {
        let session = self.owned(user, session_id).await?;
        let Some(ticket) = session.ticket_id.clone().or(session.last_ticket.clone()) else {
            return Err(BotError::WrongState(format!(
                "session {session_id} is with the robot; its event stream follows a conversation with a person, so ask for one first"
            )));
        };
        let mut upstream = self
            .desk
            .follow(&ticket, &session.user_id, after_sequence)
            .await
            .map_err(|e| self.human_side_error(&session, e))?;
        let language = session_language(&session);
        let hotline = self.settings.hotline.clone();
        session.commit().await?;
        let mut stop = self.stop.subscribe();
        let (tx, rx) = mpsc::channel(32);
        tokio::spawn(async move {
            loop {
                let item = tokio::select! {
                    item = upstream.next() => item,
                    () = stopped(&mut stop) => break,
                    () = tx.closed() => break,
                };
                let Some(item) = item else { break };
                let last = matches!(
                    item,
                    Ok(HumanEvent {
                        kind: HumanEventKind::Closed { .. },
                        ..
                    }) | Err(_)
                );
                let out = item
                    .map(|event| CustomerEvent {
                        notice: notices::for_event(language, &event.kind, &hotline),
                        offer: match &event.kind {
                            HumanEventKind::AgentMessage {
                                message_id,
                                flagged: true,
                                ..
                            } => Some(Offer::for_message(language, message_id)),
                            _ => None,
                        },
                        event,
                    })
                    .map_err(|e| BotError::AgentUnavailable(e.to_string()));
                if tx.send(out).await.is_err() || last {
                    break;
                }
            }
        });
        Ok(Box::pin(ReceiverStream::new(rx)))
    }

    /// The customer's 1-5 rating of the person who served the session's latest ticket.
    pub async fn rate_agent(
        &self,
        user: &str,
        session_id: &str,
        score: u32,
        comment: &str,
    ) -> Result<(), BotError> {
        if !(1..=MAX_SCORE).contains(&score) {
            return Err(BotError::invalid("score", "must be 1 to 5"));
        }
        if comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(BotError::invalid(
                "comment",
                format!("must be at most {MAX_COMMENT_CHARS} characters"),
            ));
        }
        let session = self.owned(user, session_id).await?;
        let Some(ticket) = session.last_ticket.clone() else {
            return Err(BotError::WrongState(format!(
                "session {session_id} has not been served by a person, so there is nobody to rate"
            )));
        };
        self.desk
            .rate(&ticket, &session.user_id, score, comment)
            .await
            .map_err(|e| self.human_side_error(&session, e))?;
        committed(session, ()).await
    }

    /// Brings `session` up to date with its ticket: the stored events after its last
    /// applied sequence, read from agent-service on each call (whichever replica
    /// started the conversation), so the session moves QUEUED → WITH_AGENT → BOT or
    /// CLOSED as the person acts. Best effort: when agent-service cannot be reached the
    /// session keeps its last known state and the call goes on.
    pub(super) async fn catch_up(&self, session: &mut Session) {
        let now = self.now();
        session.synced_at = now;
        if !matches!(
            session.state,
            SessionState::Queued | SessionState::WithAgent
        ) {
            return;
        }
        let Some(ticket) = session.ticket_id.clone() else {
            return;
        };
        match self
            .desk
            .catch_up(&ticket, &session.user_id, session.last_sequence)
            .await
        {
            Ok(events) => {
                for event in &events {
                    if !apply(session, &ticket, event) {
                        break;
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, %ticket, "could not catch up with the ticket"),
        }
    }

    /// Stops following tickets and ends customer event streams (shutdown).
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// A failure on the human side, as the customer should hear it.
    pub(super) fn human_side_error(&self, session: &Session, e: HandoffError) -> BotError {
        match e {
            HandoffError::Rejected(Rejection::Invalid, m) => BotError::Rejected(m),
            HandoffError::Rejected(Rejection::NotFound, m) => BotError::NotFound(m),
            HandoffError::Rejected(Rejection::Forbidden, m) => BotError::Forbidden(m),
            HandoffError::Rejected(Rejection::WrongState, m) => BotError::WrongState(m),
            other => {
                let with_person = matches!(
                    session.state,
                    SessionState::Queued | SessionState::WithAgent
                );
                let advice = self.brain().agent_unreachable(
                    session_language(session),
                    &self.settings.hotline,
                    with_person,
                );
                match other {
                    HandoffError::Timeout(_) => BotError::AgentTimeout(advice),
                    _ => BotError::AgentUnavailable(advice),
                }
            }
        }
    }
}

/// Resolves once `stop` says so (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// Applies one ticket event to the session; false once there is nothing more to follow.
pub(super) fn apply(session: &mut Session, ticket: &str, event: &HumanEvent) -> bool {
    if session.ticket_id.as_deref() != Some(ticket) {
        return false;
    }
    if event.sequence > 0 {
        if event.sequence <= session.last_sequence {
            return true;
        }
        session.last_sequence = event.sequence;
    }
    match &event.kind {
        HumanEventKind::AgentJoined(card) => {
            session.state = SessionState::WithAgent;
            session.agent = Some(card.clone());
        }
        HumanEventKind::Transferred { .. } => {
            session.state = SessionState::Queued;
            session.agent = None;
        }
        HumanEventKind::Closed { reason, .. } => {
            match reason {
                HumanClose::ReturnedToBot => session.back_to_bot(),
                HumanClose::Resolved => session.close(CloseReason::Resolved),
                HumanClose::CustomerIdle => session.close(CloseReason::IdleTimeout),
                HumanClose::CustomerLeft => session.close(CloseReason::CustomerEnded),
            }
            return false;
        }
        HumanEventKind::AgentMessage {
            message_id,
            flagged: true,
            ..
        } => session.complaints.flag(ticket, message_id),
        HumanEventKind::QueueStatus { .. }
        | HumanEventKind::AgentMessage { .. }
        | HumanEventKind::CustomerMessage { .. } => {}
    }
    true
}

#[cfg(test)]
mod tests;
