//! The calling side of service identity: a service's own token for each service it calls,
//! fetched from identity with its client id (its name) and secret, cached, and renewed
//! halfway through its life. See `shop_auth::service` for what the token is.

use std::{
    collections::HashMap,
    sync::{PoisonError, RwLock},
    time::{Duration, Instant},
};

use http::HeaderValue;
use shop_platform::settings::Secret;
use shop_proto::identity::v1::{IssueServiceTokenRequest, identity_service_client::IdentityServiceClient};

use crate::Upstream;

/// A new random client secret (256 bits, URL-safe base64), as the all-in-one platform
/// and `scripts/service-secrets` make them.
pub fn generate_secret() -> Secret {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// A token ends this long before its stated expiry, for clock skew and time in flight.
const MARGIN: Duration = Duration::from_secs(30);

struct Held {
    value: HeaderValue,
    renew_at: Instant,
    expires_at: Instant,
}

/// One service's credentials towards every service it calls.
pub struct ServiceCredentials {
    me: &'static str,
    secret: Secret,
    /// Identity's token endpoint, reached without credentials (the secret is the credential).
    identity: IdentityServiceClient<Upstream>,
    held: RwLock<HashMap<&'static str, Held>>,
    fetching: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for ServiceCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceCredentials").field("me", &self.me).finish_non_exhaustive()
    }
}

impl ServiceCredentials {
    pub fn new(me: &'static str, secret: Secret, identity: Upstream) -> Self {
        Self {
            me,
            secret,
            identity: IdentityServiceClient::new(identity),
            held: RwLock::default(),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The token for calling `callee`, if one is held and not yet due for renewal.
    pub fn fresh(&self, callee: &str) -> Option<HeaderValue> {
        let held = self.held.read().unwrap_or_else(PoisonError::into_inner);
        held.get(callee).filter(|h| Instant::now() < h.renew_at).map(|h| h.value.clone())
    }

    /// The token for calling `callee`, asking identity for a new one when the one held is
    /// due; while identity is unreachable a held token serves until it expires.
    pub async fn obtain(&self, callee: &'static str) -> anyhow::Result<HeaderValue> {
        let _one_at_a_time = self.fetching.lock().await;
        if let Some(value) = self.fresh(callee) {
            return Ok(value);
        }
        match self.issue(callee).await {
            Ok((value, ttl)) => {
                let now = Instant::now();
                let held = Held { value: value.clone(), renew_at: now + ttl / 2, expires_at: now + ttl - MARGIN };
                self.held.write().unwrap_or_else(PoisonError::into_inner).insert(callee, held);
                Ok(value)
            }
            Err(err) => {
                let held = self.held.read().unwrap_or_else(PoisonError::into_inner);
                match held.get(callee).filter(|h| Instant::now() < h.expires_at) {
                    Some(h) => {
                        tracing::warn!(callee, error = format!("{err:#}"), "cannot renew the service token yet");
                        Ok(h.value.clone())
                    }
                    None => Err(err),
                }
            }
        }
    }

    async fn issue(&self, callee: &str) -> anyhow::Result<(HeaderValue, Duration)> {
        let request = IssueServiceTokenRequest {
            client_id: self.me.to_owned(),
            client_secret: self.secret.expose().to_owned(),
            audience: callee.to_owned(),
        };
        let token = self.identity.clone().issue_service_token(request).await?.into_inner();
        let mut value = HeaderValue::try_from(token.access_token)?;
        value.set_sensitive(true);
        let ttl = Duration::from_secs(token.expires_in).max(MARGIN * 2);
        Ok((value, ttl))
    }
}
