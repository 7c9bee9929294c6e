//! Signing keys (Ed25519) and the signer identity uses to issue access tokens.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use shop_proto::identity::v1::Jwk;

use crate::{AUDIENCE, Claims, ISSUER, Role, ServiceClaims};

/// An Ed25519 key pair with its key id.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    /// PKCS#8 DER of the private key.
    pub private_pkcs8: Vec<u8>,
    /// The raw 32-byte public key.
    pub public: Vec<u8>,
    /// Unix seconds.
    pub created_at: i64,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl SigningKey {
    pub fn generate() -> anyhow::Result<Self> {
        let key = ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng);
        let der = key.to_pkcs8_der().map_err(|e| anyhow::anyhow!("encoding the key: {e}"))?;
        Ok(Self {
            kid: uuid::Uuid::now_v7().simple().to_string(),
            private_pkcs8: der.as_bytes().to_vec(),
            public: key.verifying_key().to_bytes().to_vec(),
            created_at: i64::try_from(now()).unwrap_or(i64::MAX),
        })
    }

    /// The public half as a JWK (OKP / Ed25519).
    pub fn jwk(&self) -> Jwk {
        Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            kid: self.kid.clone(),
            alg: "EdDSA".into(),
            r#use: "sig".into(),
            x: URL_SAFE_NO_PAD.encode(&self.public),
            ..Jwk::default()
        }
    }
}

/// Issues access tokens with one key.
pub struct Signer {
    kid: String,
    key: EncodingKey,
    ttl: Duration,
}

impl Signer {
    pub fn new(key: &SigningKey, ttl: Duration) -> Self {
        Self { kid: key.kid.clone(), key: EncodingKey::from_ed_der(&key.private_pkcs8), ttl }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A signed access token for `user_id` in `role`, and its lifetime in seconds.
    pub fn issue(&self, user_id: &str, role: Role) -> anyhow::Result<(String, u64)> {
        let iat = now();
        let claims = Claims {
            sub: user_id.to_owned(),
            role,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat,
            nbf: iat,
            exp: iat + self.ttl.as_secs(),
            jti: token_id(),
        };
        Ok((self.sign(&claims)?, self.ttl.as_secs()))
    }

    /// A signed service token for `caller` to call `callee`, and its lifetime in seconds.
    pub fn issue_service(&self, caller: &str, callee: &str) -> anyhow::Result<(String, u64)> {
        let iat = now();
        let ttl = crate::service::TTL.as_secs();
        let claims = ServiceClaims {
            sub: caller.to_owned(),
            aud: crate::service::audience(callee),
            iss: ISSUER.to_owned(),
            iat,
            nbf: iat,
            exp: iat + ttl,
            jti: token_id(),
        };
        Ok((self.sign(&claims)?, ttl))
    }

    fn sign(&self, claims: &impl serde::Serialize) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.key)?)
    }
}

fn token_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}
