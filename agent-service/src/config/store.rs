//! The `[store]` table of agent-service's settings: where the durable store lives and
//! how long it may wait on the database.

use std::time::Duration;

use serde::Deserialize;
use server_kit::config::{ConfigError, invalid};

use crate::store::Timeouts;

/// Where the durable store lives.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// `sqlite://PATH` (embedded, the default) or `postgres://…`.
    pub url: String,
    /// How often the store is pinged for health, in milliseconds.
    pub ping_interval_ms: u64,
    /// Several agent-service replicas share this (PostgreSQL) database: stored events
    /// are announced to, and heard from, the other replicas.
    pub replicas: bool,
    /// Longest one statement may run or wait for a lock (PostgreSQL `statement_timeout`
    /// and `lock_timeout`, SQLite's busy timeout), in milliseconds.
    pub statement_timeout_ms: u64,
    /// Longest a call waits for a pooled database connection, in milliseconds.
    pub acquire_timeout_ms: u64,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            url: "sqlite://data/agent.db".to_owned(),
            ping_interval_ms: 2000,
            replicas: false,
            statement_timeout_ms: ms(Timeouts::default().statement),
            acquire_timeout_ms: ms(Timeouts::default().acquire),
        }
    }
}

impl StoreSettings {
    /// The health ping period.
    pub fn ping_interval(&self) -> Duration {
        Duration::from_millis(self.ping_interval_ms.max(1))
    }

    /// The store's waiting limits.
    pub fn timeouts(&self) -> Timeouts {
        Timeouts {
            statement: Duration::from_millis(self.statement_timeout_ms),
            acquire: Duration::from_millis(self.acquire_timeout_ms),
        }
    }

    /// Range checks that the types alone do not express.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (key, value) in [
            ("store.statement_timeout_ms", self.statement_timeout_ms),
            ("store.acquire_timeout_ms", self.acquire_timeout_ms),
        ] {
            if !(10..=3_600_000).contains(&value) {
                return Err(invalid(key, "must be 10-3600000 (milliseconds)"));
            }
        }
        Ok(())
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::AgentSettings;

    #[test]
    fn store_timeouts_come_from_toml_and_are_checked_by_key() {
        let s: AgentSettings =
            toml::from_str("[store]\nstatement_timeout_ms = 750\nacquire_timeout_ms = 250\n")
                .unwrap();
        s.validate().unwrap();
        assert_eq!(s.store.timeouts().statement, Duration::from_millis(750));
        assert_eq!(s.store.timeouts().acquire, Duration::from_millis(250));
        let mut bad = AgentSettings::default();
        bad.store.statement_timeout_ms = 0;
        let e = bad.validate().unwrap_err().to_string();
        assert!(e.contains("store.statement_timeout_ms"), "{e}");
    }
}
