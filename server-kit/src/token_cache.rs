//! Remembers tokens already verified, so a client that sends the same bearer token on
//! every call (all of them do) pays for the signature check and the JSON once, not per
//! call: verification was ~8% of a bot turn's CPU. An entry is the exact token string
//! (so only the very token that passed is accepted) and is honoured only until the
//! token's own `exp` (with the same 5 s leeway the check allows); the cache holds at most
//! [`CAPACITY`] tokens and starts afresh when full. Refusals are never cached: a bad
//! token is checked, and refused, every time.
//!
//! Calls whose token is not already known here (new, forged, expired, or none at all)
//! are also limited per peer address ([`UNKNOWN_TOKENS`] per minute): a flood of
//! garbage from one address is answered RESOURCE_EXHAUSTED after a hash lookup, without
//! a signature check each, while known tokens from the same address (every user behind
//! one NAT who has called before) pass as usual. And each caller (a token's subject)
//! may make [`CALLS_PER_CALLER`] calls a minute, whatever it calls; `service` callers
//! (bot-service speaking for every customer) are exempt. A service's finer limits
//! (bot-service's messages per session) come on top.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

use crate::{
    auth::{AuthError, Caller, TokenVerifier},
    limits::KeyedLimit,
};

/// Most tokens remembered at once (one per active user or service on a replica).
pub const CAPACITY: usize = 16_384;

/// Seconds past `exp` a token is still accepted (as in the full check).
const LEEWAY_SECS: u64 = 5;

/// Calls with a token not already known, per peer address per minute, by default.
pub const UNKNOWN_TOKENS: u32 = 600;

/// Calls per caller (token subject) per minute, by default: twenty a second sustained,
/// far beyond a person at a desk or a phone, well short of a script.
pub const CALLS_PER_CALLER: u32 = 1_200;

/// A [`TokenVerifier`] that remembers what `inner` accepted until each token expires.
pub struct CachedVerifier {
    inner: Arc<dyn TokenVerifier>,
    /// Tokens that passed, with their callers (each carries its token's `exp`).
    accepted: Mutex<HashMap<Box<str>, Caller>>,
    unknown_per_address: Option<KeyedLimit>,
    per_caller: Option<KeyedLimit>,
}

impl CachedVerifier {
    /// `inner`, remembered.
    pub fn new(inner: Arc<dyn TokenVerifier>) -> Self {
        Self {
            inner,
            accepted: Mutex::new(HashMap::new()),
            unknown_per_address: None,
            per_caller: None,
        }
    }

    /// The same, allowing each caller but `service` ones `limit` calls a minute (0 = no
    /// limit).
    pub fn with_caller_limit(mut self, limit: u32, clock: crate::clock::SharedClock) -> Self {
        self.per_caller = Some(per_minute("calls per caller", limit, clock));
        self
    }

    /// The same, allowing each peer address `limit` calls a minute whose token is not
    /// already known (0 = no limit).
    pub fn with_unknown_limit(mut self, limit: u32, clock: crate::clock::SharedClock) -> Self {
        self.unknown_per_address = Some(per_minute(
            "calls with a new or invalid token per address",
            limit,
            clock,
        ));
        self
    }

    /// The caller of a token already verified and not yet expired.
    fn known(&self, token: &str) -> Option<Caller> {
        let now = unix_now();
        self.lock()
            .get(token)
            .filter(|caller| now <= caller.expires_at.saturating_add(LEEWAY_SECS))
            .cloned()
    }

