//! One agent-service per SQLite file. Routing, offers and live streams of the embedded
//! mode live in the process that serves the file, so a second process on the same file
//! would make offers the first cannot see; it is refused at start-up, naming the process
//! that holds the file, instead. The claim is an exclusive lock (`flock`) on a sidecar
//! file `<database>.owner`, which the kernel releases when the holder exits, however it
//! exits (kill -9 included), so a crashed process never blocks its successor.
//! (SQLite's own locks are per transaction and say nothing about who serves the file.)

use std::{
    fs::{File, OpenOptions, TryLockError},
    io::{Read, Seek, Write},
};

use super::StoreError;

/// Held while this process serves the SQLite file; dropping it lets another start.
#[derive(Debug)]
pub struct SqliteClaim {
    _file: File,
}

impl SqliteClaim {
    /// Claims the SQLite file behind `url` for this process; `None` for other databases
    /// (PostgreSQL serves any number of replicas) and in-memory SQLite.
    pub fn acquire(url: &str) -> Result<Option<Self>, StoreError> {
        let Some(db) = super::sql::sqlite_path(url) else {
            return Ok(None);
        };
        super::sql::create_parent_dir(db)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(format!("{db}.owner"))
            .map_err(|e| StoreError::Database(e.into()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let who = if holder.is_empty() {
                    "another agent-service".to_owned()
                } else {
                    format!("another agent-service ({holder})")
                };
                return Err(StoreError::Unavailable(format!(
                    "{db} is already served by {who}: an embedded SQLite file serves one \
                     agent-service process; stop that one, or run replicas on PostgreSQL"
                )));
            }
            Err(TryLockError::Error(e)) => return Err(StoreError::Database(e.into())),
        }
        // Who holds it, for the message a second process prints.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "pid {}", std::process::id());
        Ok(Some(Self { _file: file }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_on_one_file_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("agent.db").display());
        let first = SqliteClaim::acquire(&url).unwrap().expect("a SQLite file");
        let refused = SqliteClaim::acquire(&url).unwrap_err().to_string();
        assert!(
            refused.contains("already served by another agent-service (pid "),
            "{refused}"
        );
        assert!(refused.contains("PostgreSQL"), "{refused}");
        drop(first);
        assert!(SqliteClaim::acquire(&url).unwrap().is_some());
    }

    #[test]
    fn other_databases_need_no_claim() {
        assert!(SqliteClaim::acquire("sqlite::memory:").unwrap().is_none());
        assert!(
            SqliteClaim::acquire("postgres://postgres@127.0.0.1/test")
                .unwrap()
                .is_none()
        );
    }
}
