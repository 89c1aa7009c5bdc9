//! The port through which the engine keeps live sessions: in this process's memory (the
//! default, [`super::Registry`]) or in a store shared by every replica (Redis, see
//! [`super::redis`]), so any replica can answer any call for any session. A session is
//! locked for one call at a time, across replicas, and written back when the call ends.

use std::{
    ops::{Deref, DerefMut},
    time::SystemTime,
};

use async_trait::async_trait;

use super::Session;
use crate::vocabulary::Entrance;

/// Sessions by state, as the live-session gauge reports them: bot, queued, with_agent,
/// closed, and in_turn (locked by a call right now).
pub type Census = [(&'static str, usize); 5];

/// Why the session store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum SessionStoreError {
    /// The user already holds the most open sessions allowed; `open` is how many.
    #[error("the user already has {open} open sessions")]
    TooMany {
        /// Open sessions the user holds.
        open: usize,
    },
    /// Another call held the session for longer than a call may wait.
    #[error("session {0} is busy with another call; try again")]
    Busy(String),
    /// The lock was lost before the call wrote the session back (the call outlived its
    /// lease), so its changes were not written: another call may have moved on.
    #[error("session {0} was taken over by another call before this one finished; try again")]
    LockLost(String),
    /// The store cannot be reached or failed.
    #[error("the session store is unavailable: {0}")]
    Unavailable(String),
    /// A stored session could not be read back.
    #[error("session {id} is stored in a form this build cannot read: {reason}")]
    Corrupt {
        /// The session.
        id: String,
        /// What is wrong.
        reason: String,
    },
}

/// Where live sessions are kept.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Adds a new session unless its user already has `max_open` sessions that are not
    /// closed (0 = no cap), checked and added atomically (cluster-wide in a shared
    /// store), so two starts at once cannot both pass the cap.
    async fn insert(&self, session: Session, max_open: usize) -> Result<(), SessionStoreError>;

    /// The session `id`, locked for this call (other calls for it, on any replica, wait
    /// until the guard is committed or dropped); `None` when there is no such session.
    async fn lock(&self, id: &str) -> Result<Option<SessionGuard>, SessionStoreError>;

    /// The entrance session `id` was opened at, without locking it.
    async fn entrance(&self, id: &str) -> Result<Option<Entrance>, SessionStoreError>;

    /// Sessions whose idle limit or ticket catch-up may be due at `now` (the sweeper
    /// locks each and looks).
    async fn due(&self, now: SystemTime) -> Result<Vec<String>, SessionStoreError>;

    /// Forgets sessions closed for longer than the retention; returns how many (a
    /// shared store expires them by itself).
    async fn evict_closed(&self, now: SystemTime) -> usize;

    /// Sessions held by state, where the store can count them cheaply (this process's
    /// memory); `None` for a shared store.
    fn census(&self) -> Option<Census>;

    /// Whether the store answers (health).
    async fn ping(&self) -> Result<(), SessionStoreError>;
}

/// One locked session as a store hands it out.
#[async_trait]
pub trait Held: Send + Sync {
    /// The session.
    fn session(&self) -> &Session;
    /// The session, to change.
    fn session_mut(&mut self) -> &mut Session;
    /// Writes the session back and releases the lock.
    async fn commit(self: Box<Self>) -> Result<(), SessionStoreError>;
}

/// A locked session: reads and changes go to it directly; [`SessionGuard::commit`]
/// writes it back and releases the lock. Dropped without a commit (an error path, or a
/// call cancelled mid-way), the store still writes back what was changed, in the
/// background, before it releases the lock: the same as an in-memory session, whose
/// changes are made in place.
pub struct SessionGuard(Box<dyn Held>);

impl SessionGuard {
    /// Wraps what a store holds.
    pub fn new(held: Box<dyn Held>) -> Self {
        Self(held)
    }

    /// Writes the session back and releases the lock; a call answers only once this
    /// succeeded, so what it answered is what every replica sees next.
    pub async fn commit(self) -> Result<(), SessionStoreError> {
        self.0.commit().await
    }
}

impl Deref for SessionGuard {
    type Target = Session;

    fn deref(&self) -> &Session {
        self.0.session()
    }
}

impl DerefMut for SessionGuard {
    fn deref_mut(&mut self) -> &mut Session {
        self.0.session_mut()
    }
}
