//! Argon2id password hashing (OWASP: m = 19 MiB, t = 2, p = 1), off the async runtime and
//! with bounded concurrency so a login storm cannot starve everything else of CPU.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when an account does not exist so
    /// that unknown and known emails take the same time.
    decoy: Arc<String>,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl Hasher {
    /// `concurrency` 0 means one less than the cores (at least one).
    pub async fn new(concurrency: usize) -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let permits = if concurrency == 0 { cores.saturating_sub(1).max(1) } else { concurrency };
        let decoy = tokio::task::spawn_blocking(|| {
            let random = uuid::Uuid::new_v4().to_string();
            argon2().hash_password(random.as_bytes()).map(|h| h.to_string())
        })
        .await?
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
        Ok(Self { permits: Arc::new(Semaphore::new(permits)), decoy: Arc::new(decoy) })
    }

    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || argon2().hash_password(password.as_bytes()).map(|h| h.to_string()))
            .await?
            .map_err(|e| anyhow::anyhow!("hashing: {e}"))
    }

    /// Whether `password` matches `hash`; with no hash, spends the same time and says no.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> anyhow::Result<bool> {
        let _permit = self.permits.acquire().await?;
        let known = hash.is_some();
        let (password, hash) = (password.to_owned(), hash.map_or_else(|| self.decoy.to_string(), str::to_owned));
        let matched =
            tokio::task::spawn_blocking(move || argon2().verify_password(password.as_bytes(), hash.as_str()).is_ok())
                .await?;
        Ok(known && matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hasher = Hasher::new(1).await.unwrap();
        let hash = hasher.hash("correct horse battery staple").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(hasher.verify("correct horse battery staple", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("wrong horse battery staple", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("correct horse battery staple", None).await.unwrap());
    }
}
