//! Complaints about a human agent, from the chat: the `complaint.agent` dialogue (which
//! conversation, what happened, which kind of problem, confirm) as a pure state machine
//! like the task dialogues, the one-step complaint offered after a flagged agent
//! message, and the port through which the engine lists complainable conversations and
//! files complaints in agent-service (which checks, seals the evidence and numbers them).

mod dialogue;
pub mod status;
pub mod texts;

#[cfg(test)]
mod tests;

use std::{collections::BTreeMap, time::SystemTime};

use async_trait::async_trait;
pub use dialogue::{Step, advance, start};

use crate::{
    handoff::{AgentCard, HandoffError},
    vocabulary::{Entrance, Language},
};

/// What a complaint is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Category {
    /// Swearing, insults.
    AbusiveLanguage,
    /// Impatient, dismissive, hostile.
    RudeAttitude,
    /// Told something false.
    WrongInformation,
    /// Left waiting, no answer.
    SlowOrNoResponse,
    /// Anything else.
    Other,
}

impl Category {
    /// Every category, in the order buttons show them.
    pub const ALL: [Category; 5] = [
        Category::AbusiveLanguage,
        Category::RudeAttitude,
        Category::WrongInformation,
        Category::SlowOrNoResponse,
        Category::Other,
    ];
}

/// A recent conversation with a person that the customer could complain about.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Complainable {
    /// The ticket in agent-service.
    pub ticket_id: String,
    /// Who served it (工号 and name).
    pub agent: AgentCard,
    /// When it started.
    pub started_at: SystemTime,
    /// A few words on what it was about.
    pub summary: String,
}

/// A complaint to file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Filing {
    /// The same key files at most one complaint, however often it is sent.
    pub idempotency_key: String,
    /// The conversation.
    pub ticket_id: String,
    /// The customer (session owner).
    pub customer_id: String,
    /// What it is about.
    pub category: Category,
    /// The customer's words.
    pub description: String,
    /// Messages pointed at as evidence.
    pub highlighted_message_ids: Vec<String>,
    /// The conversation's language: agent-service writes what the customer reads about
    /// the complaint (its recourse once decided) in it.
    pub language: Language,
}

/// A complaint agent-service accepted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Filed {
    /// Readable reference, e.g. TS-20261125-000042.
    pub reference: String,
    /// Acknowledged by then.
    pub acknowledge_by: SystemTime,
    /// Decided by then.
    pub decide_by: SystemTime,
    /// The agent complained about.
    pub agent: Option<AgentCard>,
    /// Messages pointed at as evidence.
    pub highlighted_message_ids: Vec<String>,
    /// False when it existed already (a retry, or filed before for that conversation).
    pub created: bool,
    /// Where it stands now: a complaint filed before may have been decided meanwhile.
    pub standing: Standing,
}

/// Where a complaint stands, as the customer is told when they complain again.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Standing {
    /// Received or in review: the deadlines still apply.
    Open,
    /// Decided in the customer's favour, with the outcome.
    Upheld(String),
    /// Decided against, with the reason.
    NotUpheld(String),
    /// The customer withdrew it.
    Withdrawn,
}

/// Where a `complaint.agent` dialogue stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Stage {
    /// Choosing the conversation.
    Choosing,
    /// Waiting for the customer's description.
    Describing,
    /// Waiting for the kind of problem.
    Categorising,
    /// Everything known; waiting for a yes.
    Confirming,
}

/// One complaint dialogue under way.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Draft {
    /// Its number within the session (1, 2…), which makes its idempotency key.
    pub instance: u32,
    /// Where it stands.
    pub stage: Stage,
    /// The conversations on offer.
    pub choices: Vec<Complainable>,
    /// The conversation chosen.
    pub chosen: Option<Complainable>,
    /// What happened, in the customer's words.
    pub description: String,
    /// The kind of problem, said or inferred.
    pub category: Option<Category>,
    /// The customer's language.
    pub language: Language,
}

