//! How long the store waits on the database: a statement timeout set on every
//! connection (PostgreSQL `statement_timeout` and `lock_timeout`, SQLite's busy timeout),
//! so a statement stuck behind a lock fails and rolls back instead of holding its caller
//! (and shutdown) until the lock goes; and a bound on waiting for a pooled connection.
//! Either expiry is [`StoreError::TimedOut`](super::StoreError::TimedOut), never a bare
//! database error.

use std::time::Duration;

use super::sql::Dialect;

/// The store's waiting limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Longest one statement may run or wait for a lock.
    pub statement: Duration,
    /// Longest a caller waits for a pooled connection.
    pub acquire: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            statement: Duration::from_secs(10),
            acquire: Duration::from_secs(5),
        }
    }
}

impl Timeouts {
    /// The statements every new connection runs first.
    pub(super) fn session_settings(&self, dialect: Dialect) -> Vec<String> {
        let ms = self.statement.as_millis().max(1);
        match dialect {
            Dialect::Sqlite => vec![
                "PRAGMA journal_mode = WAL".to_owned(),
                "PRAGMA synchronous = FULL".to_owned(),
                "PRAGMA foreign_keys = ON".to_owned(),
                format!("PRAGMA busy_timeout = {ms}"),
            ],
            Dialect::Postgres => vec![
                format!("SET statement_timeout = {ms}"),
                format!("SET lock_timeout = {ms}"),
            ],
        }
    }
}

/// What ran out of time, when `error` is the database or the pool giving up waiting.
pub(super) fn timed_out(error: &sqlx::Error) -> Option<&'static str> {
    match error {
        sqlx::Error::PoolTimedOut => {
            Some("no database connection came free within [store] acquire_timeout_ms")
        }
        sqlx::Error::Database(e) => match e.code().as_deref() {
            // PostgreSQL: query_canceled (statement_timeout), lock_not_available.
            Some("57014") => Some("a statement ran past [store] statement_timeout_ms"),
            Some("55P03") => {
                Some("a statement waited for a lock past [store] statement_timeout_ms")
            }
            // SQLite: SQLITE_BUSY and its extended codes.
            Some("5" | "261" | "517" | "773") => {
                Some("the database file stayed locked past [store] statement_timeout_ms")
            }
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_wait_is_a_timeout_and_other_errors_are_not() {
        assert!(timed_out(&sqlx::Error::PoolTimedOut).is_some_and(|w| w.contains("acquire")));
        assert_eq!(timed_out(&sqlx::Error::RowNotFound), None);
        let pg = Timeouts::default().session_settings(Dialect::Postgres);
        assert_eq!(
            pg,
            ["SET statement_timeout = 10000", "SET lock_timeout = 10000"]
        );
    }
}
