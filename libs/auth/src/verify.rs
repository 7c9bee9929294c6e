//! Token verification with a JWKS cache and a cache of verified tokens.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError, RwLock},
    time::{Duration, Instant},
};

use async_trait::async_trait;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde::de::DeserializeOwned;
use shop_proto::identity::v1::Jwk;

use crate::{AUDIENCE, AuthError, Claims, ISSUER, ServiceClaims, keys::now};

/// Least time between two JWKS fetches triggered by unknown key ids (so garbage `kid`s
/// cannot turn every request into a fetch).
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(1);
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY: u64 = 30;
/// Verified tokens remembered; the cache is emptied when full.
const CACHE_CAPACITY: usize = 10_000;
/// Longest token looked at.
const MAX_TOKEN_LEN: usize = 4096;

/// Where the public keys come from (identity's `GetJwks`).
#[async_trait]
pub trait KeySource: Send + Sync + 'static {
    async fn jwks(&self) -> anyhow::Result<Vec<Jwk>>;
}

/// A fixed key set.
pub struct StaticKeys(pub Vec<Jwk>);

#[async_trait]
impl KeySource for StaticKeys {
    async fn jwks(&self) -> anyhow::Result<Vec<Jwk>> {
        Ok(self.0.clone())
    }
}

pub struct Verifier {
    source: Arc<dyn KeySource>,
    keys: RwLock<HashMap<String, Arc<DecodingKey>>>,
    last_refresh: tokio::sync::Mutex<Option<Instant>>,
    validation: Validation,
    verified: Remembered<Claims>,
    services: Remembered<ServiceClaims>,
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

impl Verifier {
    pub fn new(source: Arc<dyn KeySource>) -> Self {
        Self {
            source,
            keys: RwLock::default(),
            last_refresh: tokio::sync::Mutex::new(None),
            validation: validation(AUDIENCE),
            verified: Mutex::default(),
            services: Mutex::default(),
        }
    }

    /// Verifies a user's access `token` and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        if let Some(claims) = remembered(&self.verified, token, |c: &Claims| (c.nbf, c.exp)) {
            return Ok(claims);
        }
        let claims: Claims = self.decode(token, &self.validation).await?;
        remember(&self.verified, token, &claims);
        Ok(claims)
    }

    /// Verifies a service `token` meant for the service whose audience `validation` names
    /// (see [`crate::service`]) and returns its claims.
    pub async fn verify_service(&self, token: &str, validation: &Validation) -> Result<ServiceClaims, AuthError> {
        let aud = validation.aud.as_ref().and_then(|a| a.iter().next()).ok_or(AuthError::Invalid("no audience"))?;
        if let Some(claims) = remembered(&self.services, token, |c: &ServiceClaims| (c.nbf, c.exp)) {
            return if &claims.aud == aud { Ok(claims) } else { Err(AuthError::Invalid("wrong audience")) };
        }
        let claims: ServiceClaims = self.decode(token, validation).await?;
        remember(&self.services, token, &claims);
        Ok(claims)
    }

    /// Checks `token`'s signature with identity's keys and its claims against `validation`.
    async fn decode<C: DeserializeOwned>(&self, token: &str, validation: &Validation) -> Result<C, AuthError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::Invalid("too long"));
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Invalid("malformed"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(AuthError::Invalid("algorithm not allowed"));
        }
        let kid = header.kid.ok_or(AuthError::Invalid("no key id"))?;
        let key = match self.key(&kid) {
            Some(key) => key,
            None => {
                self.refresh().await;
                self.key(&kid).ok_or(AuthError::Invalid("unknown key"))?
            }
        };
        let data = jsonwebtoken::decode::<C>(token, &key, validation).map_err(|e| {
            AuthError::Invalid(match e.kind() {
                ErrorKind::ExpiredSignature => "expired",
                ErrorKind::ImmatureSignature => "not yet valid",
                ErrorKind::InvalidIssuer => "wrong issuer",
                ErrorKind::InvalidAudience => "wrong audience",
                ErrorKind::InvalidSignature => "bad signature",
                ErrorKind::InvalidAlgorithm => "algorithm not allowed",
                _ => "malformed",
            })
        })?;
        Ok(data.claims)
    }

    fn key(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        read(&self.keys).get(kid).cloned()
    }

    /// Fetches the JWKS again, unless that happened within [`REFRESH_INTERVAL`].
    pub async fn refresh(&self) {
        let mut last = self.last_refresh.lock().await;
        if last.is_some_and(|t| t.elapsed() < REFRESH_INTERVAL) {
            return;
        }
        *last = Some(Instant::now());
        match self.source.jwks().await {
            Ok(jwks) => {
                let keys: HashMap<String, Arc<DecodingKey>> = jwks
                    .iter()
                    .filter(|k| k.kty == "OKP" && k.crv == "Ed25519")
                    .filter_map(|k| Some((k.kid.clone(), Arc::new(DecodingKey::from_ed_components(&k.x).ok()?))))
                    .collect();
                tracing::debug!(keys = keys.len(), "signing keys refreshed");
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = keys;
                // Tokens of a withdrawn key must not outlive it in the cache.
                self.verified.lock().unwrap_or_else(PoisonError::into_inner).clear();
                self.services.lock().unwrap_or_else(PoisonError::into_inner).clear();
            }
            Err(err) => tracing::warn!(error = %err, "cannot fetch signing keys"),
        }
    }
}

