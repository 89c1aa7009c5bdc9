//! What the robot learns from its traffic, kept durably for every bot-service replica:
//! unanswered questions counted per entrance and text, and answer ratings counted per
//! intent. The trait, and its SQL (one statement per write, an upsert that adds to the
//! stored count, the same on SQLite and PostgreSQL).

use std::time::SystemTime;

use async_trait::async_trait;
use server_kit::time::{from_unix_millis, unix_millis};
use sqlx::Row;

use super::{SqlStore, StoreError, sql::corrupt, ticket_sql::parse};
use crate::domain::Entrance;

/// One unanswered question and how often it was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnansweredCount {
    /// Where it was asked.
    pub entrance: Entrance,
    /// The normalised, masked text.
    pub text: String,
    /// How often.
    pub count: u64,
    /// Last asked.
    pub last_seen: SystemTime,
}

/// Helpful / not-helpful votes on one intent's answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyRatingCount {
    /// The intent.
    pub intent: String,
    /// Rated helpful.
    pub helpful: u64,
    /// Rated not helpful.
    pub not_helpful: u64,
}

/// The robot's feedback figures.
#[async_trait]
pub trait FeedbackStore: Send + Sync + 'static {
    /// Counts one more asking of `text` at `entrance`, last at `at`.
    async fn record_unanswered(
        &self,
        entrance: Entrance,
        text: &str,
        at: SystemTime,
    ) -> Result<(), StoreError>;
    /// The most asked questions (optionally of one entrance), most asked first, then the
    /// most recent, then by text.
    async fn top_unanswered(
        &self,
        entrance: Option<Entrance>,
        limit: u32,
    ) -> Result<Vec<UnansweredCount>, StoreError>;
    /// Moves an intent's counts by the deltas (never below zero).
    async fn add_reply_rating(
        &self,
        intent: &str,
        helpful_delta: i64,
        not_helpful_delta: i64,
    ) -> Result<(), StoreError>;
    /// Every intent's counts, by name.
    async fn reply_ratings(&self) -> Result<Vec<ReplyRatingCount>, StoreError>;
}

#[async_trait]
impl FeedbackStore for SqlStore {
    async fn record_unanswered(
        &self,
        entrance: Entrance,
        text: &str,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO robot_unanswered (entrance, text, count, last_seen) VALUES ($1, $2, 1, $3)
             ON CONFLICT (entrance, text)
             DO UPDATE SET count = robot_unanswered.count + 1, last_seen = excluded.last_seen",
        )
        .bind(entrance.as_str())
        .bind(text)
        .bind(unix_millis(at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn top_unanswered(
        &self,
        entrance: Option<Entrance>,
        limit: u32,
    ) -> Result<Vec<UnansweredCount>, StoreError> {
        sqlx::query(
            "SELECT entrance, text, count, last_seen FROM robot_unanswered
             WHERE $1 = '' OR entrance = $1
             ORDER BY count DESC, last_seen DESC, text LIMIT $2",
        )
        .bind(entrance.map_or("", Entrance::as_str))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|row| {
            let count: i64 = row.try_get("count")?;
            Ok(UnansweredCount {
                entrance: parse("robot_unanswered", &row.try_get::<String, _>("entrance")?)?,
                text: row.try_get("text")?,
                count: u64::try_from(count).map_err(|e| corrupt("robot_unanswered", e))?,
                last_seen: from_unix_millis(row.try_get("last_seen")?),
            })
        })
        .collect()
    }

    async fn add_reply_rating(
        &self,
        intent: &str,
        helpful_delta: i64,
        not_helpful_delta: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO robot_reply_ratings (intent, helpful, not_helpful)
             VALUES ($1, CASE WHEN $2 > 0 THEN $2 ELSE 0 END, CASE WHEN $3 > 0 THEN $3 ELSE 0 END)
             ON CONFLICT (intent) DO UPDATE SET
               helpful = CASE WHEN robot_reply_ratings.helpful + $2 > 0
                              THEN robot_reply_ratings.helpful + $2 ELSE 0 END,
               not_helpful = CASE WHEN robot_reply_ratings.not_helpful + $3 > 0
                                  THEN robot_reply_ratings.not_helpful + $3 ELSE 0 END",
        )
        .bind(intent)
        .bind(helpful_delta)
        .bind(not_helpful_delta)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn reply_ratings(&self) -> Result<Vec<ReplyRatingCount>, StoreError> {
        sqlx::query("SELECT intent, helpful, not_helpful FROM robot_reply_ratings ORDER BY intent")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|row| {
                let count = |column: &str| -> Result<u64, StoreError> {
                    let n: i64 = row.try_get(column)?;
                    u64::try_from(n).map_err(|e| corrupt("robot_reply_ratings", e))
                };
                Ok(ReplyRatingCount {
                    intent: row.try_get("intent")?,
                    helpful: count("helpful")?,
                    not_helpful: count("not_helpful")?,
                })
            })
            .collect()
    }
}
