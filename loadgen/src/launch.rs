//! Starting what is measured: the bare echo server (`loadgen echo-server`) or the
//! honeydesk pair (the release `agent-service` and `bot-service` next to loadgen), as
//! pinned child processes on free ports with a fresh temporary directory (SQLite file,
//! logs) or a freshly reset PostgreSQL database, ready once gRPC health says SERVING.

use std::{ffi::OsString, time::Duration};

use anyhow::Context;
use sqlx::Connection;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::{
    modes::echo,
    runner::connect,
    spawn::{Pinning, Server, free_addr, sibling},
};

/// The database loadgen owns on a PostgreSQL server, dropped and recreated every run.
pub const PG_DATABASE: &str = "honeydesk_loadgen";

/// How long a server may take to become ready.
const READY_LIMIT: Duration = Duration::from_secs(60);

/// Where agent-service keeps its tickets.
#[derive(Clone, Debug)]
pub enum Store {
    /// A new SQLite file in the run's temporary directory.
    Sqlite,
    /// The database [`PG_DATABASE`] on the server of this URL, reset first.
    Postgres(String),
}

/// Where the started servers listen.
#[derive(Clone, Debug)]
pub struct Urls {
    /// bot-service (or the echo server) as `http://addr`.
    pub bot_url: String,
    /// agent-service as `http://addr` (empty for the echo server).
    pub agent_url: String,
}

/// Servers started for one benchmark row; stopped (and their directory removed, unless
/// kept) when dropped.
pub struct Running {
    /// bot-service (or the echo server) as `http://addr`.
    pub bot_url: String,
    /// agent-service as `http://addr` (empty for the echo server).
    pub agent_url: String,
    servers: Vec<Server>,
    dir: Option<tempfile::TempDir>,
    keep: bool,
    /// Warnings that the service binaries were older than their sources at start.
    pub stale: Vec<String>,
}

/// Both services' flood guards, off: every benchmark customer is a new token from
/// 127.0.0.1 and sends as fast as it can.
const FLOOD_GUARDS_OFF: [&str; 4] = [
    "--unknown-tokens-per-minute",
    "0",
    "--calls-per-caller-per-minute",
    "0",
];

impl Running {
    /// Starts `loadgen echo-server` on a free port.
    pub async fn echo(pinning: &Pinning) -> anyhow::Result<Self> {
        let dir = run_dir()?;
        let addr = free_addr()?;
        let exe = std::env::current_exe()?;
        let args: Vec<OsString> = vec![
            "echo-server".into(),
            "--listen".into(),
            addr.to_string().into(),
        ];
        let mut server = Server::start(
            "echo-server",
            &exe,
            &args,
            &[],
            pinning.server_core,
            dir.path(),
        )?;
        let url = format!("http://{addr}");
        server
            .wait_ready(READY_LIMIT, || async {
                echo::echo_once(connect(&url).await?, b"ready".to_vec()).await?;
                Ok(())
            })
            .await?;
        Ok(Self {
            bot_url: url,
            agent_url: String::new(),
            servers: vec![server],
            dir: Some(dir),
            keep: false,
            stale: Vec::new(),
        })
    }