/// Tokens already verified, with their claims; emptied when full or when keys change.
type Remembered<C> = Mutex<HashMap<String, C>>;

/// The claims of `token` if it was verified before and is still within its validity
/// (`window` gives its `nbf` and `exp`).
fn remembered<C: Clone>(cache: &Remembered<C>, token: &str, window: impl Fn(&C) -> (u64, u64)) -> Option<C> {
    let cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    let claims = cache.get(token)?;
    let (nbf, exp) = window(claims);
    let now = now();
    (now <= exp + LEEWAY && nbf <= now + LEEWAY).then(|| claims.clone())
}

fn remember<C: Clone>(cache: &Remembered<C>, token: &str, claims: &C) {
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if cache.len() >= CACHE_CAPACITY {
        cache.clear();
    }
    cache.insert(token.to_owned(), claims.clone());
}

/// Verification settings shared by user and service tokens: EdDSA only, identity's issuer,
/// `audience`, the time claims checked with [`LEEWAY`].
pub(crate) fn validation(audience: &str) -> Validation {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY;
    validation
}

impl Verifier {
    /// The caller whose bearer token is in `metadata` (a gRPC request's).
    pub async fn caller(&self, metadata: &tonic::metadata::MetadataMap) -> Result<crate::Caller, AuthError> {
        let token = crate::bearer_in(metadata).ok_or(AuthError::Missing)?;
        let claims = self.verify(token).await?;
        Ok(crate::Caller { user_id: claims.sub, role: claims.role, token: token.to_owned() })
    }
}

/// Fetches the JWKS from identity over gRPC (`GetJwks`).
pub struct IdentityJwks(
    shop_proto::identity::v1::identity_service_client::IdentityServiceClient<tonic::transport::Channel>,
);

impl IdentityJwks {
    pub fn new(channel: tonic::transport::Channel) -> Self {
        Self(shop_proto::identity::v1::identity_service_client::IdentityServiceClient::new(channel))
    }

    /// Connects lazily to identity at `url` (a service may start before identity).
    pub fn lazy(url: &str) -> anyhow::Result<Self> {
        let channel = tonic::transport::Endpoint::from_shared(url.to_owned())?
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .connect_lazy();
        Ok(Self::new(channel))
    }
}

#[async_trait]
impl KeySource for IdentityJwks {
    async fn jwks(&self) -> anyhow::Result<Vec<Jwk>> {
        let request = shop_proto::identity::v1::GetJwksRequest {};
        Ok(self.0.clone().get_jwks(request).await?.into_inner().keys)
    }
}
