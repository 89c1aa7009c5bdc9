//! Complaints in a turn: `complaint.agent` starts the complaint dialogue with the
//! customer's recent conversations with a person (listed by agent-service), later
//! messages move it on, and a confirmed draft is filed in agent-service under a key that
//! stays the same across retries. Also the one-step complaint offered with a flagged
//! agent message. Cancel-safe like tasks: the draft (or the one-step filing) is kept
//! unchanged until agent-service has answered, so a retried call reuses its key.

use tokio_stream::StreamExt;

use super::{BotError, Brain, Engine, committed, handoff::session_language};
use crate::{
    complaints::{self, Filed, Filing, Step, texts},
    handoff::{HandoffError, HumanEventKind},
    session::{RecognisedIntent, Reply, Session},
    vocabulary::{IntentKind, Language},
};

/// The catalogue intent that starts a complaint about a person.
pub const COMPLAINT_INTENT: &str = "complaint.agent";

/// How long accepting a complaint offer waits for agent-service to show the message.
const OFFER_LOOKUP_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);

/// A complaint reply's text, buttons and filed complaint.
type Said = (String, Vec<String>, Option<Filed>);

impl Engine {
    /// The complaint dialogue under way, moved on by `text`; `None` when there is none
    /// or the message is about something else (the draft is then dropped).
    pub(super) async fn continue_complaint(
        &self,
        brain: &Brain,
        session: &mut Session,
        text: &str,
    ) -> Option<Reply> {
        let draft = session.complaints.active.clone()?;
        let other_intent = brain
            .understand(session.entrance, text)
            .matched
            .is_some_and(|m| m.name != COMPLAINT_INTENT && m.kind != IntentKind::Chitchat);
        let step = complaints::advance(&draft, text, other_intent);
        if step == Step::Unrelated {
            session.complaints.active = None;
            return None;
        }
        let language = draft.language;
        let said = self.complaint_step(session, step, language).await;
        Some(self.complaint_reply(session, said, language))
    }

    /// Starts the complaint dialogue from `reply`, the catalogue's answer to `text`.
    pub(super) async fn start_complaint(
        &self,
        session: &mut Session,
        text: &str,
        reply: Reply,
    ) -> Reply {
        let language = reply.language;
        let hotline = &self.settings.hotline;
        let said = match self
            .complaint_desk
            .complainable(&session.user_id, session.entrance)
            .await
        {
            Ok(choices) => {
                session.complaints.started += 1;
                let instance = session.complaints.started;
                let step = complaints::start(instance, choices, text, language, hotline);
                self.complaint_step(session, step, language).await
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot list complainable conversations");
                (
                    texts::unavailable(language, hotline, false),
                    Vec::new(),
                    None,
                )
            }
        };
        self.complaint_reply(session, said, language)
    }