    /// Starts agent-service on `store`, then bot-service pointing at it.
    pub async fn project(
        pinning: &Pinning,
        store: &Store,
        offer_timeout_secs: Option<u64>,
    ) -> anyhow::Result<Self> {
        // Judged before starting: a source edited during the run does not make it stale.
        let stale = crate::freshness::stale_binaries();
        let dir = run_dir()?;
        let database_url = match store {
            Store::Sqlite => format!("sqlite://{}", dir.path().join("agent.db").display()),
            Store::Postgres(admin) => reset_postgres(admin).await?,
        };
        crate::cpu::count_postgres(matches!(store, Store::Postgres(_)));
        let (agent_addr, bot_addr) = (free_addr()?, free_addr()?);
        let mut agent_args: Vec<OsString> = vec![
            "--listen".into(),
            agent_addr.to_string().into(),
            "--database-url".into(),
            database_url.into(),
        ];
        agent_args.extend(FLOOD_GUARDS_OFF.map(OsString::from));
        if let Some(secs) = offer_timeout_secs {
            agent_args.extend(["--offer-timeout-secs".into(), secs.to_string().into()]);
        }
        let mut agent = Server::start(
            "agent-service",
            &sibling("agent-service")?,
            &agent_args,
            &[],
            pinning.server_core,
            dir.path(),
        )?;
        let agent_url = format!("http://{agent_addr}");
        wait_serving(
            &mut agent,
            &agent_url,
            "honeydesk.agent.v1.SupervisorService",
        )
        .await?;
        let mut bot_args: Vec<OsString> = vec![
            "--listen".into(),
            bot_addr.to_string().into(),
            "--agent-url".into(),
            agent_url.clone().into(),
            // The turn mode sends its 50 turns per session as fast as it can: the
            // per-session message limit (a flood guard) is off for the benchmark.
            "--limit-messages-per-second".into(),
            "0".into(),
        ];
        bot_args.extend(FLOOD_GUARDS_OFF.map(OsString::from));
        let mut bot = Server::start(
            "bot-service",
            &sibling("bot-service")?,
            &bot_args,
            &[],
            pinning.server_core,
            dir.path(),
        )?;
        let bot_url = format!("http://{bot_addr}");
        wait_serving(&mut bot, &bot_url, "honeydesk.bot.v1.ConversationService").await?;
        Ok(Self {
            bot_url,
            agent_url,
            servers: vec![bot, agent],
            dir: Some(dir),
            keep: false,
            stale,
        })
    }

    /// Their addresses.
    pub fn urls(&self) -> Urls {
        Urls {
            bot_url: self.bot_url.clone(),
            agent_url: self.agent_url.clone(),
        }
    }

    /// Keeps the directory (logs, database) after the servers stop, and says where.
    pub fn keep(&mut self) {
        self.keep = true;
    }

    /// An error naming any server that died while it was being measured.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        for server in &mut self.servers {
            if !server.alive() {
                self.keep = true;
                anyhow::bail!(
                    "{} died during the run:\n{}",
                    server.name(),
                    server.log_tail()
                );
            }
        }
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.servers.clear();
        if let Some(dir) = self.dir.take()
            && self.keep
        {
            eprintln!("logs kept in {}", dir.keep().display());
        }
    }
}

fn run_dir() -> anyhow::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("loadgen-")
        .tempdir()
        .context("creating a temporary directory")
}

async fn wait_serving(server: &mut Server, url: &str, service: &str) -> anyhow::Result<()> {
    server
        .wait_ready(READY_LIMIT, || async {
            let mut health = HealthClient::new(connect(url).await?);
            let request = HealthCheckRequest {
                service: service.to_owned(),
            };
            let status = health.check(request).await?.into_inner().status();
            anyhow::ensure!(status == ServingStatus::Serving, "health says {status:?}");
            Ok(())
        })
        .await
}

/// Drops and recreates [`PG_DATABASE`] on the server of `admin_url` (no other database is
/// touched) and returns the URL of the fresh database.
pub async fn reset_postgres(admin_url: &str) -> anyhow::Result<String> {
    let target = with_database(admin_url, PG_DATABASE);
    anyhow::ensure!(
        target != admin_url,
        "give a PostgreSQL URL of another database than {PG_DATABASE} (it is dropped every run)"
    );
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .with_context(|| format!("connecting to {admin_url}"))?;
    sqlx::query("DROP DATABASE IF EXISTS honeydesk_loadgen WITH (FORCE)")
        .execute(&mut conn)
        .await
        .context("dropping the previous loadgen database")?;
    sqlx::query("CREATE DATABASE honeydesk_loadgen")
        .execute(&mut conn)
        .await
        .context("creating the loadgen database")?;
    conn.close().await.ok();
    Ok(target)
}

/// `url` with its database (path) replaced by `database`, query kept.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_of_a_url_is_replaced_and_nothing_else() {
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5432/test", "x"),
            "postgres://u@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://localhost?sslmode=disable", "x"),
            "postgres://localhost/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres:///db", "x"), "postgres:///x");
    }
}
