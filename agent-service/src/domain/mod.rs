//! agent-service's domain: agents, tickets, queues and complaints, in plain Rust types
//! that know nothing of gRPC or SQL.

pub mod agent;
pub mod chat;
pub mod complaint;
pub mod complaints;
pub mod error;
pub mod event;
pub mod evidence;
pub mod feedback;
pub mod flags;
pub mod hub;
pub mod intake;
pub mod moderation;
pub mod roster;
pub mod routing;
pub mod stats;
pub mod streams;
pub mod ticket;
pub mod vocabulary;

pub use agent::{Agent, AgentCard, AgentProfile};
pub use error::DomainError;
pub use event::{EventKind, TicketEvent};
pub use ticket::{Escalation, Ticket, TranscriptLine};
pub use vocabulary::{CloseReason, Entrance, Language, Presence, Sender, TicketStatus};
