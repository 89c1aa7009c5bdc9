//! The gRPC adapter of bot-service: checks roles, decodes and validates requests, calls
//! the engine, and maps results back. No conversation rules live here.

mod conversation;
mod convert;
mod intents;
mod limits;
mod status;

pub use conversation::ConversationApi;
pub use intents::IntentApi;
pub use limits::CallerLimits;
