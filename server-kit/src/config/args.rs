//! Command-line flags (and their `HONEYDESK_*` environment variables) for the
//! `[server]` settings; they override the file.

use std::{net::SocketAddr, path::PathBuf};

use super::LogFormat;

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
    /// Seconds an application call may take before DEADLINE_EXCEEDED (streams: to open).
    #[arg(long, env = "HONEYDESK_UNARY_TIMEOUT_SECS")]
    pub unary_timeout_secs: Option<u64>,
    /// Application calls served at once.
    #[arg(long, env = "HONEYDESK_MAX_CONCURRENT_REQUESTS")]
    pub max_concurrent_requests: Option<usize>,
    /// Calls per minute from one address whose token is not already known (0 = no limit).
    #[arg(long, env = "HONEYDESK_UNKNOWN_TOKENS_PER_MINUTE")]
    pub unknown_tokens_per_minute: Option<u32>,
    /// Calls per minute one caller may make, `service` callers exempt (0 = no limit).
    #[arg(long, env = "HONEYDESK_CALLS_PER_CALLER_PER_MINUTE")]
    pub calls_per_caller_per_minute: Option<u32>,
    /// Address of the Prometheus metrics listener (`GET /metrics`); off when unset.
    #[arg(long, env = "HONEYDESK_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// TLS certificate chain (PEM) of this server.
    #[arg(long, env = "HONEYDESK_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) of the TLS certificate.
    #[arg(long, env = "HONEYDESK_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// CA (PEM) whose client certificates may connect (mutual TLS).
    #[arg(long, env = "HONEYDESK_TLS_CLIENT_CA")]
    pub tls_client_ca: Option<PathBuf>,
    /// Allow a non-loopback listener with the development secret or without TLS.
    #[arg(long, env = "HONEYDESK_INSECURE_DEV")]
    pub insecure_dev: bool,
    /// JWKS file of the public keys that sign tokens (EdDSA / RS256, by kid).
    #[arg(long, env = "HONEYDESK_JWKS_FILE")]
    pub jwks_file: Option<PathBuf>,
    /// The issuer (`iss`) every token must carry.
    #[arg(long, env = "HONEYDESK_TOKEN_ISSUER")]
    pub token_issuer: Option<String>,
    /// The audience (`aud`) every token must carry.
    #[arg(long, env = "HONEYDESK_TOKEN_AUDIENCE")]
    pub token_audience: Option<String>,
    /// The longest accepted token lifetime, in seconds.
    #[arg(long, env = "HONEYDESK_MAX_TOKEN_LIFETIME_SECS")]
    pub max_token_lifetime_secs: Option<u64>,
}
