//! Task intents as dialogues: the robot collects a task's slots (from the first message
//! where present, then one question at a time), re-asks invalid values saying what is
//! wrong, confirms anything that spends money, and hands the filled task to an action
//! back end. Pure and synchronous, so every rule is unit-testable without gRPC; the
//! engine runs the steps and calls the back end.

mod dialogue;
pub(crate) mod extract;
pub mod texts;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use dialogue::{Context, Step, advance, render_slot, start};
pub use extract::mask_mobile;
pub(crate) use {
    dialogue::message_language,
    extract::{is_cancel, is_no, is_yes},
};

use crate::vocabulary::Language;

/// A session's task state: the task under way, if any, and how many were started (which
/// numbers task instances, hence idempotency keys).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TaskState {
    /// The task under way.
    pub active: Option<ActiveTask>,
    /// Tasks started in this session so far.
    pub started: u32,
}

/// Where a task's dialogue stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Stage {
    /// Asking for slots.
    Filling,
    /// Every slot filled; waiting for an explicit yes.
    Confirming,
    /// Ran, but the outcome is unknown; "retry" asks again with the same key.
    Unknown,
}

/// One task instance under way in a session.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ActiveTask {
    /// The task intent's catalogue name.
    pub intent: String,
    /// Its number within the session (1, 2…).
    pub instance: u32,
    /// Filled slots by name, as sent to the back end.
    pub slots: BTreeMap<String, String>,
    /// Where the dialogue stands.
    pub stage: Stage,
    /// The language of the customer's latest message that had words in it.
    pub language: Language,
}

impl ActiveTask {
    /// The key that makes the back end carry this instance out at most once, however
    /// often it is sent: the session and the instance number.
    pub fn idempotency_key(&self, session_id: &str) -> String {
        format!("{session_id}:task-{}", self.instance)
    }
}
