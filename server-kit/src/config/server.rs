//! The `[server]` table every honeydesk server has: listening, tokens, TLS, logs, drain,
//! limits; and the refusal to expose the development secret or plaintext beyond
//! loopback.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use serde::Deserialize;

use super::{ConfigError, LogFormat, ServerArgs, invalid};

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
    /// The longest an application call may take to be answered (a server stream: to
    /// open) before it gets DEADLINE_EXCEEDED; a caller's shorter `grpc-timeout` wins.
    pub unary_timeout_secs: u64,
    /// Application calls in flight plus open streams (a stream counts until it ends)
    /// before new calls get RESOURCE_EXHAUSTED.
    pub max_concurrent_requests: usize,
    /// Calls per minute from one peer address whose token is not already known (new,
    /// invalid or missing); 0 = no limit.
    pub unknown_tokens_per_minute: u32,
    /// Calls per minute one caller (token subject) may make, `service` callers exempt;
    /// 0 = no limit.
    pub calls_per_caller_per_minute: u32,
    /// Where Prometheus scrapes `GET /metrics` (port 0 picks a free port); unset means
    /// no metrics are recorded.
    pub metrics_listen: Option<SocketAddr>,
    /// The server's TLS certificate chain (PEM); with `tls_key`, the port speaks TLS.
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// A CA (PEM): only clients presenting a certificate it signed may connect (mTLS).
    pub tls_client_ca: Option<PathBuf>,
    /// Start even when listening beyond loopback with the development token secret or
    /// without TLS (a deliberate, local experiment; never in production).
    pub insecure_dev: bool,
    /// A JWKS file of public keys (EdDSA or RS256, by `kid`): when set, only tokens
    /// signed by those keys are accepted (HS256 with `jwt_secret` is for development).
    pub jwks_file: Option<PathBuf>,
    /// The `iss` every token must carry.
    pub token_issuer: String,
    /// The `aud` every token must carry.
    pub token_audience: String,
    /// The longest accepted token lifetime (`exp - iat`), in seconds.
    pub max_token_lifetime_secs: u64,
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
            unary_timeout_secs: 30,
            // Every live chat holds a stream on each side: a surge of thousands of
            // conversations per replica must fit, a flood of millions must not.
            max_concurrent_requests: 10_000,
            unknown_tokens_per_minute: crate::token_cache::UNKNOWN_TOKENS,
            calls_per_caller_per_minute: crate::token_cache::CALLS_PER_CALLER,
            metrics_listen: None,
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
            insecure_dev: false,
            jwks_file: None,
            token_issuer: crate::auth::DEFAULT_ISSUER.to_owned(),
            token_audience: crate::auth::DEFAULT_AUDIENCE.to_owned(),
            max_token_lifetime_secs: 7 * 24 * 3600,
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
        if let Some(v) = args.unary_timeout_secs {
            self.unary_timeout_secs = v;
        }
        if let Some(v) = args.max_concurrent_requests {
            self.max_concurrent_requests = v;
        }
        if let Some(v) = args.unknown_tokens_per_minute {
            self.unknown_tokens_per_minute = v;
        }
        if let Some(v) = args.calls_per_caller_per_minute {
            self.calls_per_caller_per_minute = v;
        }
        if let Some(v) = args.metrics_listen {
            self.metrics_listen = Some(v);
        }
        for (to, from) in [
            (&mut self.tls_cert, &args.tls_cert),
            (&mut self.tls_key, &args.tls_key),
            (&mut self.tls_client_ca, &args.tls_client_ca),
        ] {
            if let Some(v) = from {
                *to = Some(v.clone());
            }
        }
        self.insecure_dev |= args.insecure_dev;
        if let Some(v) = &args.jwks_file {
            self.jwks_file = Some(v.clone());
        }
        if let Some(v) = &args.token_issuer {
            self.token_issuer = v.clone();
        }
        if let Some(v) = &args.token_audience {
            self.token_audience = v.clone();
        }
        if let Some(v) = args.max_token_lifetime_secs {
            self.max_token_lifetime_secs = v;
        }
    }

    /// What every token must satisfy: issuer, audience, maximum lifetime.
    pub fn token_rules(&self) -> crate::auth::TokenRules {
        crate::auth::TokenRules {
            issuer: self.token_issuer.clone(),
            audience: self.token_audience.clone(),
            max_lifetime: Duration::from_secs(self.max_token_lifetime_secs),
        }
    }

    /// How this service signs tokens: with the private key at `key` (its `kid` the
    /// second item) when given, else HS256 with `jwt_secret`.
    pub fn minter(
        &self,
        key: Option<(&std::path::Path, &str)>,
    ) -> Result<std::sync::Arc<dyn crate::auth::Minter>, crate::keys::KeyError> {
        Ok(match key {
            Some((path, kid)) => std::sync::Arc::new(crate::keys::KeyTokens::from_pem_file(
                path,
                kid,
                self.token_rules(),
            )?),
            None => std::sync::Arc::new(
                crate::auth::Hs256Tokens::new(self.jwt_secret.as_bytes())
                    .with_rules(self.token_rules()),
            ),
        })
    }

    /// How this server checks tokens: the JWKS file's public keys when one is set,
    /// else HS256 with `jwt_secret`; tokens that pass are remembered until they expire,
    /// calls with unknown tokens are limited per address and calls per caller, on
    /// `clock`
    /// ([`crate::token_cache`]).
    pub fn verifier(
        &self,
        clock: crate::clock::SharedClock,
    ) -> Result<std::sync::Arc<dyn crate::auth::TokenVerifier>, crate::keys::KeyError> {
        let checked: std::sync::Arc<dyn crate::auth::TokenVerifier> = match &self.jwks_file {
            Some(path) => std::sync::Arc::new(crate::keys::JwksVerifier::from_file(
                path,
                self.token_rules(),
            )?),
            None => std::sync::Arc::new(
                crate::auth::Hs256Tokens::new(self.jwt_secret.as_bytes())
                    .with_rules(self.token_rules()),
            ),
        };
        Ok(std::sync::Arc::new(
            crate::token_cache::CachedVerifier::new(checked)
                .with_unknown_limit(self.unknown_tokens_per_minute, clock.clone())
                .with_caller_limit(self.calls_per_caller_per_minute, clock),
        ))
    }

    /// The listener's TLS, read from the PEM files; `None` for plaintext.
    pub fn tls(&self) -> Result<Option<tonic::transport::ServerTlsConfig>, crate::tls::TlsError> {
        crate::tls::server_config(
            self.tls_cert.as_deref(),
            self.tls_key.as_deref(),
            self.tls_client_ca.as_deref(),
        )
    }

    /// Refuses a listener beyond loopback that anyone could mint tokens for (the
    /// development secret is in the source) or that sends tokens and conversations in
    /// clear, unless `insecure_dev` says it is deliberate.
    fn check_exposure(&self) -> Result<(), ConfigError> {
        let Some(addr) = self.listen.filter(|a| !a.ip().is_loopback()) else {
            return Ok(());
        };
        if self.insecure_dev {
            return Ok(());
        }
        if self.jwt_secret == DEV_JWT_SECRET && self.jwks_file.is_none() {
            return Err(invalid(
                "server.jwt_secret",
                &format!(
                    "is the development secret, which anyone can read in the source, and {addr} is not a loopback address: set HONEYDESK_JWT_SECRET (or pass --insecure-dev to run like this on purpose)"
                ),
            ));
        }
        if self.tls_cert.is_none() {
            return Err(invalid(
                "server.tls_cert",
                &format!(
                    "{addr} is not a loopback address and TLS is off, so tokens and conversations would cross the network in clear: set --tls-cert and --tls-key (or pass --insecure-dev to run like this on purpose)"
                ),
            ));
        }
        Ok(())
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
        if !(1..=3600).contains(&self.unary_timeout_secs) {
            return Err(invalid("server.unary_timeout_secs", "must be 1-3600"));
        }
        if self.token_issuer.is_empty() || self.token_audience.is_empty() {
            return Err(invalid(
                "server.token_issuer",
                "token_issuer and token_audience must not be empty",
            ));
        }
        if self.max_token_lifetime_secs == 0 {
            return Err(invalid(
                "server.max_token_lifetime_secs",
                "must be at least 1",
            ));
        }
        self.check_exposure()
    }

    /// The drain limit as a duration.
    pub fn drain_timeout(&self) -> Duration {
        Duration::from_secs(self.drain_timeout_secs)
    }

    /// The server-side deadline of application calls as a duration.
    pub fn unary_timeout(&self) -> Duration {
        Duration::from_secs(self.unary_timeout_secs)
    }
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
        let err = super::super::parse::<Sample>("[server]\nlisten = \"nowhere\"\n", "x.toml")
            .unwrap_err();
        assert!(err.to_string().contains("key `server.listen`"), "{err}");
        let err = super::super::parse::<Sample>("[server]\nlistne = \"1.2.3.4:5\"\n", "x.toml")
            .unwrap_err();
        assert!(err.to_string().contains("listne"), "{err}");
        let ok = super::super::parse::<Sample>("[server]\nlisten = \"127.0.0.1:7\"\n", "x.toml")
            .unwrap();
        assert_eq!(ok.server.listen_addr(1).port(), 7);
        assert_eq!(ServerSettings::default().listen_addr(50051).port(), 50051);
        let on = super::super::parse::<Sample>(
            "[server]\nmetrics_listen = \"127.0.0.1:9464\"\n",
            "x.toml",
        )
        .unwrap();
        assert_eq!(on.server.metrics_listen.map(|a| a.port()), Some(9464));
        assert_eq!(ServerSettings::default().metrics_listen, None);
    }

    #[test]
    fn beyond_loopback_the_dev_secret_and_plaintext_are_refused_unless_insecure_dev() {
        let exposed = ServerSettings::listening_on(([0, 0, 0, 0], 50052).into());
        let err = exposed.validate().unwrap_err().to_string();
        assert!(
            err.contains("server.jwt_secret") && err.contains("development secret"),
            "{err}"
        );
        let secret = ServerSettings {
            jwt_secret: "a-production-secret-0123456789".into(),
            ..exposed.clone()
        };
        let err = secret.validate().unwrap_err().to_string();
        assert!(
            err.contains("server.tls_cert") && err.contains("in clear"),
            "{err}"
        );
        let tls = ServerSettings {
            tls_cert: Some("cert.pem".into()),
            tls_key: Some("key.pem".into()),
            ..secret
        };
        tls.validate().unwrap();
        let deliberate = ServerSettings {
            insecure_dev: true,
            ..exposed
        };
        deliberate.validate().unwrap();
        ServerSettings::listening_on(([127, 0, 0, 1], 0).into())
            .validate()
            .unwrap();
    }
}
