//! The command line: one subcommand per mode plus `compare` and `echo-server`, the
//! shared load shape (`--connections --streams --duration --warmup`), where the
//! services are (given, or started here), and how to pin.

use std::{net::SocketAddr, time::Duration};

use clap::{Args, Parser, Subcommand};
use server_kit::config::DEV_JWT_SECRET;

use crate::{
    compare::{ComparePlan, SELECTABLE},
    runner::LoadSpec,
};

/// honeydesk's load generator and benchmark.
#[derive(Parser, Debug)]
#[command(version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
    /// Where servers and load run.
    #[command(flatten)]
    pub pin: PinArgs,
    /// The HS256 secret the services check tokens with.
    #[arg(long, global = true, env = "HONEYDESK_JWT_SECRET", default_value = DEV_JWT_SECRET, hide_default_value = true, hide_env_values = true)]
    pub jwt_secret: String,
    /// Keep the servers' logs and data (a temporary directory) even when all went well.
    #[arg(long, global = true)]
    pub keep_logs: bool,
}

/// CPU pinning.
#[derive(Args, Debug)]
pub struct PinArgs {
    /// The core the servers are pinned to.
    #[arg(long, global = true, default_value_t = 0)]
    pub server_core: usize,
    /// The core loadgen itself is pinned to.
    #[arg(long, global = true, default_value_t = 1)]
    pub load_core: usize,
    /// Pin nothing.
    #[arg(long, global = true)]
    pub no_pin: bool,
}

/// The modes.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// The anchor and every honeydesk path back to back, then the table of ratios.
    Compare(CompareArgs),
    /// Bare tonic echo (100-byte unary), against a server started here unless --target.
    Echo {
        /// An echo server already running (`loadgen echo-server`), as http://host:port.
        #[arg(long)]
        target: Option<String>,
        #[command(flatten)]
        #[allow(missing_docs)]
        load: LoadArgs,
    },
    /// IntentService/Classify with Chinese and English questions.
    Classify {
        #[command(flatten)]
        #[allow(missing_docs)]
        servers: ServersArgs,
        #[command(flatten)]
        #[allow(missing_docs)]
        load: LoadArgs,
    },
    /// ConversationService/SendMessage robot turns (a new session every 50 turns).
    Turn {
        #[command(flatten)]
        #[allow(missing_docs)]
        servers: ServersArgs,
        #[command(flatten)]
        #[allow(missing_docs)]
        load: LoadArgs,
    },
    /// Durable hand-offs: StartSession → problem → RequestAgent, timed together.
    Handoff {
        #[command(flatten)]
        #[allow(missing_docs)]
        servers: ServersArgs,
        #[command(flatten)]
        #[allow(missing_docs)]
        load: LoadArgs,
        /// Waiting tickets created (untimed) before measuring.
        #[arg(long, default_value_t = 0)]
        prefill: usize,
        /// Prefilled customers whose StreamSessionEvents stay open during the run.
        #[arg(long, default_value_t = 0)]
        watchers: usize,
    },
    /// Agent messages to customers' streams in live chats, one per chat per second.
    Relay {
        #[command(flatten)]
        #[allow(missing_docs)]
        servers: ServersArgs,
        #[command(flatten)]
        #[allow(missing_docs)]
        load: LoadArgs,
        /// Live chats.
        #[arg(long, default_value_t = 1000)]
        chats: usize,
        /// Chats per agent (1-50); ⌈chats/capacity⌉ agents are created.
        #[arg(long, default_value_t = 20)]
        capacity: u32,
    },
    /// Serve the bare echo service (started by the other modes; useful alone too).
    EchoServer {
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:50090")]
        listen: SocketAddr,
    },
}

/// The shape and length of the load.
#[derive(Args, Debug, Clone)]
pub struct LoadArgs {
    /// Connections (one tonic Channel each).
    #[arg(long, short = 'c', default_value_t = 1)]
    pub connections: usize,
    /// Concurrent streams per connection.
    #[arg(long, short = 's', default_value_t = 1)]
    pub streams: usize,
    /// Measured time, e.g. 10s, 500ms, 2m.
    #[arg(long, short = 'd', default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Warm-up before measuring, not counted.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,
}

impl LoadArgs {
    /// As a [`LoadSpec`].
    pub fn spec(&self) -> LoadSpec {
        LoadSpec {
            connections: self.connections.max(1),
            streams: self.streams.max(1),
            warmup: self.warmup,
            duration: self.duration,
        }
    }
}

/// Which honeydesk to load.
#[derive(Args, Debug, Clone)]
pub struct ServersArgs {
    /// A running bot-service (http://host:port); without it, a fresh pair is started.
    #[arg(long)]
    pub bot: Option<String>,
    /// The running agent-service that goes with --bot (relay needs it).
    #[arg(long, requires = "bot")]
    pub agent: Option<String>,
    /// Start agent-service on this PostgreSQL server, in its database honeydesk_loadgen
    /// (dropped and recreated; no other database is touched).
    #[arg(long, conflicts_with = "bot")]
    pub postgres: Option<String>,
}

/// `compare`'s options.
#[derive(Args, Debug, Clone)]
pub struct CompareArgs {
    /// Measured time of each row.
    #[arg(long, short = 'd', default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Warm-up of each row.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Only these project rows (comma-separated): classify, turn, handoff, handoff-pg,
    /// relay. The echo anchor always runs.
    #[arg(long, value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(SELECTABLE))]
    pub only: Vec<String>,
    /// PostgreSQL server for the handoff-pg rows: its database honeydesk_loadgen is
    /// dropped and recreated for each row; no other database is touched.
    #[arg(long, env = "HONEYDESK_TEST_POSTGRES_URL")]
    pub postgres: Option<String>,
    /// Waiting tickets in the second hand-off row.
    #[arg(long, default_value_t = 10_000)]
    pub prefill: usize,
    /// Queued customers watching their position in the second hand-off row.
    #[arg(long, default_value_t = 1_000)]
    pub watchers: usize,
    /// Live chats in the relay row.
    #[arg(long, default_value_t = 1_000)]
    pub chats: usize,
}

impl CompareArgs {
    /// As a [`ComparePlan`].
    pub fn plan(&self, keep_logs: bool) -> ComparePlan {
        ComparePlan {
            duration: self.duration,
            warmup: self.warmup,
            only: self.only.clone(),
            postgres: self.postgres.clone(),
            prefill: self.prefill,
            watchers: self.watchers.min(self.prefill),
            chats: self.chats,
            keep_logs,
        }
    }
}

/// `10s`, `500ms`, `2m`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration like 10s, 500ms or 2m"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1e3,
        "m" | "min" => value * 60.0,
        other => return Err(format!("unknown unit '{other}' (use ms, s or m)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("'{text}': {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5h").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
