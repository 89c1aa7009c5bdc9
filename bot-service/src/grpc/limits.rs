//! The per-caller limits of the conversation API, from `[limits]`: new sessions per
//! user, messages per session, other writes per user, and open event streams per user.
//! A flood gets RESOURCE_EXHAUSTED with a retry-after hint; a person never meets them.

use std::time::Duration;

use server_kit::{
    clock::SharedClock,
    limits::{KeyedLimit, StreamCap},
};

use crate::config::LimitSettings;

/// The limits one bot-service applies.
pub struct CallerLimits {
    /// New sessions, per user.
    pub sessions: KeyedLimit,
    /// Messages, per session.
    pub messages: KeyedLimit,
    /// Hand-offs, ratings, complaints, ending and leaving, per user.
    pub writes: KeyedLimit,
    /// Open event streams, per user.
    pub streams: StreamCap,
}

impl CallerLimits {
    /// The limits of `settings`, timed by `clock`.
    pub fn new(settings: &LimitSettings, clock: SharedClock) -> Self {
        let minute = Duration::from_secs(60);
        Self {
            sessions: KeyedLimit::new(
                "new sessions per user",
                settings.sessions_per_minute,
                minute,
                settings.sessions_per_minute,
                clock.clone(),
            ),
            messages: KeyedLimit::new(
                "messages per session",
                settings.messages_per_second,
                Duration::from_secs(1),
                settings.message_burst,
                clock.clone(),
            ),
            writes: KeyedLimit::new(
                "requests per user",
                settings.writes_per_minute,
                minute,
                settings.writes_per_minute,
                clock,
            ),
            streams: StreamCap::new("event streams per user", settings.streams_per_user),
        }
    }
}
