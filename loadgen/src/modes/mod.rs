//! The scenarios loadgen can run: the echo anchor and the honeydesk paths.

pub mod classify;
pub mod desks;
pub mod echo;
pub mod handoff;
pub mod phrases;
pub mod relay;
pub mod turn;
