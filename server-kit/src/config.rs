//! Loading a service's settings: a TOML file (optional) under `HONEYDESK_*` environment
//! variables under command-line flags. Each service declares its own settings struct;
//! this module reads the file with errors that name the offending key, and holds the
//! settings every server has.

use std::{net::SocketAddr, path::Path, time::Duration};

use serde::{Deserialize, de::DeserializeOwned};

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not TOML.
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// A key has a bad value or is unknown.
    #[error("config file {path}: key `{key}`: {message}")]
    Key {
        /// The file.
        path: String,
        /// Dotted path of the key.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// A value is out of range after all layers were applied.
    #[error("setting `{key}`: {message}")]
    Invalid {
        /// Dotted path of the key.
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

/// Reads `path` as TOML into `T`; `T::default()` when `path` is `None`.
pub fn load_file<T: DeserializeOwned + Default>(path: Option<&Path>) -> Result<T, ConfigError> {
    let Some(path) = path else {
        return Ok(T::default());
    };
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    parse(&text, &shown)
}

/// Parses TOML `text` (from `origin`, for messages) into `T`.
pub fn parse<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T, ConfigError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Syntax {
        path: origin.to_owned(),
        message: e.message().to_owned(),
    })?;
    serde_path_to_error::deserialize(table).map_err(|e| ConfigError::Key {
        path: origin.to_owned(),
        key: e.path().to_string(),
        message: e.into_inner().message().to_owned(),
    })
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// What every honeydesk server needs: where to listen, how to check tokens, how to log,
/// and how long to drain on shutdown. The `[server]` table of a service's config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on (port 0 picks a free port); unset means the service's
    /// default port.
    pub listen: Option<SocketAddr>,
    /// HS256 secret that signs and checks bearer tokens.
    pub jwt_secret: String,
    /// Log line format.
    pub log_format: LogFormat,
    /// How long in-flight calls may take to finish after a shutdown signal.
    pub drain_timeout_secs: u64,
    /// Application calls served at once before new ones get RESOURCE_EXHAUSTED.
    pub max_concurrent_requests: usize,
    /// Where Prometheus scrapes `GET /metrics` (port 0 picks a free port); unset means
    /// no metrics are recorded.
    pub metrics_listen: Option<SocketAddr>,
}

/// The development secret; the services warn when it is in use.
pub const DEV_JWT_SECRET: &str = "honeydesk-dev-secret-change-me";

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: None,
            jwt_secret: DEV_JWT_SECRET.to_owned(),
            log_format: LogFormat::Text,
            drain_timeout_secs: 10,
            max_concurrent_requests: 1024,
            metrics_listen: None,
        }
    }
}

impl ServerSettings {
    /// Default settings listening on `listen`.
    pub fn listening_on(listen: SocketAddr) -> Self {
        Self {
            listen: Some(listen),
            ..Self::default()
        }
    }

    /// Where to listen: the configured address, or `127.0.0.1:default_port`.
    pub fn listen_addr(&self, default_port: u16) -> SocketAddr {
        self.listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], default_port)))
    }

    /// Applies command-line / environment overrides.
    pub fn apply(&mut self, args: &ServerArgs) {
        if let Some(v) = args.listen {
            self.listen = Some(v);
        }
        if let Some(v) = &args.jwt_secret {
            self.jwt_secret = v.clone();
        }
        if let Some(v) = args.log_format {
            self.log_format = v;
        }
        if let Some(v) = args.drain_timeout_secs {
            self.drain_timeout_secs = v;
        }
        if let Some(v) = args.max_concurrent_requests {
            self.max_concurrent_requests = v;
        }
        if let Some(v) = args.metrics_listen {
            self.metrics_listen = Some(v);
        }
    }

    /// Range checks that the types alone do not express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.jwt_secret.len() < 16 {
            return Err(invalid("server.jwt_secret", "must be at least 16 bytes"));
        }
        if self.max_concurrent_requests == 0 {
            return Err(invalid(
                "server.max_concurrent_requests",
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// The drain limit as a duration.
    pub fn drain_timeout(&self) -> Duration {
        Duration::from_secs(self.drain_timeout_secs)
    }
}

/// An [`ConfigError::Invalid`] for `key`.
pub fn invalid(key: &str, message: &str) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        message: message.to_owned(),
    }
}

/// Command-line flags (and their environment variables) for [`ServerSettings`].
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on [env: HONEYDESK_LISTEN].
    #[arg(long, env = "HONEYDESK_LISTEN", hide_env = true)]
    pub listen: Option<SocketAddr>,
    /// HS256 token secret (at least 16 bytes).
    #[arg(long, env = "HONEYDESK_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Log format: text or json.
    #[arg(long, env = "HONEYDESK_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Seconds in-flight calls may take to finish on shutdown.
    #[arg(long, env = "HONEYDESK_DRAIN_TIMEOUT_SECS")]
    pub drain_timeout_secs: Option<u64>,
    /// Application calls served at once.
    #[arg(long, env = "HONEYDESK_MAX_CONCURRENT_REQUESTS")]
    pub max_concurrent_requests: Option<usize>,
    /// Address of the Prometheus metrics listener (`GET /metrics`); off when unset.
    #[arg(long, env = "HONEYDESK_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Sample {
        server: ServerSettings,
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = parse::<Sample>("[server]\nlisten = \"nowhere\"\n", "x.toml").unwrap_err();
        assert!(err.to_string().contains("key `server.listen`"), "{err}");
        let err = parse::<Sample>("[server]\nlistne = \"1.2.3.4:5\"\n", "x.toml").unwrap_err();
        assert!(err.to_string().contains("listne"), "{err}");
        let ok = parse::<Sample>("[server]\nlisten = \"127.0.0.1:7\"\n", "x.toml").unwrap();
        assert_eq!(ok.server.listen_addr(1).port(), 7);
        assert_eq!(ServerSettings::default().listen_addr(50051).port(), 50051);
        let on =
            parse::<Sample>("[server]\nmetrics_listen = \"127.0.0.1:9464\"\n", "x.toml").unwrap();
        assert_eq!(on.server.metrics_listen.map(|a| a.port()), Some(9464));
        assert_eq!(ServerSettings::default().metrics_listen, None);
    }
}
