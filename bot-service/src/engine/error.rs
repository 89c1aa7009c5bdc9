//! What can go wrong in a conversation, independent of how it is reported; the gRPC
//! layer maps each variant to a status code in one place.

use crate::{catalogue::CatalogueError, session::SessionStoreError};

/// A conversation failure.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    /// Bad input; `field` names it.
    #[error("{field}: {reason}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// No such session or reply.
    #[error("{0}")]
    NotFound(String),
    /// Someone else's session.
    #[error("{0}")]
    Forbidden(String),
    /// The session is in the wrong state (closed, timed out, not yet offered a person…).
    #[error("{0}")]
    WrongState(String),
    /// The human side turned the input down; the message names the problem.
    #[error("{0}")]
    Rejected(String),
    /// agent-service could not be reached; the message says what the customer can do.
    #[error("{0}")]
    AgentUnavailable(String),
    /// agent-service did not answer in time.
    #[error("{0}")]
    AgentTimeout(String),
    /// The caller holds as much as one caller may (e.g. open sessions).
    #[error("{0}")]
    TooMany(String),
    /// Another call (on this replica or another) holds the session; retrying works.
    #[error("{0}")]
    Busy(String),
    /// The session store cannot be reached (or holds something unreadable).
    #[error("{0}")]
    SessionsUnavailable(String),
    /// The catalogue could not be (re)loaded; the old one stays in force.
    #[error("catalogue not reloaded, the previous one stays in force: {0}")]
    Catalogue(#[from] CatalogueError),
}

impl From<SessionStoreError> for BotError {
    fn from(e: SessionStoreError) -> Self {
        match e {
            SessionStoreError::TooMany { .. } => BotError::TooMany(e.to_string()),
            SessionStoreError::Busy(_) | SessionStoreError::LockLost(_) => {
                BotError::Busy(e.to_string())
            }
            SessionStoreError::Unavailable(_) | SessionStoreError::Corrupt { .. } => {
                BotError::SessionsUnavailable(e.to_string())
            }
        }
    }
}

impl BotError {
    /// An [`BotError::Invalid`] for `field`.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        BotError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}
