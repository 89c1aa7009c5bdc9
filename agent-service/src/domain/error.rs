//! What can go wrong in agent-service's domain, independent of how it is reported; the
//! gRPC layer maps each variant to a status code in one place.

use crate::store::StoreError;

/// A domain failure.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Bad input; `field` names it.
    #[error("{field}: {reason}")]
    Invalid {
        /// The offending field.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// No such thing.
    #[error("{0}")]
    NotFound(String),
    /// The caller may not touch it.
    #[error("{0}")]
    Forbidden(String),
    /// The thing is in the wrong state for this.
    #[error("{0}")]
    WrongState(String),
    /// Something inside the service failed (a bug, not the caller's fault).
    #[error("{0}")]
    Internal(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DomainError {
    /// An [`DomainError::Invalid`] for `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        DomainError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
