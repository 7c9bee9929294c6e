//! Who is calling: access tokens (EdDSA JWTs with a `kid`), signed by identity and
//! verified the same way by the gateway and by every service.
//!
//! Verification accepts only EdDSA, checks `exp`, `nbf`, `iss` and `aud`, and finds the
//! key by `kid` in the JWKS it fetched from identity, fetching again when it meets an
//! unknown `kid` (key rotation) at most once per [`REFRESH_INTERVAL`].

mod keys;
mod role;
pub mod service;
mod verify;

use serde::{Deserialize, Serialize};

pub use keys::{Signer, SigningKey};
pub use role::Role;
pub use service::ServiceClaims;
pub use verify::{IdentityJwks, KeySource, REFRESH_INTERVAL, StaticKeys, Verifier};

/// `iss` of every access token.
pub const ISSUER: &str = "shop-identity";
/// `aud` of every access token.
pub const AUDIENCE: &str = "shop";

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    /// Token id.
    pub jti: String,
}

/// An authenticated caller, with the token to forward to the services it calls.
#[derive(Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub role: Role,
    pub token: String,
}

/// The token is a credential: it never reaches a log through `Debug`.
impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller").field("user_id", &self.user_id).field("role", &self.role).finish_non_exhaustive()
    }
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Adds this caller's token to an outgoing gRPC request.
    pub fn authorize<T>(&self, mut req: tonic::Request<T>) -> tonic::Request<T> {
        if let Ok(value) = format!("Bearer {}", self.token).parse() {
            req.metadata_mut().insert("authorization", value);
        }
        req
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("authentication required")]
    Missing,
    #[error("invalid token: {0}")]
    Invalid(&'static str),
}

/// The bearer token of an `authorization` value, if it is one.
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.trim())
}

/// The bearer token in gRPC request metadata.
pub fn bearer_in(metadata: &tonic::metadata::MetadataMap) -> Option<&str> {
    metadata.get("authorization")?.to_str().ok().and_then(bearer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_never_shows_its_token() {
        let caller = Caller { user_id: "u1".into(), role: Role::Customer, token: "eyJ.secret.sig".into() };
        let shown = format!("{caller:?}");
        assert!(shown.contains("u1") && !shown.contains("secret"), "{shown}");
    }
}
