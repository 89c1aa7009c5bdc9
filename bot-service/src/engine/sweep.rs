//! The idle sweeper's pass over the sessions whose check is due (all of them in memory,
//! the deadlines that passed in Redis): each is locked, caught up with its ticket when
//! quiet too long, closed when idle, and written back. The lock makes each idle close
//! happen once however many replicas sweep. Also the live-session counts.

use super::Engine;

impl Engine {
    /// Closes sessions past their idle limit and forgets long-closed ones; returns how
    /// many were closed. Run periodically by a sweeper.
    pub async fn sweep(&self) -> usize {
        let mut closed = 0;
        let due = match self.sessions.due(self.clock.now()).await {
            Ok(due) => due,
            Err(e) => {
                // Health already says the store is down; no line every sweep.
                tracing::debug!(error = %e, "idle sweep skipped");
                return 0;
            }
        };
        for id in due {
            // Another replica's sweeper (or a call) may hold it: it is looked at then.
            let mut session = match self.sessions.lock(&id).await {
                Ok(Some(session)) => session,
                Ok(None) => continue,
                Err(e) => {
                    tracing::debug!(error = %e, session = %id, "not swept this time");
                    continue;
                }
            };
            if session.needs_sync(self.clock.now()) {
                self.catch_up(&mut session).await;
            }
            if self.expire_if_idle(&mut session).await {
                closed += 1;
            }
            if let Err(e) = session.commit().await {
                tracing::warn!(error = %e, session = %id, "swept session not written back");
            }
        }
        self.sessions.evict_closed(self.clock.now()).await;
        closed
    }

    /// Live sessions held in this process's memory (0 with a shared store).
    pub fn sessions(&self) -> usize {
        self.sessions_by_state()
            .map_or(0, |counts| counts.iter().map(|(_, n)| n).sum())
    }

    /// Sessions held in memory by state; a session in the middle of a turn (locked) is
    /// counted as `in_turn`. `None` with a shared store (no replica counts them all).
    pub fn sessions_by_state(&self) -> Option<crate::session::store::Census> {
        self.sessions.census()
    }
}