    /// Says what the step says, or files the draft.
    async fn complaint_step(&self, session: &mut Session, step: Step, language: Language) -> Said {
        match step {
            Step::Say {
                text,
                quick_replies,
                draft,
            } => {
                session.complaints.active = draft;
                (text, quick_replies, None)
            }
            Step::File(draft) => {
                // Kept (confirming) until agent-service answers: a retry reuses the key.
                session.complaints.active = Some(draft.clone());
                let Some(chosen) = &draft.chosen else {
                    session.complaints.active = None;
                    return (texts::cancelled(language), Vec::new(), None);
                };
                let filing = Filing {
                    idempotency_key: draft.idempotency_key(&session.id),
                    ticket_id: chosen.ticket_id.clone(),
                    customer_id: session.user_id.clone(),
                    category: draft.category.unwrap_or(complaints::Category::Other),
                    description: draft.description.clone(),
                    highlighted_message_ids: session
                        .complaints
                        .flagged
                        .get(&chosen.ticket_id)
                        .cloned()
                        .unwrap_or_default(),
                    language: draft.language,
                };
                let hotline = &self.settings.hotline;
                let language = draft.language;
                match self.complaint_desk.file(&filing).await {
                    Ok(filed) => {
                        session.complaints.active = None;
                        tracing::info!(complaint = %filed.reference, key = %filing.idempotency_key, "complaint filed from the chat");
                        (
                            texts::filed(language, &filed, hotline, session.entrance),
                            Vec::new(),
                            Some(filed),
                        )
                    }
                    Err(HandoffError::Rejected(code, why)) => {
                        session.complaints.active = None;
                        tracing::warn!(?code, %why, key = %filing.idempotency_key, "complaint refused by agent-service");
                        (texts::refused(language, hotline), Vec::new(), None)
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, key = %filing.idempotency_key, "complaint not filed");
                        let (_, buttons) = texts::confirm(language, &draft);
                        (texts::unavailable(language, hotline, true), buttons, None)
                    }
                }
            }
            Step::Unrelated => (texts::cancelled(language), Vec::new(), None),
        }
    }

    fn complaint_reply(&self, session: &Session, said: Said, language: Language) -> Reply {
        let (text, quick_replies, complaint) = said;
        let language = session
            .complaints
            .active
            .as_ref()
            .map_or(language, |d| d.language);
        Reply {
            reply_id: server_kit::request_id::new_id(),
            text,
            language,
            intent: Some(RecognisedIntent {
                name: COMPLAINT_INTENT.to_owned(),
                kind: IntentKind::Complaint,
                confidence: 1.0,
            }),
            fallback: false,
            quick_replies,
            suggestions: Vec::new(),
            agent_offered: session.agent_offered,
            at: self.now(),
            complaint: complaint.map(Box::new),
        }
    }

    /// Takes the one-step complaint offered with flagged message `offer_id`: files a
    /// complaint (abusive language) about that conversation's agent with every flagged
    /// message seen highlighted. A retry sends the very same filing, so it returns the
    /// same complaint.
    pub async fn accept_complaint_offer(
        &self,
        user: &str,
        session_id: &str,
        offer_id: &str,
    ) -> Result<(Filed, String), BotError> {
        if offer_id.trim().is_empty() {
            return Err(BotError::invalid("offer_id", "is required"));
        }
        let mut session = self.owned(user, session_id).await?;
        let ours = |t: &str| {
            session.ticket_id.as_deref() == Some(t) || session.last_ticket.as_deref() == Some(t)
        };
        let ticket = complaints::offer_ticket(offer_id)
            .filter(|t| ours(t))
            .ok_or_else(|| {
                BotError::NotFound(format!(
                    "session {session_id} has no complaint offer '{offer_id}'"
                ))
            })?
            .to_owned();
        if !self.was_offered(&mut session, &ticket, offer_id).await? {
            return Err(BotError::NotFound(format!(
                "session {session_id} has no complaint offer '{offer_id}': only flagged agent messages come with one"
            )));
        }
        let language = session_language(&session);
        let hotline = &self.settings.hotline;
        let filing = match session.complaints.one_step.get(&ticket) {
            Some(filing) => filing.clone(),
            None => {
                // Every flagged message of the conversation, the offer's among them.
                let highlighted = session
                    .complaints
                    .flagged
                    .get(&ticket)
                    .cloned()
                    .unwrap_or_default();
                let filing = Filing {
                    idempotency_key: format!("{}:complaint-offer-{ticket}", session.id),
                    ticket_id: ticket.clone(),
                    customer_id: session.user_id.clone(),
                    category: complaints::Category::AbusiveLanguage,
                    description: texts::one_step_description(language, highlighted.len()),
                    highlighted_message_ids: highlighted,
                    language,
                };
                session
                    .complaints
                    .one_step
                    .insert(ticket.clone(), filing.clone());
                filing
            }
        };
        let filed = self
            .complaint_desk
            .file(&filing)
            .await
            .map_err(|e| self.human_side_error(&session, e))?;
        tracing::info!(complaint = %filed.reference, created = filed.created, key = %filing.idempotency_key, "one-step complaint filed");
        let text = texts::filed(language, &filed, hotline, session.entrance);
        committed(session, (filed, text)).await
    }

    /// Whether `offer_id` is a complaint offer the session was made: a flagged agent
    /// message of `ticket`. Flags the session has not applied yet (its ticket follower
    /// may lag behind the customer's stream) are looked up in agent-service.
    async fn was_offered(
        &self,
        session: &mut Session,
        ticket: &str,
        offer_id: &str,
    ) -> Result<bool, BotError> {
        let flagged = |s: &Session| {
            s.complaints
                .flagged
                .get(ticket)
                .is_some_and(|ids| ids.iter().any(|id| id == offer_id))
        };
        if flagged(session) {
            return Ok(true);
        }
        let Some(sequence) = complaints::offer_sequence(offer_id) else {
            return Ok(false);
        };
        let mut events = self
            .desk
            .follow(ticket, &session.user_id, sequence - 1)
            .await
            .map_err(|e| self.human_side_error(session, e))?;
        let stored = async {
            while let Some(item) = events.next().await {
                match item {
                    Ok(e) if e.sequence == 0 => continue,
                    Ok(e) => return Some(e),
                    Err(_) => return None,
                }
            }
            None
        };
        let first = tokio::time::timeout(OFFER_LOOKUP_LIMIT, stored).await;
        if let Ok(Some(event)) = first
            && let HumanEventKind::AgentMessage {
                message_id,
                flagged: true,
                ..
            } = &event.kind
            && message_id == offer_id
        {
            session.complaints.flag(ticket, offer_id);
        }
        Ok(flagged(session))
    }
}
