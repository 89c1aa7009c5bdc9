//! Command-line pieces both binaries share: the `token` subcommand that mints a bearer
//! token, with the development secret or with a private key file.

use std::{path::PathBuf, time::Duration};

use crate::{auth::Role, config::ServerSettings, keys::KeyError};

/// `token`: mint a bearer token signed with the configured secret.
#[derive(Clone, Debug, clap::Args)]
pub struct TokenArgs {
    /// The role: consumer, merchant, agent, supervisor or service.
    #[arg(long)]
    pub role: Role,
    /// The user, agent or service id the token speaks for.
    #[arg(long)]
    pub subject: String,
    /// How long the token is valid, in hours.
    #[arg(long, default_value_t = 24)]
    pub ttl_hours: u64,
    /// The user's own mobile number (used by the phone top-up task).
    #[arg(long)]
    pub phone: Option<String>,
    /// Sign with this private key (Ed25519 PKCS#8 or RSA, PEM) instead of the HS256
    /// secret; its public half must be in the verifying services' JWKS file.
    #[arg(long, requires = "key_id")]
    pub key: Option<PathBuf>,
    /// The key's id (`kid`) in the JWKS file.
    #[arg(long, requires = "key")]
    pub key_id: Option<String>,
}

impl TokenArgs {
    /// The signed token, under `server`'s issuer, audience and secret.
    pub fn mint(&self, server: &ServerSettings) -> Result<String, KeyError> {
        let key = self.key.as_deref().zip(self.key_id.as_deref());
        Ok(server.minter(key)?.mint_for(
            &self.subject,
            self.role,
            Duration::from_secs(self.ttl_hours * 3600),
            self.phone.clone(),
        ))
    }
}
