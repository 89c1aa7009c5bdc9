//! The in-memory table of live sessions, with per-session locks so one user's turns are
//! serialised while different sessions proceed in parallel.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use super::Session;

/// Closed sessions are kept this long (for reads and late retries) before eviction.
const CLOSED_RETENTION: Duration = Duration::from_secs(3600);

/// A session behind its own lock.
pub type SessionCell = Arc<tokio::sync::Mutex<Session>>;

/// All sessions of this process.
#[derive(Default)]
pub struct Registry {
    sessions: Mutex<HashMap<String, SessionCell>>,
}

impl Registry {
    /// Adds a new session.
    pub fn insert(&self, session: Session) -> SessionCell {
        let id = session.id.clone();
        let cell = Arc::new(tokio::sync::Mutex::new(session));
        self.lock().insert(id, cell.clone());
        cell
    }

    /// The session with `id`.
    pub fn get(&self, id: &str) -> Option<SessionCell> {
        self.lock().get(id).cloned()
    }

    /// Every session (for the idle sweeper).
    pub fn all(&self) -> Vec<SessionCell> {
        self.lock().values().cloned().collect()
    }

    /// Forgets sessions closed for longer than the retention, measured from their last
    /// activity; returns how many.
    pub fn evict_closed(&self, now: SystemTime) -> usize {
        let mut sessions = self.lock();
        let before = sessions.len();
        sessions.retain(|_, cell| match cell.try_lock() {
            Ok(s) => {
                s.state != super::SessionState::Closed
                    || now.duration_since(s.last_activity).unwrap_or_default()
                        < s.idle_timeout + CLOSED_RETENTION
            }
            Err(_) => true,
        });
        before - sessions.len()
    }

    /// How many sessions are held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SessionCell>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}
