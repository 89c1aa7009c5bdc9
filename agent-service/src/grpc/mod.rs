//! The gRPC adapter of agent-service: decodes and validates requests, calls the domain,
//! and maps results back. No business rules live here.

mod convert;
mod desk;
mod status;
mod supervisor;
mod tickets;

pub use desk::DeskApi;
pub use supervisor::SupervisorApi;
pub use tickets::TicketApi;

/// UNIMPLEMENTED for an RPC whose feature is not built yet.
fn not_yet(what: &str) -> tonic::Status {
    tonic::Status::unimplemented(format!("{what} is not available yet"))
}
