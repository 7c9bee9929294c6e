//! Signing keys at rest: a private key is sealed with the key-encryption key (KEK) from the
//! settings before it reaches the store, and opened when loaded, so a copy of the database
//! (a backup, a dump, a replica's disk) holds no usable signing key.
//!
//! Sealed form: `1 ‖ nonce (12) ‖ ChaCha20-Poly1305(private key)`, with the key id as
//! associated data (a sealed key moved to another id does not open). The KEK is rotated by
//! giving the new one and, for a while, the previous one: keys sealed with the previous one
//! still open and are sealed again with the new one when identity starts.

use std::sync::Arc;

use async_trait::async_trait;
use chacha20poly1305::{
    ChaCha20Poly1305, KeyInit, Nonce,
    aead::{Aead, Payload},
};
use sha2::{Digest, Sha256};
use shop_auth::SigningKey;
use shop_platform::settings::Secret;

use crate::storage::KeyStore;

/// The format byte of a sealed key.
const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 12;
/// Shortest KEK accepted: it is generated, never remembered.
pub const MIN_KEK_LEN: usize = 32;

/// Seals and opens private keys with the current KEK (and opens with the previous one).
pub struct Sealer {
    current: ChaCha20Poly1305,
    previous: Option<ChaCha20Poly1305>,
}

fn cipher(kek: &Secret, name: &str) -> anyhow::Result<ChaCha20Poly1305> {
    anyhow::ensure!(kek.expose().len() >= MIN_KEK_LEN, "{name} must have at least {MIN_KEK_LEN} characters");
    let key: [u8; 32] = Sha256::digest(kek.expose().as_bytes()).into();
    Ok(ChaCha20Poly1305::new(&key.into()))
}

/// How a stored private key was found.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    /// Sealed with the current KEK.
    Current(Vec<u8>),
    /// Sealed with the previous KEK, or stored before keys were sealed: seal it again.
    Stale(Vec<u8>),
}

impl Sealer {
    pub fn new(kek: &Secret, previous: Option<&Secret>) -> anyhow::Result<Self> {
        Ok(Self {
            current: cipher(kek, "SHOP_SIGNING_KEY_KEK")?,
            previous: previous.map(|p| cipher(p, "SHOP_SIGNING_KEY_KEK_PREVIOUS")).transpose()?,
        })
    }

    pub fn seal(&self, kid: &str, private: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
        let payload = Payload { msg: private, aad: kid.as_bytes() };
        let sealed =
            self.current.encrypt(Nonce::from_slice(&nonce), payload).map_err(|_| anyhow::anyhow!("sealing"))?;
        Ok([&[SEALED_V1][..], &nonce, &sealed].concat())
    }

    pub fn open(&self, kid: &str, stored: &[u8]) -> anyhow::Result<Opened> {
        match stored.split_first() {
            Some((&SEALED_V1, rest)) if rest.len() > NONCE_LEN => {
                let (nonce, sealed) = rest.split_at(NONCE_LEN);
                let open = |c: &ChaCha20Poly1305| {
                    c.decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: kid.as_bytes() }).ok()
                };
                if let Some(private) = open(&self.current) {
                    return Ok(Opened::Current(private));
                }
                match self.previous.as_ref().and_then(open) {
                    Some(private) => Ok(Opened::Stale(private)),
                    None => anyhow::bail!("signing key {kid} does not open with the configured key-encryption key"),
                }
            }
            // PKCS#8 DER (a SEQUENCE): a key stored before sealing began.
            Some((0x30, _)) => Ok(Opened::Stale(stored.to_vec())),
            _ => anyhow::bail!("signing key {kid} is stored in an unknown form"),
        }
    }
}

/// A key store whose private keys are sealed at rest.
pub struct SealedKeyStore {
    inner: Arc<dyn KeyStore>,
    sealer: Sealer,
}

impl SealedKeyStore {
    /// Wraps `inner`, sealing again (with the current KEK) every key found sealed with the
    /// previous one or not sealed at all.
    pub async fn open(inner: Arc<dyn KeyStore>, sealer: Sealer) -> anyhow::Result<Self> {
        let store = Self { inner, sealer };
        for stored in store.inner.all().await? {
            if let Opened::Stale(private) = store.sealer.open(&stored.kid, &stored.private_pkcs8)? {
                let resealed = SigningKey { private_pkcs8: store.sealer.seal(&stored.kid, &private)?, ..stored };
                store.inner.put(&resealed).await?;
                tracing::info!(kid = %resealed.kid, "signing key sealed with the current key-encryption key");
            }
        }
        Ok(store)
    }
}

#[async_trait]
impl KeyStore for SealedKeyStore {
    async fn all(&self) -> anyhow::Result<Vec<SigningKey>> {
        let stored = self.inner.all().await?;
        stored
            .into_iter()
            .map(|k| {
                let private = match self.sealer.open(&k.kid, &k.private_pkcs8)? {
                    Opened::Current(p) | Opened::Stale(p) => p,
                };
                Ok(SigningKey { private_pkcs8: private, ..k })
            })
            .collect()
    }

    async fn put(&self, key: &SigningKey) -> anyhow::Result<()> {
        let sealed = SigningKey { private_pkcs8: self.sealer.seal(&key.kid, &key.private_pkcs8)?, ..key.clone() };
        self.inner.put(&sealed).await
    }

    async fn remove(&self, kid: &str) -> anyhow::Result<()> {
        self.inner.remove(kid).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryKeyStore;

    fn kek(c: char) -> Secret {
        Secret::new(c.to_string().repeat(40))
    }

    #[test]
    fn a_sealed_key_opens_only_with_its_kek_and_its_id() {
        let sealer = Sealer::new(&kek('a'), None).unwrap();
        let sealed = sealer.seal("kid-1", b"private key bytes").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"private"), "nothing in the clear");
        assert_eq!(sealer.open("kid-1", &sealed).unwrap(), Opened::Current(b"private key bytes".to_vec()));
        assert!(sealer.open("kid-2", &sealed).is_err(), "bound to its key id");
        assert!(Sealer::new(&kek('b'), None).unwrap().open("kid-1", &sealed).is_err(), "another KEK");
        let rotated = Sealer::new(&kek('b'), Some(&kek('a'))).unwrap();
        assert_eq!(rotated.open("kid-1", &sealed).unwrap(), Opened::Stale(b"private key bytes".to_vec()));
        assert!(Sealer::new(&Secret::new("short"), None).is_err());
    }

    #[tokio::test]
    async fn keys_are_sealed_in_the_store_and_sealed_again_after_a_rotation() {
        let raw: Arc<dyn KeyStore> = Arc::new(MemoryKeyStore::default());
        let key = SigningKey::generate().unwrap();
        raw.put(&key).await.unwrap(); // stored before sealing began
        let first = SealedKeyStore::open(raw.clone(), Sealer::new(&kek('a'), None).unwrap()).await.unwrap();
        assert_ne!(raw.all().await.unwrap()[0].private_pkcs8, key.private_pkcs8, "sealed at start");
        assert_eq!(first.all().await.unwrap()[0].private_pkcs8, key.private_pkcs8);
        let second = SealedKeyStore::open(raw.clone(), Sealer::new(&kek('b'), Some(&kek('a'))).unwrap()).await.unwrap();
        assert_eq!(second.all().await.unwrap()[0].private_pkcs8, key.private_pkcs8);
        let only_new = SealedKeyStore::open(raw, Sealer::new(&kek('b'), None).unwrap()).await.unwrap();
        assert_eq!(only_new.all().await.unwrap()[0].private_pkcs8, key.private_pkcs8, "re-sealed with the new KEK");
    }
}
