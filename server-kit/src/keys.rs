//! Asymmetric bearer tokens: EdDSA (Ed25519) or RS256 tokens checked against the public
//! keys of a JWKS file, chosen by the token's `kid`, so keys rotate without downtime
//! (publish the new key, switch the issuer, drop the old key). A key may be limited to
//! some roles with a `"honeydesk_roles"` member (bot-service's key: `["service"]`), so
//! a service's key cannot mint a supervisor's token. [`KeyTokens`] is the signing side
//! for the `token` subcommand and bot-service's own identity.

use std::{collections::HashMap, path::Path};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, jwk::JwkSet};
use serde::Deserialize;

use crate::auth::{AuthError, Caller, Claims, Minter, Role, TokenRules, TokenVerifier};

/// Why a key file could not be used; names the file.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file's content is not usable.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

fn read(path: &Path) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|source| KeyError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn invalid(path: &Path, message: impl Into<String>) -> KeyError {
    KeyError::Invalid {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// One public key of the set.
struct PublicKey {
    decoding: DecodingKey,
    algorithm: Algorithm,
    /// The roles its tokens may carry; `None` = any.
    roles: Option<Vec<Role>>,
}

/// The honeydesk members of a JWK (jsonwebtoken's `Jwk` ignores them).
#[derive(Deserialize)]
struct Extra {
    kid: Option<String>,
    honeydesk_roles: Option<Vec<Role>>,
}

#[derive(Deserialize)]
struct ExtraSet {
    keys: Vec<Extra>,
}

/// Checks EdDSA / RS256 tokens against a JWKS file's public keys by `kid`.
pub struct JwksVerifier {
    keys: HashMap<String, PublicKey>,
    rules: TokenRules,
}

impl JwksVerifier {
    /// The keys of the JWKS file at `path`; every key needs a `kid` and an `alg` of
    /// `EdDSA` or `RS256`.
    pub fn from_file(path: &Path, rules: TokenRules) -> Result<Self, KeyError> {
        let text = read(path)?;
        let set: JwkSet =
            serde_json::from_slice(&text).map_err(|e| invalid(path, format!("not a JWKS: {e}")))?;
        let extra: ExtraSet =
            serde_json::from_slice(&text).map_err(|e| invalid(path, format!("not a JWKS: {e}")))?;
        let mut keys = HashMap::new();
        for (jwk, extra) in set.keys.iter().zip(extra.keys) {
            let kid = extra
                .kid
                .ok_or_else(|| invalid(path, "every key needs a \"kid\""))?;
            let algorithm = match jwk
                .common
                .key_algorithm
                .as_ref()
                .map(|a| a.to_string())
                .as_deref()
            {
                Some("EdDSA") => Algorithm::EdDSA,
                Some("RS256") => Algorithm::RS256,
                other => {
                    return Err(invalid(
                        path,
                        format!("key {kid}: \"alg\" must be EdDSA or RS256, not {other:?}"),
                    ));
                }
            };
            let decoding =
                DecodingKey::from_jwk(jwk).map_err(|e| invalid(path, format!("key {kid}: {e}")))?;
            let key = PublicKey {
                decoding,
                algorithm,
                roles: extra.honeydesk_roles,
            };
            if keys.insert(kid.clone(), key).is_some() {
                return Err(invalid(path, format!("key id {kid} appears twice")));
            }
        }
        if keys.is_empty() {
            return Err(invalid(path, "holds no keys"));
        }
        Ok(Self { keys, rules })
    }
}

impl TokenVerifier for JwksVerifier {
    fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::MalformedToken("not a JWT".into()))?;
        let kid = header
            .kid
            .ok_or_else(|| AuthError::MalformedToken("no key id (kid) in the header".into()))?;
        let key = self.keys.get(&kid).ok_or(AuthError::UnknownKey)?;
        if header.alg != key.algorithm {
            return Err(AuthError::MalformedToken(
                "unexpected signing algorithm".into(),
            ));
        }
        let caller = self.rules.check(token, &key.decoding, key.algorithm)?;
        if key
            .roles
            .as_ref()
            .is_some_and(|r| !r.contains(&caller.role))
        {
            return Err(AuthError::RoleNotAllowed(caller.role));
        }
        Ok(caller)
    }
}

/// Signs tokens with a private key (Ed25519 or RSA, PEM), naming its `kid`.
pub struct KeyTokens {
    encoding: EncodingKey,
    algorithm: Algorithm,
    kid: String,
    rules: TokenRules,
}

impl std::fmt::Debug for KeyTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyTokens({:?}, kid {})", self.algorithm, self.kid)
    }
}

impl KeyTokens {
    /// The private key in the PEM file at `path` (Ed25519 as PKCS#8 `PRIVATE KEY`, or
    /// RSA as PKCS#1 `RSA PRIVATE KEY`), whose public half the verifiers know as `kid`.
    pub fn from_pem_file(path: &Path, kid: &str, rules: TokenRules) -> Result<Self, KeyError> {
        let text = String::from_utf8(read(path)?).map_err(|_| invalid(path, "not PEM text"))?;
        let (encoding, algorithm) = match crate::pem::decode(&text) {
            Some((label, der)) if label == "PRIVATE KEY" => {
                (EncodingKey::from_ed_der(&der), Algorithm::EdDSA)
            }
            Some((label, der)) if label == "RSA PRIVATE KEY" => {
                (EncodingKey::from_rsa_der(&der), Algorithm::RS256)
            }
            _ => {
                return Err(invalid(
                    path,
                    "not an Ed25519 private key (PKCS#8 `PRIVATE KEY`) or an RSA one (PKCS#1 `RSA PRIVATE KEY`) in PEM",
                ));
            }
        };
        Ok(Self {
            encoding,
            algorithm,
            kid: kid.to_owned(),
            rules,
        })
    }
}

impl Minter for KeyTokens {
    fn sign(&self, claims: &Claims) -> String {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .expect("signing with a loaded private key cannot fail")
    }
    fn rules(&self) -> &TokenRules {
        &self.rules
    }
}
