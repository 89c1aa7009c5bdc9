//! Command-line pieces both binaries share: the `token` subcommand that mints a bearer
//! token for local use.

use std::time::Duration;

use crate::auth::{Hs256Tokens, Role, claims_for};

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
}

impl TokenArgs {
    /// The signed token.
    pub fn mint(&self, secret: &str) -> String {
        let claims = claims_for(
            &self.subject,
            self.role,
            Duration::from_secs(self.ttl_hours * 3600),
            self.phone.clone(),
        );
        Hs256Tokens::new(secret.as_bytes()).mint_claims(&claims)
    }
}
