//! Throw-away databases for tests: a SQLite file in a temporary folder, or a fresh
//! database on the PostgreSQL server named by `HONEYDESK_TEST_POSTGRES_URL`.

use sqlx::{AnyConnection, Connection};

use super::{Dialect, SqlStore, StoreError};

/// The environment variable that names a PostgreSQL server for tests
/// (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).
pub const POSTGRES_ENV: &str = "HONEYDESK_TEST_POSTGRES_URL";

/// A migrated, empty store that lives as long as this value.
#[derive(Debug)]
pub struct TestDatabase {
    /// The store.
    pub store: SqlStore,
    /// The URL it was opened with (to reopen it, e.g. after a simulated restart).
    pub url: String,
    admin: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A SQLite database in a new temporary folder.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("agent.db").display());
        let store = SqlStore::open(&url).await.expect("open SQLite test store");
        Self {
            store,
            url,
            admin: None,
            _dir: Some(dir),
        }
    }

    /// A fresh database on the test PostgreSQL server, or `None` when none is configured.
    pub async fn postgres() -> Option<Self> {
        let base = std::env::var(POSTGRES_ENV).ok().filter(|s| !s.is_empty())?;
        sqlx::any::install_default_drivers();
        let name = format!("hd_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = AnyConnection::connect(&base)
            .await
            .expect("connect to the test PostgreSQL server");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        admin.close().await.ok();
        let url = replace_database(&base, &name);
        let store = SqlStore::open(&url)
            .await
            .expect("open PostgreSQL test store");
        Some(Self {
            store,
            url,
            admin: Some((base, name)),
            _dir: None,
        })
    }

    /// The configured kind of test database: PostgreSQL when requested by
    /// `HONEYDESK_TEST_STORE=postgres`, SQLite otherwise.
    pub async fn from_env() -> Self {
        if std::env::var("HONEYDESK_TEST_STORE").as_deref() == Ok("postgres") {
            return Self::postgres()
                .await
                .unwrap_or_else(|| panic!("HONEYDESK_TEST_STORE=postgres needs {POSTGRES_ENV}"));
        }
        Self::sqlite().await
    }

    /// Runs one raw SQL statement against the test database, going around the store
    /// (tests use it to tamper with rows the service would never change); the number of
    /// rows affected.
    pub async fn execute(&self, sql: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Which database this is, for statements that differ per dialect.
    pub fn dialect(&self) -> Dialect {
        self.store.dialect()
    }

    /// Makes a PostgreSQL test database refuse connections (terminating the open ones),
    /// or accept them again; says whether it could (false on SQLite, which has no server).
    pub async fn set_reachable(&self, reachable: bool) -> bool {
        let Some((base, name)) = &self.admin else {
            return false;
        };
        let mut admin = AnyConnection::connect(base)
            .await
            .expect("connect to the test PostgreSQL server");
        let allow = if reachable { "true" } else { "false" };
        let mut statements = vec![format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {allow}")];
        if !reachable {
            statements.push(format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            ));
        }
        for sql in statements {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut admin)
                .await
                .expect("change the test database's connection rule");
        }
        admin.close().await.ok();
        true
    }

    /// Holds the tickets table from a connection of its own, as an operator's migration
    /// or a stuck batch job would: on PostgreSQL `LOCK TABLE tickets IN ACCESS EXCLUSIVE
    /// MODE` (reads and writes of tickets wait), on SQLite a write transaction (every
    /// write waits). Held until [`TicketsLock::release`].
    pub async fn lock_tickets(&self) -> TicketsLock {
        let mut conn = AnyConnection::connect(&self.url)
            .await
            .expect("a second connection to the test database");
        let statements: &[&str] = match self.dialect() {
            Dialect::Sqlite => &["BEGIN IMMEDIATE"],
            Dialect::Postgres => &["BEGIN", "LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE"],
        };
        for sql in statements {
            sqlx::query(*sql)
                .execute(&mut conn)
                .await
                .expect("lock the tickets table");
        }
        TicketsLock {
            conn,
            dialect: self.dialect(),
        }
    }

    /// Closes the store and removes a PostgreSQL test database.
    pub async fn drop(self) {
        self.set_reachable(true).await;
        self.store.close().await;
        if let Some((base, name)) = self.admin
            && let Ok(mut admin) = AnyConnection::connect(&base).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await;
        }
    }
}

/// `base` with its database name replaced by `name`.
fn replace_database(base: &str, name: &str) -> String {
    let (without_query, query) = match base.split_once('?') {
        Some((u, q)) => (u, Some(q)),
        None => (base, None),
    };
    let prefix_end = without_query.find("://").map(|i| i + 3).unwrap_or(0);
    let url = match without_query[prefix_end..].find('/') {
        Some(slash) => format!("{}/{name}", &without_query[..prefix_end + slash]),
        None => format!("{without_query}/{name}"),
    };
    match query {
        Some(q) => format!("{url}?{q}"),
        None => url,
    }
}

/// The tickets table held by a test ([`TestDatabase::lock_tickets`]).
pub struct TicketsLock {
    conn: AnyConnection,
    dialect: Dialect,
}

impl TicketsLock {
    /// Waits until another connection waits for this lock (PostgreSQL shows its
    /// waiters; SQLite's wait in its busy handler unseen, so this gives the write a
    /// moment to reach it).
    pub async fn has_waiter(&mut self) {
        if self.dialect == Dialect::Sqlite {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            return;
        }
        for _ in 0..500 {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&mut self.conn)
            .await
            .expect("read pg_stat_activity");
            if waiting > 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("nothing waited for the tickets lock within 10 s");
    }

    /// Lets the waiting statements go.
    pub async fn release(mut self) {
        sqlx::query("ROLLBACK")
            .execute(&mut self.conn)
            .await
            .expect("release the tickets lock");
        self.conn.close().await.ok();
    }
}

#[cfg(test)]
mod unit {
    #[test]
    fn database_names_are_replaced() {
        assert_eq!(
            super::replace_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            super::replace_database("postgres://127.0.0.1?sslmode=disable", "x"),
            "postgres://127.0.0.1/x?sslmode=disable"
        );
    }
}
