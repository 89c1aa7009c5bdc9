//! agent-service: the human half of honeydesk. It takes escalations from the robot,
//! queues them per entrance and skill, routes them to agents, relays the live chat,
//! takes complaints, and keeps everything that must not be lost in a durable store.

pub mod config;
pub mod domain;
pub mod grpc;
pub mod metrics;
pub mod observe;
pub mod replicas;
pub mod seed;
pub mod startup;
pub mod store;

#[cfg(test)]
mod fuzz;

pub use startup::{Application, StartupError};
