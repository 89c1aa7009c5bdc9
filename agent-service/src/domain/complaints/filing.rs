//! Filing a complaint: the rules (the customer's own ticket, an agent who served it, never
//! the robot), the evidence sealed from the whole transcript, and the request digest
//! that tells a retry from a misused idempotency key.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use super::{Actor, ComplaintView, Complaints};
use crate::{
    domain::{
        AgentCard, DomainError, EventKind, Language, Ticket, TicketEvent,
        complaint::{AuditEntry, Category, Complaint, ComplaintStatus, validate_description},
        evidence::{self, EvidenceItem, Link},
        ticket::{Canonical, limit_chars, transcript_line_id},
    },
    store::{FileOutcome, NewComplaint},
};

/// Longest idempotency key, in characters.
const MAX_KEY_CHARS: usize = 128;
/// Most messages a customer can point at.
const MAX_HIGHLIGHTS: usize = 200;
/// Work numbers customers use for the robot assistant.
const ROBOT_NAMES: [&str; 8] = [
    "bot",
    "robot",
    "小蜜",
    "阿里小蜜",
    "万象",
    "机器人",
    "assistant",
    "ai",
];

/// Why the robot is no party to a complaint, and what to do instead, in the customer's
/// language.
pub fn robot_explanation(language: Language) -> &'static str {
    match language {
        Language::Zh => {
            "小蜜是智能机器人助手，不是真人客服，无法被投诉。如对机器人的回答不满意，请在对话中为回答点评（有用/没用）并留下意见，或发送“转人工”联系人工客服。"
        }
        Language::En => {
            "The assistant is a robot, not a person, so it cannot be complained about: rate its answers (helpful / not helpful) in the chat to give feedback, or ask for a person to talk to a human agent."
        }
    }
}

/// What a customer files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRequest {
    /// The same key returns the same complaint.
    pub idempotency_key: String,
    /// The conversation complained about.
    pub ticket_id: String,
    /// The agent's work number; empty = the agent who served the ticket last.
    pub agent_work_number: String,
    /// What about.
    pub category: Category,
    /// What happened.
    pub description: String,
    /// Messages the customer points at, by their public ids.
    pub highlighted_message_ids: Vec<String>,
    /// The customer's language; what is written for them uses it (not part of what
    /// makes a retry the same complaint).
    pub language: Language,
}

/// The answer to a filing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filed {
    /// The complaint, new or the earlier one.
    pub view: ComplaintView,
    /// False when an existing complaint was returned.
    pub created: bool,
}

impl FileRequest {
    fn validate(&self) -> Result<(), DomainError> {
        let key = self.idempotency_key.trim();
        if key.is_empty() {
            return Err(DomainError::invalid("idempotency_key", "is required"));
        }
        limit_chars("idempotency_key", key, MAX_KEY_CHARS)?;
        if self.ticket_id.trim().is_empty() {
            return Err(DomainError::invalid("ticket_id", "is required"));
        }
        limit_chars("agent_work_number", &self.agent_work_number, 64)?;
        validate_description(&self.description)?;
        if self.highlighted_message_ids.len() > MAX_HIGHLIGHTS {
            return Err(DomainError::invalid(
                "highlighted_message_ids",
                format!("at most {MAX_HIGHLIGHTS} messages"),
            ));
        }
        Ok(())
    }

    /// SHA-256 of everything that makes the complaint what it is.
    fn digest(&self, customer_id: &str, agent_id: &str) -> String {
        let mut canon = Canonical(Sha256::new());
        canon.text("honeydesk.complaint.v1");
        for field in [
            self.ticket_id.as_str(),
            customer_id,
            agent_id,
            self.category.as_str(),
            self.description.trim(),
        ] {
            canon.text(field);
        }
        canon.number(self.highlighted_message_ids.len() as u64);
        for id in &self.highlighted_message_ids {
            canon.text(id);
        }
        hex::encode(canon.0.finalize())
    }
}

/// Whether a work number names the robot rather than a person.
fn names_the_robot(work_number: &str) -> bool {
    let w = work_number.trim().to_lowercase();
    ROBOT_NAMES.contains(&w.as_str())
}

/// The agents who took the ticket, first to last.
fn served_by(events: &[TicketEvent]) -> Vec<String> {
    let mut seen = Vec::new();
    for e in events {
        if let EventKind::AgentJoined { agent_id } = &e.kind
            && !seen.contains(agent_id)
        {
            seen.push(agent_id.clone());
        }
    }
    seen
}

/// The whole conversation as evidence: the robot part, then the human messages.
pub(super) fn evidence_items(
    ticket_id: &str,
    transcript: &[crate::domain::TranscriptLine],
    events: &[TicketEvent],
) -> Vec<EvidenceItem> {
    let bot = transcript.iter().enumerate().map(|(i, line)| EvidenceItem {
        message_id: transcript_line_id(ticket_id, i + 1),
        sender: line.sender,
        author: String::new(),
        text: line.text.clone(),
        at: line.at,
    });
    let human = events.iter().filter_map(|e| match &e.kind {
        EventKind::Message {
            sender,
            text,
            agent_id,
            ..
        } => Some(EvidenceItem {
            message_id: e.message_id(),
            sender: *sender,
            author: agent_id.clone().unwrap_or_default(),
            text: text.clone(),
            at: e.at,
        }),
        _ => None,
    });
    bot.chain(human).collect()
}

