//! Bearer tokens for the load: minted with server-kit's HS256 helper and the secret the
//! services run with (the development secret unless told otherwise), and requests that
//! carry them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use server_kit::{Hs256Tokens, Role};
use tonic::{Request, metadata::MetadataValue};

/// The `authorization` value of one caller.
pub type Bearer = MetadataValue<tonic::metadata::Ascii>;

/// Mints tokens for the load's callers.
#[derive(Clone)]
pub struct Tokens {
    signer: std::sync::Arc<Hs256Tokens>,
    /// Prefix of every subject this run invents, so runs against a long-lived server
    /// never reuse a customer or an agent.
    pub run: String,
}

impl Tokens {
    /// Tokens signed with `secret`.
    pub fn new(secret: &str) -> Self {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        Self {
            signer: std::sync::Arc::new(Hs256Tokens::new(secret.as_bytes())),
            run: format!("lg{:x}", millis % 0xff_ffff_ffff),
        }
    }

    /// The bearer value of `subject` acting as `role` (valid for a day).
    pub fn bearer(&self, subject: &str, role: Role) -> Bearer {
        let token = self
            .signer
            .mint(subject, role, Duration::from_secs(24 * 3600));
        format!("Bearer {token}")
            .parse()
            .expect("a JWT is valid ASCII metadata")
    }
}

/// `message` with `bearer` in its `authorization` metadata.
pub fn authed<T>(message: T, bearer: &Bearer) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert(server_kit::auth::AUTHORIZATION, bearer.clone());
    request
}
