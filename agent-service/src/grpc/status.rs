//! The one place where domain failures become gRPC statuses.

use tonic::Status;

use crate::domain::DomainError;

impl From<DomainError> for Status {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { .. } => Status::invalid_argument(e.to_string()),
            DomainError::NotFound(m) => Status::not_found(m),
            DomainError::Forbidden(m) => Status::permission_denied(m),
            DomainError::WrongState(m) => Status::failed_precondition(m),
            DomainError::Internal(m) => {
                tracing::error!(error = %m, "internal failure");
                Status::internal("agent-service failed to finish the request; retry shortly")
            }
            DomainError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                Status::unavailable("the conversation store is unavailable; retry shortly")
            }
        }
    }
}
