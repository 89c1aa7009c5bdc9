//! The robot's feedback figures, kept here for every bot-service replica: unanswered
//! questions (bot-service normalises and masks them before they arrive; they are masked
//! again here, so no caller can store a mobile number for supervisors to read) and
//! answer ratings per intent, with the limits a caller must respect.

use std::sync::Arc;

use server_kit::clock::SharedClock;

use super::{DomainError, Entrance, ticket::limit_chars};
use crate::store::{ReplyRatingCount, Store, UnansweredCount};

/// Longest unanswered question kept, in characters.
pub const MAX_QUESTION_CHARS: usize = 500;
/// Longest intent name, in characters.
pub const MAX_INTENT_CHARS: usize = 128;
/// Questions listed unless asked otherwise.
pub const DEFAULT_LIST: u32 = 20;
/// Most questions one list returns.
pub const MAX_LIST: u32 = 200;

/// Records and reads the robot's feedback figures.
#[derive(Clone)]
pub struct RobotFeedback {
    store: Arc<dyn Store>,
    clock: SharedClock,
}

impl RobotFeedback {
    /// Figures over `store`, timed by `clock`.
    pub fn new(store: Arc<dyn Store>, clock: SharedClock) -> Self {
        Self { store, clock }
    }

    /// Counts one unanswered question, its personal data masked.
    pub async fn record_unanswered(
        &self,
        entrance: Entrance,
        text: &str,
    ) -> Result<(), DomainError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(DomainError::invalid("text", "must not be empty"));
        }
        limit_chars("text", text, MAX_QUESTION_CHARS)?;
        let text = server_kit::privacy::mask(text);
        let now = self.clock.now();
        Ok(self.store.record_unanswered(entrance, &text, now).await?)
    }

    /// Moves `intent`'s helpful / not-helpful counts by -1, 0 or 1 each.
    pub async fn rate(
        &self,
        intent: &str,
        helpful: i64,
        not_helpful: i64,
    ) -> Result<(), DomainError> {
        if intent.trim().is_empty() {
            return Err(DomainError::invalid("intent", "is required"));
        }
        limit_chars("intent", intent, MAX_INTENT_CHARS)?;
        for (field, delta) in [
            ("helpful_delta", helpful),
            ("not_helpful_delta", not_helpful),
        ] {
            if !(-1..=1).contains(&delta) {
                return Err(DomainError::invalid(field, "must be -1, 0 or 1"));
            }
        }
        Ok(self
            .store
            .add_reply_rating(intent, helpful, not_helpful)
            .await?)
    }

    /// The most asked unanswered questions; `limit` 0 means [`DEFAULT_LIST`].
    pub async fn unanswered(
        &self,
        entrance: Option<Entrance>,
        limit: u32,
    ) -> Result<Vec<UnansweredCount>, DomainError> {
        let limit = match limit {
            0 => DEFAULT_LIST,
            n if n > MAX_LIST => {
                return Err(DomainError::invalid(
                    "limit",
                    format!("must be at most {MAX_LIST}"),
                ));
            }
            n => n,
        };
        Ok(self.store.top_unanswered(entrance, limit).await?)
    }

    /// Every intent's answer ratings, by name.
    pub async fn ratings(&self) -> Result<Vec<ReplyRatingCount>, DomainError> {
        Ok(self.store.reply_ratings().await?)
    }
}
