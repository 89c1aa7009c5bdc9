//! What every bearer token must satisfy beyond its signature, whoever signed it: the
//! configured issuer and audience, a maximum lifetime (`exp - iat`: a 10-year token is
//! refused), a subject that is a well-formed id, and a role honeydesk knows; and the
//! [`Minter`] trait both signers (HS256 secret, private key) implement.

use std::time::Duration;

use jsonwebtoken::{DecodingKey, Validation, errors::ErrorKind};

use crate::auth::{
    AuthError, Caller, Claims, DEFAULT_AUDIENCE, DEFAULT_ISSUER, Hs256Tokens, Role, claims_for,
};

/// What every token must satisfy beyond its signature: issuer, audience, a maximum
/// lifetime (`exp - iat`), a well-formed subject and a known role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRules {
    /// The required `iss`.
    pub issuer: String,
    /// The required `aud`.
    pub audience: String,
    /// The longest accepted `exp - iat`.
    pub max_lifetime: Duration,
}

impl Default for TokenRules {
    fn default() -> Self {
        Self {
            issuer: DEFAULT_ISSUER.to_owned(),
            audience: DEFAULT_AUDIENCE.to_owned(),
            max_lifetime: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

impl TokenRules {
    /// `claims` with this deployment's issuer and audience.
    pub fn stamp(&self, mut claims: Claims) -> Claims {
        claims.iss = self.issuer.clone();
        claims.aud = self.audience.clone();
        claims
    }

    /// The caller named by `token` signed with `key` under `algorithm`, or why not.
    pub(crate) fn check(
        &self,
        token: &str,
        key: &DecodingKey,
        algorithm: jsonwebtoken::Algorithm,
    ) -> Result<Caller, AuthError> {
        let mut validation = Validation::new(algorithm);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud", "iat"]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                ErrorKind::InvalidSignature => AuthError::BadSignature,
                ErrorKind::InvalidIssuer => AuthError::WrongParty("issuer"),
                ErrorKind::InvalidAudience => AuthError::WrongParty("audience"),
                ErrorKind::MissingRequiredClaim(c) => {
                    AuthError::MalformedToken(format!("missing claim '{c}'"))
                }
                ErrorKind::InvalidAlgorithm => {
                    AuthError::MalformedToken("unexpected signing algorithm".into())
                }
                ErrorKind::Json(_) => AuthError::MalformedToken("claims are not valid".into()),
                _ => AuthError::MalformedToken("not a JWT".into()),
            })?
            .claims;
        let max = self.max_lifetime.as_secs();
        if claims.exp.saturating_sub(claims.iat) > max {
            return Err(AuthError::TooLongLived(max));
        }
        if claims.sub.is_empty()
            || claims.sub.len() > 128
            || !claims.sub.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(AuthError::BadSubject);
        }
        let role = claims
            .role
            .parse::<Role>()
            .map_err(|_| AuthError::UnknownRole(claims.role.clone()))?;
        Ok(Caller {
            subject: claims.sub,
            role,
            phone: claims.phone,
            expires_at: claims.exp,
        })
    }
}

/// Signs tokens: HS256 with the shared secret (development) or a private key
/// ([`crate::keys::KeyTokens`]); the `token` subcommands and bot-service's own identity.
pub trait Minter: Send + Sync + 'static {
    /// A token carrying exactly `claims`.
    fn sign(&self, claims: &Claims) -> String;
    /// The issuer, audience and lifetime tokens are minted under.
    fn rules(&self) -> &TokenRules;
    /// A token for `subject` as `role`, valid for `ttl` from now, with `phone`.
    fn mint_for(&self, subject: &str, role: Role, ttl: Duration, phone: Option<String>) -> String {
        self.sign(&self.rules().stamp(claims_for(subject, role, ttl, phone)))
    }
}

impl Minter for Hs256Tokens {
    fn sign(&self, claims: &Claims) -> String {
        self.mint_claims(claims)
    }
    fn rules(&self) -> &TokenRules {
        &self.rules
    }
}
