//! The in-memory table of live sessions, with per-session locks so one user's turns are
//! serialised while different sessions proceed in parallel, and an index by user so the
//! cap on one user's open sessions is checked without a scan of everyone's. The default
//! [`SessionStore`]: a locked session is the cell itself, changed in place, so a turn
//! costs no serialisation and no copy.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use async_trait::async_trait;
use tokio::sync::OwnedMutexGuard;

use super::{
    Session, SessionState,
    store::{Census, Held, SessionGuard, SessionStore, SessionStoreError},
};
use crate::vocabulary::Entrance;

/// Closed sessions are kept this long (for reads and late retries) before eviction.
pub(crate) const CLOSED_RETENTION: Duration = Duration::from_secs(3600);

/// A session behind its own lock.
pub type SessionCell = Arc<tokio::sync::Mutex<Session>>;

/// All sessions of this process.
#[derive(Default)]
pub struct Registry {
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    sessions: HashMap<String, SessionCell>,
    by_user: HashMap<String, Vec<SessionCell>>,
}

impl Registry {
    /// Adds a new session unless its user already has `max_open` sessions that are not
    /// closed (0 = no cap); refused, the number they have. Checked and added under one
    /// lock, so two starts at once cannot both pass the cap.
    pub fn insert_within(&self, session: Session, max_open: usize) -> Result<SessionCell, usize> {
        let mut table = self.lock();
        if max_open > 0 {
            let open = table
                .by_user
                .get(&session.user_id)
                .map_or(0, |cells| cells.iter().filter(|c| is_open(c)).count());
            if open >= max_open {
                return Err(open);
            }
        }
        let (id, user) = (session.id.clone(), session.user_id.clone());
        let cell = Arc::new(tokio::sync::Mutex::new(session));
        table.sessions.insert(id, cell.clone());
        table.by_user.entry(user).or_default().push(cell.clone());
        Ok(cell)
    }

    /// The session with `id`.
    pub fn get(&self, id: &str) -> Option<SessionCell> {
        self.lock().sessions.get(id).cloned()
    }

    /// Every session (for the idle sweeper).
    pub fn all(&self) -> Vec<SessionCell> {
        self.lock().sessions.values().cloned().collect()
    }

    /// Forgets sessions closed for longer than the retention, measured from their last
    /// activity; returns how many.
    pub fn evict_closed(&self, now: SystemTime) -> usize {
        let mut table = self.lock();
        // Each cell is judged once; the user index then drops exactly those cells.
        let mut evicted = HashSet::new();
        table.sessions.retain(|_, cell| {
            let keep = match cell.try_lock() {
                Ok(s) => {
                    s.state != SessionState::Closed
                        || now.duration_since(s.last_activity).unwrap_or_default()
                            < s.idle_timeout + CLOSED_RETENTION
                }
                Err(_) => true,
            };
            if !keep {
                evicted.insert(Arc::as_ptr(cell));
            }
            keep
        });
        if !evicted.is_empty() {
            table.by_user.retain(|_, cells| {
                cells.retain(|cell| !evicted.contains(&Arc::as_ptr(cell)));
                !cells.is_empty()
            });
        }
        evicted.len()
    }

    /// How many sessions are held.
    pub fn len(&self) -> usize {
        self.lock().sessions.len()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl SessionStore for Registry {
    async fn insert(&self, session: Session, max_open: usize) -> Result<(), SessionStoreError> {
        self.insert_within(session, max_open)
            .map(drop)
            .map_err(|open| SessionStoreError::TooMany { open })
    }

    async fn lock(&self, id: &str) -> Result<Option<SessionGuard>, SessionStoreError> {
        let Some(cell) = self.get(id) else {
            return Ok(None);
        };
        let held = Box::new(InPlace(cell.lock_owned().await));
        Ok(Some(SessionGuard::new(held)))
    }

    async fn entrance(&self, id: &str) -> Result<Option<Entrance>, SessionStoreError> {
        let Some(cell) = self.get(id) else {
            return Ok(None);
        };
        Ok(Some(cell.lock().await.entrance))
    }

    async fn due(&self, _now: SystemTime) -> Result<Vec<String>, SessionStoreError> {
        // Every session is looked at: cheaper than keeping deadlines in order.
        Ok(self.lock().sessions.keys().cloned().collect())
    }

    async fn evict_closed(&self, now: SystemTime) -> usize {
        Registry::evict_closed(self, now)
    }

    fn census(&self) -> Option<Census> {
        let mut counts = [
            ("bot", 0),
            ("queued", 0),
            ("with_agent", 0),
            ("closed", 0),
            ("in_turn", 0),
        ];
        for cell in self.all() {
            let i = match cell.try_lock() {
                Ok(s) => match s.state {
                    SessionState::Bot => 0,
                    SessionState::Queued => 1,
                    SessionState::WithAgent => 2,
                    SessionState::Closed => 3,
                },
                Err(_) => 4,
            };
            counts[i].1 += 1;
        }
        Some(counts)
    }

    async fn ping(&self) -> Result<(), SessionStoreError> {
        Ok(())
    }
}

/// A cell's lock: changes are made in place, so committing only releases it.
struct InPlace(OwnedMutexGuard<Session>);

#[async_trait]
impl Held for InPlace {
    fn session(&self) -> &Session {
        &self.0
    }

    fn session_mut(&mut self) -> &mut Session {
        &mut self.0
    }

    async fn commit(self: Box<Self>) -> Result<(), SessionStoreError> {
        Ok(())
    }
}

/// Not closed; a session in the middle of a turn (locked) counts as open.
fn is_open(cell: &SessionCell) -> bool {
    cell.try_lock()
        .map_or(true, |s| s.state != SessionState::Closed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str, user: &str) -> Session {
        Session::new(
            id.into(),
            user.into(),
            crate::vocabulary::Entrance::Consumer,
            SystemTime::UNIX_EPOCH,
            Duration::from_secs(600),
            10,
        )
    }

    #[tokio::test]
    async fn a_user_holds_at_most_the_cap_of_open_sessions() {
        let registry = Registry::default();
        let first = registry.insert_within(session("s-1", "u-1"), 2).unwrap();
        registry.insert_within(session("s-2", "u-1"), 2).unwrap();
        assert_eq!(
            registry.insert_within(session("s-3", "u-1"), 2).err(),
            Some(2)
        );
        // Another user is not affected; a closed session frees a place.
        registry.insert_within(session("s-4", "u-2"), 2).unwrap();
        first
            .lock()
            .await
            .close(super::super::CloseReason::CustomerEnded);
        registry.insert_within(session("s-3", "u-1"), 2).unwrap();
        assert_eq!(registry.len(), 4);
    }
}
