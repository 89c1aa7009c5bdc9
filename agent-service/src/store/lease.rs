//! The routing lock among replicas: a PostgreSQL session-level advisory lock held on a
//! dedicated connection. Whoever holds it routes; PostgreSQL lets go of it the moment
//! that connection ends (a crash, a kill, a network cut), so a survivor can take it at
//! its next try. PostgreSQL's own lock is used rather than anything home-made.

use std::time::Duration;

use sqlx::{Connection, postgres::PgConnection};

/// The lock's key: "honeydesk routing" in the advisory-lock space.
const ROUTING_KEY: i64 = 0x686f_6e65_7964_6b01;

/// How long connecting or asking may take before the try counts as a failure.
const ROUND_TRIP_LIMIT: Duration = Duration::from_secs(2);

/// One replica's claim on the routing lock.
pub struct Lease {
    url: String,
    conn: Option<PgConnection>,
    held: bool,
}

impl Lease {
    /// A claim on the database at `url`, not yet tried.
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            conn: None,
            held: false,
        }
    }

    /// Whether this replica holds the lock now: takes it when free, and checks that the
    /// connection holding it is still alive. A dead connection means the lock is lost.
    pub async fn renew(&mut self) -> bool {
        match tokio::time::timeout(ROUND_TRIP_LIMIT, self.try_renew()).await {
            Ok(Ok(held)) => self.held = held,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "routing lock: cannot reach PostgreSQL");
                self.lose();
            }
            Err(_) => {
                tracing::warn!("routing lock: PostgreSQL did not answer in time");
                self.lose();
            }
        }
        self.held
    }

    fn lose(&mut self) {
        self.conn = None;
        self.held = false;
    }

    async fn try_renew(&mut self) -> Result<bool, sqlx::Error> {
        if self.conn.is_none() {
            self.conn = Some(PgConnection::connect(&self.url).await?);
            self.held = false;
        }
        let conn = self.conn.as_mut().expect("connected above");
        if self.held {
            sqlx::query("SELECT 1").execute(&mut *conn).await?;
            return Ok(true);
        }
        sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(ROUTING_KEY)
            .fetch_one(conn)
            .await
    }
}