impl Draft {
    /// The key that files this draft at most once: the session and the instance.
    pub fn idempotency_key(&self, session_id: &str) -> String {
        format!("{session_id}:complaint-{}", self.instance)
    }
}

/// A session's complaint state.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ComplaintState {
    /// The `complaint.agent` dialogue under way.
    pub active: Option<Draft>,
    /// Dialogues started in this session so far.
    pub started: u32,
    /// Flagged agent messages seen, by ticket (for the one-step complaint).
    pub flagged: BTreeMap<String, Vec<String>>,
    /// One-step complaints by ticket: the filing as first sent. A retry sends it again,
    /// unchanged, so agent-service answers with the same complaint (not created, and
    /// where it stands now).
    pub one_step: BTreeMap<String, Filing>,
}

impl ComplaintState {
    /// Notes a flagged message of `ticket_id` (each once).
    pub fn flag(&mut self, ticket_id: &str, message_id: &str) {
        let ids = self.flagged.entry(ticket_id.to_owned()).or_default();
        if !ids.iter().any(|id| id == message_id) {
            ids.push(message_id.to_owned());
        }
    }
}

/// The one-step complaint offered with a flagged agent message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// Taken with AcceptComplaintOffer: the flagged message's id.
    pub offer_id: String,
    /// What to show.
    pub text: String,
    /// The button's label.
    pub action: String,
}

impl Offer {
    /// The offer that goes with flagged message `message_id`, in `language`.
    pub fn for_message(language: Language, message_id: &str) -> Self {
        let (text, action) = texts::offer(language);
        Self {
            offer_id: message_id.to_owned(),
            text,
            action,
        }
    }
}

/// The ticket a one-step offer (a flagged message's id, `<ticket>-<sequence>`) is about.
pub fn offer_ticket(offer_id: &str) -> Option<&str> {
    let (ticket, sequence) = offer_id.rsplit_once('-')?;
    (!ticket.is_empty() && sequence.parse::<u64>().is_ok()).then_some(ticket)
}

/// The sequence number of the message a one-step offer (`<ticket>-<sequence>`) is about.
pub fn offer_sequence(offer_id: &str) -> Option<u64> {
    let (_, sequence) = offer_id.rsplit_once('-')?;
    sequence.parse::<u64>().ok().filter(|s| *s > 0)
}

/// agent-service's complaint intake, as the robot uses it (with its service identity).
#[async_trait]
pub trait ComplaintDesk: Send + Sync + 'static {
    /// The customer's recent conversations with a person at `entrance`, newest first.
    async fn complainable(
        &self,
        customer_id: &str,
        entrance: Entrance,
    ) -> Result<Vec<Complainable>, HandoffError>;
    /// Files a complaint; idempotent by key.
    async fn file(&self, filing: &Filing) -> Result<Filed, HandoffError>;
    /// The customer's own complaints, at every entrance, as the customer may see them.
    async fn mine(&self, customer_id: &str) -> Result<Vec<status::MyComplaint>, HandoffError>;
}

/// No complaint intake configured: every call is UNAVAILABLE.
pub struct NoComplaintDesk;

#[async_trait]
impl ComplaintDesk for NoComplaintDesk {
    async fn complainable(
        &self,
        _customer_id: &str,
        _entrance: Entrance,
    ) -> Result<Vec<Complainable>, HandoffError> {
        Err(HandoffError::Unavailable(
            "no complaint intake configured".into(),
        ))
    }

    async fn file(&self, _filing: &Filing) -> Result<Filed, HandoffError> {
        Err(HandoffError::Unavailable(
            "no complaint intake configured".into(),
        ))
    }

    async fn mine(&self, _customer_id: &str) -> Result<Vec<status::MyComplaint>, HandoffError> {
        Err(HandoffError::Unavailable(
            "no complaint intake configured".into(),
        ))
    }
}