    /// The full check of a token not [`Self::known`], remembering it when it passes.
    fn check_and_remember(&self, token: &str) -> Result<Caller, AuthError> {
        let caller = self.inner.verify(token)?;
        let mut accepted = self.lock();
        if accepted.len() >= CAPACITY {
            accepted.clear();
        }
        accepted.insert(token.into(), caller.clone());
        Ok(caller)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Caller>> {
        // A panic elsewhere while holding the lock leaves a map that is still valid.
        self.accepted.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A limit of `rate` a minute per key, all of it usable at once.
fn per_minute(what: &'static str, rate: u32, clock: crate::clock::SharedClock) -> KeyedLimit {
    KeyedLimit::new(what, rate, std::time::Duration::from_secs(60), rate, clock)
}

impl TokenVerifier for CachedVerifier {
    fn verify_call(
        &self,
        token: Result<&str, AuthError>,
        peer: Option<std::net::IpAddr>,
    ) -> Result<Caller, tonic::Status> {
        let known = token.as_ref().ok().and_then(|t| self.known(t));
        let caller = match known {
            Some(caller) => caller,
            None => {
                if let (Some(limit), Some(peer)) = (&self.unknown_per_address, peer) {
                    limit.check(&peer.to_string())?;
                }
                self.check_and_remember(token?)?
            }
        };
        if let Some(limit) = &self.per_caller
            && caller.role != crate::auth::Role::Service
        {
            limit.check(&caller.subject)?;
        }
        Ok(caller)
    }

    fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        match self.known(token) {
            Some(caller) => Ok(caller),
            None => self.check_and_remember(token),
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

#[cfg(test)]
mod tests {
    use std::{
        sync::atomic::{AtomicUsize, Ordering},
        time::Duration,
    };

    use super::*;
    use crate::auth::{Claims, Hs256Tokens, Role, claims_for};

    /// Counts the full checks it is asked for.
    struct Counting {
        tokens: Hs256Tokens,
        checks: AtomicUsize,
    }

    impl TokenVerifier for Counting {
        fn verify(&self, token: &str) -> Result<Caller, AuthError> {
            self.checks.fetch_add(1, Ordering::SeqCst);
            self.tokens.verify(token)
        }
    }

    fn cached() -> (Arc<Counting>, CachedVerifier, Hs256Tokens) {
        let tokens = Hs256Tokens::new(b"secret");
        let counting = Arc::new(Counting {
            tokens: tokens.clone(),
            checks: AtomicUsize::new(0),
        });
        let verifier = CachedVerifier::new(counting.clone());
        (counting, verifier, tokens)
    }

    #[test]
    fn a_token_is_checked_once_then_remembered() {
        let (counting, verifier, tokens) = cached();
        let token = tokens.mint("u-1", Role::Consumer, Duration::from_secs(60));
        for _ in 0..5 {
            let caller = verifier.verify(&token).unwrap();
            assert_eq!(
                (caller.subject.as_str(), caller.role),
                ("u-1", Role::Consumer)
            );
        }
        assert_eq!(counting.checks.load(Ordering::SeqCst), 1);
        let other = tokens.mint("u-2", Role::Merchant, Duration::from_secs(60));
        assert_eq!(verifier.verify(&other).unwrap().subject, "u-2");
        assert_eq!(counting.checks.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn refusals_are_checked_every_time() {
        let (counting, verifier, tokens) = cached();
        let token = tokens.mint("u-1", Role::Consumer, Duration::from_secs(60));
        let forged = format!("{}x", &token[..token.len() - 1]);
        for _ in 0..3 {
            assert!(verifier.verify(&forged).is_err());
        }
        assert_eq!(counting.checks.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_remembered_token_is_refused_once_expired() {
        let (counting, verifier, tokens) = cached();
        // Expired long ago: the full check refuses it, so it is never remembered.
        let mut claims: Claims =
            tokens
                .rules
                .stamp(claims_for("u-1", Role::Consumer, Duration::ZERO, None));
        claims.exp -= 3600;
        claims.iat -= 3600;
        let old = tokens.mint_claims(&claims);
        assert!(matches!(verifier.verify(&old), Err(AuthError::Expired)));
        // A remembered entry past its exp (planted, as time cannot be moved here) is
        // not honoured: the token is checked again, and refused.
        let mut caller = tokens
            .verify(&tokens.mint("u-1", Role::Consumer, Duration::from_secs(60)))
            .unwrap();
        caller.expires_at = claims.exp;
        verifier.lock().insert(old.clone().into(), caller);
        assert!(matches!(verifier.verify(&old), Err(AuthError::Expired)));
        assert_eq!(counting.checks.load(Ordering::SeqCst), 2);
    }
}
