//! The gRPC contracts of honeydesk, generated from `proto/honeydesk/**` at build time.
//!
//! bot-service and agent-service share only this crate: neither links the other's code.

#![allow(missing_docs, clippy::all)]

pub mod checked;

/// The robot: sessions, turns, intents, task actions.
pub mod bot {
    /// Version 1 of the bot contract.
    pub mod v1 {
        tonic::include_proto!("honeydesk.bot.v1");
    }
}

/// The human side: tickets, desks, supervision, complaints.
pub mod agent {
    /// Version 1 of the agent contract.
    pub mod v1 {
        tonic::include_proto!("honeydesk.agent.v1");
    }
}

/// The encoded `FileDescriptorSet` of every honeydesk proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/honeydesk_descriptor.bin"));
