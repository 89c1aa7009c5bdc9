//! The one place where domain failures become gRPC statuses.

use tonic::Status;

use crate::{domain::DomainError, store::StoreError};

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
            DomainError::Store(StoreError::Expired) => Status::deadline_exceeded(format!(
                "{e}: retry with the same idempotency key or client message id"
            )),
            DomainError::Store(StoreError::TimedOut(what)) => {
                tracing::warn!(what, "store timed out");
                Status::unavailable(format!(
                    "the conversation store did not answer in time ({what}); the step that timed out was rolled back: retry shortly"
                ))
            }
            DomainError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                Status::unavailable("the conversation store is unavailable; retry shortly")
            }
        }
    }
}
