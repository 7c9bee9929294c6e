//! The signing key ring: the newest key signs, every key still in its verification window
//! is published in the JWKS, and a new key is made when the newest grows old — so a
//! rotation never logs anybody out.

use std::{
    sync::{Arc, RwLock},
    time::Duration,
};

use async_trait::async_trait;
use shop_auth::{KeySource, Role, Signer, SigningKey};
use shop_proto::identity::v1::Jwk;

use crate::storage::KeyStore;

struct Current {
    signer: Arc<Signer>,
    jwks: Vec<Jwk>,
}

pub struct KeyRing {
    store: Arc<dyn KeyStore>,
    rotation: Duration,
    token_ttl: Duration,
    current: RwLock<Option<Current>>,
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl KeyRing {
    /// Loads the keys, making the first (or a fresh one, if the newest is due) as needed.
    pub async fn open(store: Arc<dyn KeyStore>, rotation: Duration, token_ttl: Duration) -> anyhow::Result<Self> {
        let ring = Self { store, rotation, token_ttl, current: RwLock::new(None) };
        ring.maintain().await?;
        Ok(ring)
    }

    /// Rotates if the newest key is older than the rotation period, then reloads.
    pub async fn maintain(&self) -> anyhow::Result<()> {
        let mut keys = self.store.all().await?;
        // A key past its verification window verifies nothing any more: its private half
        // is deleted, not kept.
        let (window, now) = (self.window(), unix_now());
        let newest = keys.iter().map(|k| k.created_at).max();
        for old in keys.iter().filter(|k| now - k.created_at >= window && Some(k.created_at) != newest) {
            self.store.remove(&old.kid).await?;
            tracing::info!(kid = %old.kid, "expired signing key deleted");
        }
        keys.retain(|k| now - k.created_at < window || Some(k.created_at) == newest);
        let due = newest.is_none_or(|t| unix_now() - t >= i64::try_from(self.rotation.as_secs()).unwrap_or(i64::MAX));
        if due {
            self.rotate().await?;
        } else {
            self.load(keys);
        }
        Ok(())
    }

    /// Makes a new signing key now; tokens signed with the older ones stay valid.
    pub async fn rotate(&self) -> anyhow::Result<()> {
        let key = SigningKey::generate()?;
        self.store.put(&key).await?;
        tracing::info!(kid = %key.kid, "new signing key");
        self.load(self.store.all().await?);
        Ok(())
    }

    fn load(&self, mut keys: Vec<SigningKey>) {
        keys.sort_by_key(|k| k.created_at);
        let Some(newest) = keys.last() else { return };
        let (window, now) = (self.window(), unix_now());
        let jwks =
            keys.iter().filter(|k| now - k.created_at < window || k.kid == newest.kid).map(SigningKey::jwk).collect();
        let current = Current { signer: Arc::new(Signer::new(newest, self.token_ttl)), jwks };
        *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(current);
    }

    /// How long a key verifies after it was made: one rotation period signing, one more
    /// after it stopped, plus the lifetime of the last token it signed.
    fn window(&self) -> i64 {
        i64::try_from((self.rotation * 2 + self.token_ttl).as_secs()).unwrap_or(i64::MAX)
    }

    fn with<T>(&self, f: impl FnOnce(&Current) -> T) -> T {
        let guard = self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(guard.as_ref().expect("the ring is loaded when opened"))
    }

    pub fn issue(&self, user_id: &str, role: Role) -> anyhow::Result<(String, u64)> {
        self.with(|c| c.signer.clone()).issue(user_id, role)
    }

    /// A service token for `caller` to call `callee`.
    pub fn issue_service(&self, caller: &str, callee: &str) -> anyhow::Result<(String, u64)> {
        self.with(|c| c.signer.clone()).issue_service(caller, callee)
    }

    pub fn jwks(&self) -> Vec<Jwk> {
        self.with(|c| c.jwks.clone())
    }
}

/// Identity verifies tokens with its own ring: no network hop.
#[async_trait]
impl KeySource for KeyRing {
    async fn jwks(&self) -> anyhow::Result<Vec<Jwk>> {
        self.load(self.store.all().await?);
        Ok(KeyRing::jwks(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryKeyStore;

    #[tokio::test]
    async fn a_key_past_its_window_is_deleted_and_one_within_it_kept() {
        let store: Arc<dyn KeyStore> = Arc::new(MemoryKeyStore::default());
        let day = 24 * 3600;
        let expired = SigningKey { created_at: unix_now() - 5 * day, ..SigningKey::generate().unwrap() };
        let retired = SigningKey { created_at: unix_now() - day - 60, ..SigningKey::generate().unwrap() };
        store.put(&expired).await.unwrap();
        store.put(&retired).await.unwrap();
        let ring =
            KeyRing::open(store.clone(), Duration::from_secs(day as u64), Duration::from_secs(900)).await.unwrap();
        let kids: Vec<String> = store.all().await.unwrap().into_iter().map(|k| k.kid).collect();
        assert!(!kids.contains(&expired.kid), "the expired private key is gone");
        assert!(kids.contains(&retired.kid), "a retired key still verifies its tokens");
        assert_eq!(kids.len(), 2, "and a new one signs: {kids:?}");
        assert!(ring.jwks().iter().all(|k| k.kid != expired.kid));
    }
}
