//! bot-service's settings for what it calls and who may call it: the link to
//! agent-service and the task back ends (with their TLS), its own signing identity,
//! and the per-caller limits.

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use serde::Deserialize;
use server_kit::tls::ClientTlsSettings;

/// Per-caller limits a real client never meets but a flood does (`[limits]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// New sessions per user per minute.
    pub sessions_per_minute: u32,
    /// Messages per session per second, after a burst of `message_burst`.
    pub messages_per_second: u32,
    /// Messages a session may send at once before the per-second rate applies.
    pub message_burst: u32,
    /// Other writes (hand-off, ratings, complaints, ending) per user per minute.
    pub writes_per_minute: u32,
    /// Event streams one user may hold open at once.
    pub streams_per_user: usize,
    /// Sessions one user may hold open (not closed) at once.
    pub open_sessions_per_user: usize,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            sessions_per_minute: 10,
            messages_per_second: 5,
            message_burst: 20,
            writes_per_minute: 120,
            streams_per_user: 20,
            open_sessions_per_user: 20,
        }
    }
}

/// bot-service's own signing key (`[identity]`): with it, bot-service signs its
/// `service` tokens with a private key whose public half the callee's JWKS file lists
/// (limited there to the `service` role), instead of the shared HS256 secret.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentitySettings {
    /// The private key (Ed25519 PKCS#8 or RSA, PEM).
    pub key_file: Option<PathBuf>,
    /// Its `kid` in the callee's JWKS file.
    pub key_id: Option<String>,
}

impl IdentitySettings {
    /// The key file and its id, when configured.
    pub fn key(&self) -> Option<(&std::path::Path, &str)> {
        self.key_file.as_deref().zip(self.key_id.as_deref())
    }
}

/// How bot-service reaches agent-service.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentLinkSettings {
    /// agent-service's address, e.g. `http://127.0.0.1:50052`.
    pub url: String,
    /// Deadline for each call, in milliseconds.
    pub deadline_ms: u64,
    /// Channels kept open (calls are spread over them).
    pub channels: usize,
    /// Attempts for idempotent calls (first try included).
    pub attempts: u32,
    /// TLS for an `https://` URL: the CA to trust, and a client certificate for mTLS.
    pub tls: ClientTlsSettings,
}

impl Default for AgentLinkSettings {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:50052".to_owned(),
            deadline_ms: 3000,
            channels: 4,
            attempts: 3,
            tls: ClientTlsSettings::default(),
        }
    }
}

impl AgentLinkSettings {
    /// The per-call deadline.
    pub fn deadline(&self) -> Duration {
        Duration::from_millis(self.deadline_ms)
    }
}

/// How bot-service reaches the back ends of task intents (`[actions]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActionSettings {
    /// Back-end addresses (`http://host:port`) by the names the catalogue's tasks use
    /// (`[actions.backends] topup = "http://…"`). A task whose back end is not listed
    /// tells the customer its service is not available.
    pub backends: BTreeMap<String, String>,
    /// Deadline of each call, in milliseconds; past it the outcome is unknown.
    pub deadline_ms: u64,
    /// Channels kept open to each back end.
    pub channels: usize,
    /// Attempts when a back end is unreachable (the idempotency key makes them safe).
    pub attempts: u32,
    /// TLS for `https://` back ends: the CA to trust, and a client certificate for mTLS.
    pub tls: ClientTlsSettings,
}

impl Default for ActionSettings {
    fn default() -> Self {
        Self {
            backends: BTreeMap::new(),
            deadline_ms: 3000,
            channels: 2,
            attempts: 2,
            tls: ClientTlsSettings::default(),
        }
    }
}

impl ActionSettings {
    /// The per-call deadline.
    pub fn deadline(&self) -> Duration {
        Duration::from_millis(self.deadline_ms)
    }
}
