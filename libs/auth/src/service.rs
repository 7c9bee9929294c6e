//! Service tokens: how one service proves to another who it is.
//!
//! Identity issues them (OAuth 2.0 client credentials: the calling service's name and
//! secret) for one callee at a time: `sub` is the caller, `aud` is `service:<callee>`, so
//! a token meant for inventory is worthless at payment and can never pass for a user's
//! access token (whose audience is [`crate::AUDIENCE`] and which carries a role). They are
//! signed with identity's keys and verified by the callee against the same JWKS as users'
//! tokens. A call carries one in [`HEADER`], beside the end user's own token in
//! `authorization` when the call acts on a user's behalf.

use std::time::Duration;

use jsonwebtoken::Validation;
use serde::{Deserialize, Serialize};

/// The gRPC metadata key of a service token.
pub const HEADER: &str = "x-service-token";
/// Lifetime of a service token; callers renew theirs well before it ends.
pub const TTL: Duration = Duration::from_secs(600);

/// The claims of a service token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceClaims {
    /// The calling service.
    pub sub: String,
    /// `service:<callee>`.
    pub aud: String,
    pub iss: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub jti: String,
}

/// The audience of tokens meant for `service`.
pub fn audience(service: &str) -> String {
    format!("service:{service}")
}

/// What a token must satisfy to be accepted by `service`.
pub fn validation(service: &str) -> Validation {
    crate::verify::validation(&audience(service))
}
