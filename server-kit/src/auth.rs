//! Bearer-token authentication: who is calling (subject + role), checked on every
//! application RPC. Tokens are JWTs with `iss`, `aud`, a non-empty `sub`, `role`, `iat`
//! and `exp`, no longer-lived than the configured maximum ([`TokenRules`]). HS256 with
//! a shared secret is the development default; production checks EdDSA / RS256 tokens
//! against a JWKS file (`crate::keys`), behind the same [`TokenVerifier`] trait.

use std::{
    fmt,
    str::FromStr,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use jsonwebtoken::{DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use tonic::{Request, Status, metadata::MetadataMap};

/// The metadata key a caller's token travels in.
pub const AUTHORIZATION: &str = "authorization";

/// What a caller is allowed to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A shopper at the CONSUMER entrance (小蜜).
    Consumer,
    /// A seller at the MERCHANT entrance (万象).
    Merchant,
    /// A human customer-service agent.
    Agent,
    /// A team lead: queue figures, complaint review.
    Supervisor,
    /// Another honeydesk service (bot-service calling agent-service, hotline systems).
    Service,
}

impl Role {
    /// Every role, for help texts and the dev token printer.
    pub const ALL: [Role; 5] = [
        Role::Consumer,
        Role::Merchant,
        Role::Agent,
        Role::Supervisor,
        Role::Service,
    ];

    /// The role's name as it appears in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Consumer => "consumer",
            Role::Merchant => "merchant",
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Service => "service",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown role '{s}' (expected consumer, merchant, agent, supervisor or service)"
                )
            })
    }
}

/// The issuer and audience tokens carry unless configured otherwise.
pub const DEFAULT_ISSUER: &str = "honeydesk";
/// See [`DEFAULT_ISSUER`].
pub const DEFAULT_AUDIENCE: &str = "honeydesk";

/// The claims honeydesk puts in and reads from a token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// Who issued the token (must match the configured issuer).
    #[serde(default)]
    pub iss: String,
    /// Whom it is for (must match the configured audience).
    #[serde(default)]
    pub aud: String,
    /// The user, agent or service id.
    pub sub: String,
    /// The caller's role.
    pub role: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Issued at, seconds since the Unix epoch.
    #[serde(default)]
    pub iat: u64,
    /// The user's own mobile number, when the channel knows it (used by tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// An authenticated caller, put in each request's extensions by [`interceptor`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// Who: user id, agent id or service name.
    pub subject: String,
    /// As what.
    pub role: Role,
    /// The user's own mobile number, if the token carries one.
    pub phone: Option<String>,
    /// The token's `exp` (Unix seconds): until when this caller's token is accepted.
    pub expires_at: u64,
}

impl Caller {
    /// PERMISSION_DENIED unless the caller has one of `allowed` roles.
    pub fn require(&self, allowed: &[Role], action: &str) -> Result<(), Status> {
        if allowed.contains(&self.role) {
            return Ok(());
        }
        let needed: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        Err(Status::permission_denied(format!(
            "role '{}' may not {action}; this needs the role {}",
            self.role,
            needed.join(" or ")
        )))
    }

    /// The caller of an intercepted request, checked against `allowed` roles.
    pub fn of<T>(request: &Request<T>, allowed: &[Role], action: &str) -> Result<Caller, Status> {
        let caller = request
            .extensions()
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| Status::unauthenticated("request was not authenticated"))?;
        caller.require(allowed, action)?;
        Ok(caller)
    }
}

/// Why a token was refused. Each maps to UNAUTHENTICATED with its own message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// No `authorization` metadata at all.
    #[error("missing authorization metadata: send `authorization: Bearer <token>`")]
    Missing,
    /// The metadata is not `Bearer <token>`.
    #[error("malformed authorization metadata: expected `Bearer <token>`")]
    MalformedHeader,
    /// The token is not a well-formed JWT.
    #[error("malformed token: {0}")]
    MalformedToken(String),
    /// The token's expiry has passed.
    #[error("token expired")]
    Expired,
    /// The signature does not match.
    #[error("invalid token signature")]
    BadSignature,
    /// The role claim is not one honeydesk knows.
    #[error("token has an unknown role: {0}")]
    UnknownRole(String),
    /// The `kid` names no key of the key set (never echoed: it is the caller's input).
    #[error("token is signed with an unknown key id")]
    UnknownKey,
    /// The key that signed the token may not sign tokens of this role.
    #[error("the key that signed this token may not issue '{0}' tokens")]
    RoleNotAllowed(Role),
    /// Issuer or audience are not the configured ones.
    #[error("token {0} does not match this deployment")]
    WrongParty(&'static str),
    /// `exp - iat` exceeds the maximum lifetime.
    #[error("token lifetime exceeds the maximum of {0} seconds")]
    TooLongLived(u64),
    /// `sub` is empty or not a valid id.
    #[error("token subject must be 1-128 printable ASCII characters without spaces")]
    BadSubject,
}

impl From<AuthError> for Status {
    fn from(e: AuthError) -> Self {
        Status::unauthenticated(e.to_string())
    }
}

/// Checks a bearer token and says who it belongs to.
pub trait TokenVerifier: Send + Sync + 'static {
    /// The caller named by `token`, or why it is refused.
    fn verify(&self, token: &str) -> Result<Caller, AuthError>;

    /// The caller of a call from `peer` whose `authorization` metadata gave `token` (or
    /// why it gave none). Verifiers that limit unknown tokens per address override it.
    fn verify_call(
        &self,
        token: Result<&str, AuthError>,
        _peer: Option<std::net::IpAddr>,
    ) -> Result<Caller, Status> {
        Ok(self.verify(token?)?)
    }
}

