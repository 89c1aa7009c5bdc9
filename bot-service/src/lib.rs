//! bot-service: the robot half of honeydesk. It keeps live sessions at the two
//! entrances (CONSUMER 小蜜, MERCHANT 万象), recognises intents from the catalogue,
//! answers, and hands conversations to agent-service when a person is needed.

pub mod actions;
pub mod catalogue;
pub mod complaints;
pub mod config;
pub mod engine;
pub mod evaluation;
pub mod grpc;
pub mod handoff;
pub mod link;
pub mod metrics;
pub mod observe;
pub mod recognition;
pub mod sandbox;
pub mod session;
pub mod startup;
pub mod tasks;
pub mod text;
pub mod vocabulary;

#[cfg(test)]
mod fuzz;

pub use startup::{Application, StartupError};
