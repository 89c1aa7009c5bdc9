//! The action port: what the robot needs from the back ends that carry out task intents
//! (top up a phone, look up the weather), as a trait the engine calls without knowing it
//! is gRPC. [`client::ActionClient`] is the implementation over `ActionService`;
//! [`Backends`] maps the back-end names the catalogue uses to clients.

pub mod client;

use std::{collections::BTreeMap, collections::HashMap, sync::Arc};

use async_trait::async_trait;

use crate::vocabulary::Language;

/// One task to carry out.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionRequest {
    /// The task intent (`topup.phone`).
    pub task: String,
    /// Filled slots by name.
    pub slots: BTreeMap<String, String>,
    /// The customer.
    pub user_id: String,
    /// The same key is carried out at most once, however often it is sent.
    pub idempotency_key: String,
    /// The language to answer in.
    pub language: Language,
}

/// A task carried out.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionDone {
    /// What the customer is told, in their language.
    pub text: String,
    /// Structured results (order number, temperature…).
    pub data: BTreeMap<String, String>,
}

/// Why a task was not carried out, sorted by what the customer can be told.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The back end refused it (bad value, number not in service…); nothing happened.
    /// The text, from the back end, says why in the customer's language.
    #[error("refused: {0}")]
    Rejected(String),
    /// The back end could not be reached or could not do it now; nothing happened.
    #[error("not done: {0}")]
    Unavailable(String),
    /// It may or may not have happened (timeout, broken call).
    #[error("outcome unknown: {0}")]
    Unknown(String),
}

/// A back end that carries out tasks.
#[async_trait]
pub trait ActionBackend: Send + Sync + 'static {
    /// Carries out `request`; idempotent by its key.
    async fn execute(&self, request: &ActionRequest) -> Result<ActionDone, ActionError>;
}

/// The back ends bot-service knows, by the names the catalogue uses.
#[derive(Clone, Default)]
pub struct Backends {
    by_name: HashMap<String, Arc<dyn ActionBackend>>,
}

impl Backends {
    /// No back ends: every task says its service is not available.
    pub fn none() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the back end called `name`.
    pub fn with(mut self, name: impl Into<String>, backend: Arc<dyn ActionBackend>) -> Self {
        self.by_name.insert(name.into(), backend);
        self
    }

    /// The back end called `name`, if configured.
    pub fn get(&self, name: &str) -> Option<Arc<dyn ActionBackend>> {
        self.by_name.get(name).cloned()
    }

    /// The configured names, sorted (for start-up logs).
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}