impl Complaints {
    /// Files a complaint about a conversation the customer had with a person, sealing
    /// the whole transcript as evidence; a repeat (same key, or the same ticket again)
    /// returns the first complaint.
    pub async fn file(&self, actor: &Actor, request: &FileRequest) -> Result<Filed, DomainError> {
        request.validate()?;
        let customer_id = actor.customer("file complaints")?.to_owned();
        let ticket = self.ticket(&request.ticket_id).await?;
        actor.check_ticket(&ticket)?;
        let events = self.store.events_after(&ticket.ticket_id, 0).await?;
        let agent = self.complained_about(&ticket, &events, request).await?;
        let transcript = self.store.transcript(&ticket.ticket_id).await?;
        let items = evidence_items(&ticket.ticket_id, &transcript, &events);
        check_highlights(&ticket.ticket_id, &items, &request.highlighted_message_ids)?;
        let links: Vec<Link> = evidence::seal(&items);
        let now = self.clock.now();
        let deadlines = self.settings.deadlines;
        let complaint = Complaint {
            reference: String::new(),
            ticket_id: ticket.ticket_id.clone(),
            customer_id: customer_id.clone(),
            entrance: ticket.entrance,
            language: request.language,
            agent_id: agent.agent_id.clone(),
            agent: agent.clone(),
            category: request.category,
            description: request.description.trim().to_owned(),
            status: ComplaintStatus::Received,
            outcome: String::new(),
            filed_at: now,
            acknowledge_by: now + deadlines.acknowledge_within,
            decide_by: now + deadlines.decide_within,
            evidence_digest: evidence::final_digest(&links),
            evidence_messages: links.len() as u32,
            highlighted_message_ids: request.highlighted_message_ids.clone(),
            audit: vec![AuditEntry {
                actor_id: actor.id.clone(),
                actor_role: actor.role.clone(),
                at: now,
                from: None,
                to: ComplaintStatus::Received,
                note: "complaint filed".into(),
            }],
        };
        let new = NewComplaint {
            complaint,
            idempotency_key: request.idempotency_key.trim().to_owned(),
            request_digest: request.digest(&customer_id, &agent.agent_id),
            links,
        };
        let (complaint, created) = match self.store.file_complaint(&new).await? {
            FileOutcome::Created(c) => (c, true),
            FileOutcome::Replayed(c) | FileOutcome::AlreadyFiled(c) => (c, false),
            FileOutcome::KeyReused(c) => {
                return Err(DomainError::WrongState(format!(
                    "idempotency_key was already used for a different complaint ({}); \
                     use a new key for a new complaint",
                    c.reference
                )));
            }
        };
        if created {
            tracing::info!(
                complaint = %complaint.reference,
                ticket = %complaint.ticket_id,
                agent = %complaint.agent_id,
                category = %complaint.category,
                evidence = complaint.evidence_messages,
                "complaint filed"
            );
        }
        Ok(Filed {
            view: self.view(actor, complaint),
            created,
        })
    }

    /// The agent complained about: the one named (who must have served the ticket), or
    /// the one who served it last. Never the robot.
    async fn complained_about(
        &self,
        ticket: &Ticket,
        events: &[TicketEvent],
        request: &FileRequest,
    ) -> Result<AgentCard, DomainError> {
        let named = request.agent_work_number.trim();
        let robot = || robot_explanation(request.language);
        if names_the_robot(named) {
            return Err(DomainError::WrongState(robot().into()));
        }
        let served = served_by(events);
        if served.is_empty() {
            let ticket_id = &ticket.ticket_id;
            let never = match request.language {
                Language::Zh => format!("工单 {ticket_id} 只有机器人回答过，没有人工客服接待。"),
                Language::En => format!(
                    "ticket {ticket_id} never reached a person: only the robot assistant answered it. "
                ),
            };
            return Err(DomainError::WrongState(format!("{never}{}", robot())));
        }
        let mut cards = Vec::with_capacity(served.len());
        for agent_id in &served {
            match self.store.agent(agent_id).await? {
                Some(agent) => cards.push(agent.card()),
                None => cards.push(AgentCard {
                    agent_id: agent_id.clone(),
                    work_number: String::new(),
                    display_name: String::new(),
                }),
            }
        }
        if named.is_empty() {
            let last = ticket
                .agent
                .as_ref()
                .map(|a| a.agent_id.as_str())
                .unwrap_or(&served[served.len() - 1]);
            return cards
                .into_iter()
                .find(|c| c.agent_id == last)
                .ok_or_else(|| {
                    DomainError::Internal(format!("agent {last} is not on the roster"))
                });
        }
        let list: Vec<String> = cards
            .iter()
            .map(|c| format!("{} ({})", c.work_number, c.display_name))
            .collect();
        cards
            .into_iter()
            .find(|c| c.work_number == named)
            .ok_or_else(|| {
                DomainError::WrongState(format!(
                    "the agent with work number {named} did not serve ticket {}; it was served by {}",
                    ticket.ticket_id,
                    list.join(", ")
                ))
            })
    }
}

/// INVALID_ARGUMENT unless every highlighted id is a message of the sealed evidence.
fn check_highlights(
    ticket_id: &str,
    items: &[EvidenceItem],
    highlighted: &[String],
) -> Result<(), DomainError> {
    let known: HashSet<&str> = items.iter().map(|i| i.message_id.as_str()).collect();
    match highlighted.iter().find(|id| !known.contains(id.as_str())) {
        Some(id) => Err(DomainError::invalid(
            "highlighted_message_ids",
            format!("{id} is not a message of ticket {ticket_id}"),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_robot_is_recognised_by_its_names() {
        for name in ["bot", " Robot ", "小蜜", "机器人"] {
            assert!(names_the_robot(name), "{name}");
        }
        for name in ["1024", "", "小美"] {
            assert!(!names_the_robot(name), "{name}");
        }
    }
}