pub use crate::token_rules::{Minter, TokenRules};

/// HS256 tokens signed with a shared secret: the embedded default, and the minting side
/// for the `token` subcommands and for bot-service's own service identity.
#[derive(Clone)]
pub struct Hs256Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub(crate) rules: TokenRules,
}

impl fmt::Debug for Hs256Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hs256Tokens(..)")
    }
}

impl Hs256Tokens {
    /// Tokens signed and checked with `secret`, under the default [`TokenRules`].
    pub fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            rules: TokenRules::default(),
        }
    }

    /// The same, minting and checking under `rules`.
    pub fn with_rules(mut self, rules: TokenRules) -> Self {
        self.rules = rules;
        self
    }

    /// A signed token for `subject` as `role`, valid for `ttl` from now.
    pub fn mint(&self, subject: &str, role: Role, ttl: Duration) -> String {
        self.mint_claims(&self.rules.stamp(claims_for(subject, role, ttl, None)))
    }

    /// A signed token carrying exactly these claims (tests use it for expired tokens).
    pub fn mint_claims(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::default(), claims, &self.encoding)
            .expect("HS256 signing with an in-memory key cannot fail")
    }
}

/// Claims for `subject` as `role` expiring `ttl` from now, with an optional phone.
pub fn claims_for(subject: &str, role: Role, ttl: Duration, phone: Option<String>) -> Claims {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    Claims {
        iss: DEFAULT_ISSUER.to_owned(),
        aud: DEFAULT_AUDIENCE.to_owned(),
        sub: subject.to_owned(),
        role: role.as_str().to_owned(),
        exp: now + ttl.as_secs(),
        iat: now,
        phone,
    }
}

impl TokenVerifier for Hs256Tokens {
    fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        self.rules
            .check(token, &self.decoding, jsonwebtoken::Algorithm::HS256)
    }
}

/// The bearer token in `metadata`, or why there is none.
pub fn bearer(metadata: &MetadataMap) -> Result<&str, AuthError> {
    let value = metadata.get(AUTHORIZATION).ok_or(AuthError::Missing)?;
    let value = value.to_str().map_err(|_| AuthError::MalformedHeader)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::MalformedHeader)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthError::MalformedHeader);
    }
    Ok(token)
}

/// A tonic interceptor that authenticates every request with `verifier` and stores the
/// [`Caller`] in the request's extensions.
pub fn interceptor(
    verifier: Arc<dyn TokenVerifier>,
) -> impl FnMut(Request<()>) -> Result<Request<()>, Status> + Clone {
    move |mut request: Request<()>| {
        let peer = request.remote_addr().map(|a| a.ip());
        let caller = verifier.verify_call(bearer(request.metadata()), peer)?;
        request.extensions_mut().insert(caller);
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Hs256Tokens {
        Hs256Tokens::new(b"unit-test-secret")
    }

    #[test]
    fn minted_token_verifies_with_its_role() {
        let t = tokens();
        let caller = t
            .verify(&t.mint("alice", Role::Consumer, Duration::from_secs(60)))
            .unwrap();
        assert_eq!(caller.subject, "alice");
        assert_eq!(caller.role, Role::Consumer);
    }

    #[test]
    fn each_refusal_has_its_own_reason() {
        let t = tokens();
        let mut expired = claims_for("a", Role::Agent, Duration::ZERO, None);
        expired.exp -= 3600;
        assert_eq!(t.verify(&t.mint_claims(&expired)), Err(AuthError::Expired));
        let other =
            Hs256Tokens::new(b"another-secret").mint("a", Role::Agent, Duration::from_secs(60));
        assert_eq!(t.verify(&other), Err(AuthError::BadSignature));
        assert!(matches!(
            t.verify("abc.def"),
            Err(AuthError::MalformedToken(_))
        ));
        let mut odd = claims_for("a", Role::Agent, Duration::from_secs(60), None);
        odd.role = "root".into();
        assert_eq!(
            t.verify(&t.mint_claims(&odd)),
            Err(AuthError::UnknownRole("root".into()))
        );
    }

    #[test]
    fn issuer_audience_subject_and_lifetime_are_enforced() {
        let t = tokens();
        let ok = claims_for("a", Role::Agent, Duration::from_secs(60), None);
        let mut other = ok.clone();
        other.iss = "someone-else".into();
        assert_eq!(
            t.verify(&t.mint_claims(&other)),
            Err(AuthError::WrongParty("issuer"))
        );
        let mut other = ok.clone();
        other.aud = "another-app".into();
        assert_eq!(
            t.verify(&t.mint_claims(&other)),
            Err(AuthError::WrongParty("audience"))
        );
        let mut nobody = ok.clone();
        nobody.sub = String::new();
        assert_eq!(
            t.verify(&t.mint_claims(&nobody)),
            Err(AuthError::BadSubject)
        );
        let decade = claims_for(
            "a",
            Role::Agent,
            Duration::from_secs(10 * 365 * 86400),
            None,
        );
        assert!(matches!(
            t.verify(&t.mint_claims(&decade)),
            Err(AuthError::TooLongLived(_))
        ));
    }

    #[test]
    fn bearer_parsing() {
        let mut md = MetadataMap::new();
        assert_eq!(bearer(&md), Err(AuthError::Missing));
        md.insert(AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&md), Err(AuthError::MalformedHeader));
        md.insert(AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&md), Ok("abc"));
    }
}
