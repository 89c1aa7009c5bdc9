//! The `[sessions]` table: where live sessions are kept. `memory` (the default) keeps
//! them in this process, as one embedded bot-service needs; a `redis://` URL keeps them
//! in Redis, shared by every replica, so any replica answers any call of a conversation.

use std::time::Duration;

use serde::Deserialize;
use server_kit::config::{ConfigError, invalid};

use crate::session::redis::RedisSessionSettings;

/// Where sessions live and how shared ones are locked.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSettings {
    /// `memory`, or `redis://host:port/db` for sessions shared by several replicas.
    pub store: String,
    /// Put before every Redis key, so several deployments can share one Redis.
    pub key_prefix: String,
    /// How long a session lock holds if the replica holding it dies, in milliseconds;
    /// longer than the slowest call (agent-service and task back-end deadlines).
    pub lock_lease_ms: u64,
    /// How long a call waits for a session another call holds, in milliseconds.
    pub lock_wait_ms: u64,
    /// How long one Redis command may take, in milliseconds.
    pub timeout_ms: u64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            store: MEMORY.to_owned(),
            key_prefix: "honeydesk:".to_owned(),
            lock_lease_ms: 30_000,
            lock_wait_ms: 10_000,
            timeout_ms: 2_000,
        }
    }
}

/// The `store` value that keeps sessions in this process.
pub const MEMORY: &str = "memory";

impl SessionSettings {
    /// The Redis settings, when sessions are shared; `None` for `memory`.
    pub fn redis(&self) -> Option<RedisSessionSettings> {
        (self.store != MEMORY).then(|| RedisSessionSettings {
            url: self.store.clone(),
            key_prefix: self.key_prefix.clone(),
            lock_lease: Duration::from_millis(self.lock_lease_ms),
            lock_wait: Duration::from_millis(self.lock_wait_ms),
            timeout: Duration::from_millis(self.timeout_ms),
        })
    }

    /// Range checks.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.store != MEMORY
            && !(self.store.starts_with("redis://") || self.store.starts_with("redis+unix://"))
        {
            return Err(invalid(
                "sessions.store",
                &format!("'{}' is neither 'memory' nor a redis:// URL", self.store),
            ));
        }
        for (key, ms) in [
            ("sessions.lock_lease_ms", self.lock_lease_ms),
            ("sessions.lock_wait_ms", self.lock_wait_ms),
            ("sessions.timeout_ms", self.timeout_ms),
        ] {
            if ms == 0 {
                return Err(invalid(key, "must be at least 1"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_by_default_and_other_stores_named_in_errors() {
        assert!(SessionSettings::default().redis().is_none());
        let shared = SessionSettings {
            store: "redis://127.0.0.1:6379/".into(),
            ..SessionSettings::default()
        };
        shared.validate().unwrap();
        assert_eq!(shared.redis().unwrap().key_prefix, "honeydesk:");
        let bad = SessionSettings {
            store: "memcached://x".into(),
            ..SessionSettings::default()
        };
        let err = bad.validate().unwrap_err().to_string();
        assert!(err.contains("sessions.store"), "{err}");
    }
}
