//! The one place where engine failures become gRPC statuses.

use tonic::Status;

use crate::engine::BotError;

impl From<BotError> for Status {
    fn from(e: BotError) -> Self {
        match e {
            BotError::Invalid { .. } => Status::invalid_argument(e.to_string()),
            BotError::Rejected(m) => Status::invalid_argument(m),
            BotError::NotFound(m) => Status::not_found(m),
            BotError::Forbidden(m) => Status::permission_denied(m),
            BotError::WrongState(m) => Status::failed_precondition(m),
            BotError::AgentUnavailable(m) => Status::unavailable(m),
            BotError::AgentTimeout(m) => Status::deadline_exceeded(m),
            BotError::TooMany(m) => Status::resource_exhausted(m),
            BotError::Busy(m) => Status::aborted(m),
            BotError::SessionsUnavailable(m) => Status::unavailable(m),
            BotError::Catalogue(_) => Status::failed_precondition(e.to_string()),
        }
    }
}
