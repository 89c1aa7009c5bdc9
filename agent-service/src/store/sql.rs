//! The SQL implementation of [`Store`](super::Store) over sqlx's `Any` driver, so the
//! same statements serve SQLite and PostgreSQL; only connection set-up and migrations
//! differ per [`Dialect`].

use std::{path::Path, str::FromStr, time::SystemTime};

use async_trait::async_trait;
use server_kit::time::{from_unix_millis, unix_millis};
use sqlx::{
    AnyConnection, AnyPool, Connection, Row,
    any::{AnyPoolOptions, AnyRow},
    migrate::Migrator,
};

use super::{Store, StoreError, feed::Announce, group_commit::GroupCommit, timeouts::Timeouts};
use crate::domain::{Agent, AgentProfile, Entrance, Presence};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Group-commit writers on PostgreSQL, whose commits of different groups overlap.
const POSTGRES_WRITERS: usize = 4;

/// Which database is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Embedded, one file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The SQL store.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: AnyPool,
    /// Where writes go: the same pool on PostgreSQL, one connection on SQLite.
    writer: AnyPool,
    dialect: Dialect,
    group_commit: GroupCommit,
    announce: Announce,
}

impl SqlStore {
    /// Opens (creating if needed) the database at `url` and applies migrations.
    /// `sqlite://PATH` or `postgres://…`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_shared(url, false, Timeouts::default()).await
    }

    /// [`SqlStore::open`], for one of several replicas sharing the database when
    /// `replicas` says so: stored events are then announced to the others (PostgreSQL
    /// only; an embedded SQLite file serves one process); statements and connection
    /// waits bounded by `timeouts`.
    pub async fn open_shared(
        url: &str,
        replicas: bool,
        timeouts: Timeouts,
    ) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Dialect::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        if replicas && dialect == Dialect::Sqlite {
            return Err(StoreError::Unavailable(
                "replicas need a shared PostgreSQL database; an embedded SQLite file serves one agent-service process".into(),
            ));
        }
        let (pool, writer) = match dialect {
            Dialect::Sqlite => {
                if let Some(db) = sqlite_path(url) {
                    create_parent_dir(db)?;
                }
                let url = if url.contains('?') {
                    url.to_owned()
                } else {
                    format!("{url}?mode=rwc")
                };
                let pool = connect(&url, 8, dialect, timeouts).await?;
                SQLITE_MIGRATIONS.run(&pool).await?;
                // SQLite takes one writer at a time; writers queued on one connection
                // wait their turn in order instead of retrying in SQLite's busy handler,
                // whose growing sleeps (up to 100 ms) made the slow tail of every write.
                let writer = connect(&url, 1, dialect, timeouts).await?;
                (pool, writer)
            }
            Dialect::Postgres => {
                // Migrations may legitimately outlast the statement timeout: they run
                // on a connection of their own, without it.
                let mut migrating = AnyConnection::connect(url).await?;
                POSTGRES_MIGRATIONS.run(&mut migrating).await?;
                migrating.close().await?;
                let pool = connect(url, 16, dialect, timeouts).await?;
                (pool.clone(), pool)
            }
        };
        Ok(Self {
            group_commit: GroupCommit::start(
                writer.clone(),
                match dialect {
                    Dialect::Sqlite => 1,
                    Dialect::Postgres => POSTGRES_WRITERS,
                },
                Announce(replicas),
            ),
            pool,
            writer,
            dialect,
            announce: Announce(replicas),
        })
    }

    /// Whether stored events are announced to other replicas.
    pub(super) fn announce(&self) -> Announce {
        self.announce
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The connection pool (tests reach around the store with it).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool writes go through (transactions and single-statement writes).
    pub(super) fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// The writer that stores new tickets and chat messages in shared transactions.
    pub(super) fn group_commit(&self) -> &GroupCommit {
        &self.group_commit
    }

    /// Reports group-commit batch sizes to `metrics`.
    pub fn observe(&self, metrics: crate::metrics::AgentMetrics) {
        self.group_commit.observe(metrics);
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// A pool of up to `connections` to `url`, each connection set up for `dialect` (SQLite:
/// WAL mode with full fsync on commit) with the statement timeout, and callers waiting
/// at most the acquire timeout for one.
async fn connect(
    url: &str,
    connections: u32,
    dialect: Dialect,
    timeouts: Timeouts,
) -> Result<AnyPool, StoreError> {
    let settings = std::sync::Arc::new(timeouts.session_settings(dialect));
    Ok(AnyPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(timeouts.acquire)
        .after_connect(move |conn, _| {
            let settings = settings.clone();
            Box::pin(async move {
                for statement in settings.iter() {
                    sqlx::query(sqlx::AssertSqlSafe(statement.clone()))
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await?)
}

/// Creates the folder a SQLite file `db` lives in, if it has one.
pub(super) fn create_parent_dir(db: &str) -> Result<(), StoreError> {
    match Path::new(db).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(e.into()))
        }
        _ => Ok(()),
    }
}

/// The file path of a `sqlite://PATH[?…]` URL.
pub(super) fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

pub(super) fn corrupt(table: &'static str, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table,
        detail: detail.to_string(),
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn agent_from_row(row: &AnyRow) -> Result<Agent, StoreError> {
    let entrances = split_list(&row.try_get::<String, _>("entrances")?)
        .iter()
        .map(|e| Entrance::from_str(e))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| corrupt("agents", e))?;
    let presence: String = row.try_get("presence")?;
    Ok(Agent {
        profile: AgentProfile {
            agent_id: row.try_get("agent_id")?,
            work_number: row.try_get("work_number")?,
            display_name: row.try_get("display_name")?,
            skills: split_list(&row.try_get::<String, _>("skills")?),
            entrances,
            capacity: u32::try_from(row.try_get::<i64, _>("capacity")?)
                .map_err(|e| corrupt("agents", e))?,
        },
        presence: Presence::from_str(&presence).map_err(|e| corrupt("agents", e))?,
        presence_since: from_unix_millis(row.try_get("presence_since")?),
    })
}

const AGENT_COLUMNS: &str =
    "agent_id, work_number, display_name, skills, entrances, capacity, presence, presence_since";

#[async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn upsert_agent(&self, p: &AgentProfile, now: SystemTime) -> Result<Agent, StoreError> {
        let entrances: Vec<&str> = p.entrances.iter().map(|e| e.as_str()).collect();
        let result = sqlx::query(
            "INSERT INTO agents (agent_id, work_number, display_name, skills, entrances, capacity, presence, presence_since)
             VALUES ($1, $2, $3, $4, $5, $6, 'offline', $7)
             ON CONFLICT (agent_id) DO UPDATE SET
                work_number = excluded.work_number,
                display_name = excluded.display_name,
                skills = excluded.skills,
                entrances = excluded.entrances,
                capacity = excluded.capacity",
        )
        .bind(&p.agent_id)
        .bind(&p.work_number)
        .bind(&p.display_name)
        .bind(p.skills.join(","))
        .bind(entrances.join(","))
        .bind(i64::from(p.capacity))
        .bind(unix_millis(now))
        .execute(&self.writer)
        .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::Conflict(format!(
                    "work number {}",
                    p.work_number
                )));
            }
            other => other?,
        };
        self.agent(&p.agent_id)
            .await?
            .ok_or_else(|| corrupt("agents", "agent vanished after upsert"))
    }

    async fn agent(&self, agent_id: &str) -> Result<Option<Agent>, StoreError> {
        let sql = format!("SELECT {AGENT_COLUMNS} FROM agents WHERE agent_id = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(agent_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(agent_from_row)
            .transpose()
    }

    async fn agents(&self) -> Result<Vec<Agent>, StoreError> {
        let sql = format!("SELECT {AGENT_COLUMNS} FROM agents ORDER BY work_number");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(agent_from_row)
            .collect()
    }

    async fn set_presence(
        &self,
        agent_id: &str,
        presence: Presence,
        at: SystemTime,
    ) -> Result<Option<Agent>, StoreError> {
        sqlx::query(
            "UPDATE agents SET presence = $1, presence_since = $2
             WHERE agent_id = $3 AND presence <> $1",
        )
        .bind(presence.as_str())
        .bind(unix_millis(at))
        .bind(agent_id)
        .execute(&self.writer)
        .await?;
        self.agent(agent_id).await
    }
}

#[cfg(test)]
mod unit {
    use super::sqlite_path;

    #[test]
    fn sqlite_paths() {
        assert_eq!(sqlite_path("sqlite://data/agent.db"), Some("data/agent.db"));
        assert_eq!(
            sqlite_path("sqlite://data/a.db?mode=rwc"),
            Some("data/a.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }
}
