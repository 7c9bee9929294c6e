//! Argon2id password hashing (OWASP: m = 19 MiB, t = 2, p = 1) on a small pool of its own
//! threads, off the async runtime. The pool is as large as the allowed concurrency, and its
//! threads run at the lowest CPU priority (nice 19), so a login storm slows logins down but
//! leaves the cores to everything else first.

use std::sync::{Arc, Mutex};

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::{mpsc, oneshot};

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct Hasher {
    jobs: mpsc::Sender<Job>,
    /// A hash of a random password, verified against when an account does not exist so
    /// that unknown and known emails take the same time.
    decoy: Arc<String>,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Jobs waiting beyond this make callers wait to enqueue (backpressure).
const QUEUE: usize = 1024;

fn lower_priority() {
    use thread_priority::{ThreadPriority, ThreadPriorityValue, set_current_thread_priority};
    // 0 on the 0..99 scale is nice 19 for ordinary threads.
    let lowered = ThreadPriorityValue::try_from(0u8).map(ThreadPriority::Crossplatform);
    if let Err(err) =
        lowered.map_err(|e| format!("{e:?}")).and_then(|p| set_current_thread_priority(p).map_err(|e| format!("{e:?}")))
    {
        tracing::debug!(error = %err, "hashing threads keep the default priority");
    }
}

impl Hasher {
    /// `concurrency` 0 means one less than the cores (at least one).
    pub async fn new(concurrency: usize) -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let threads = if concurrency == 0 { cores.saturating_sub(1).max(1) } else { concurrency };
        let (jobs, queue) = mpsc::channel::<Job>(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || {
                lower_priority();
                loop {
                    // The lock is held only while waiting for the next job.
                    let job = shop_platform::lock(&queue).blocking_recv();
                    match job {
                        Some(job) => job(),
                        None => return,
                    }
                }
            })?;
        }
        let mut hasher = Self { jobs, decoy: Arc::new(String::new()) };
        let random = uuid::Uuid::new_v4().to_string();
        hasher.decoy = Arc::new(hasher.hash(&random).await?);
        Ok(hasher)
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(work());
        });
        self.jobs.send(job).await.map_err(|_| anyhow::anyhow!("the hashing pool stopped"))?;
        Ok(rx.await?)
    }

    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let password = password.to_owned();
        self.run(move || argon2().hash_password(password.as_bytes()).map(|h| h.to_string()))
            .await?
            .map_err(|e| anyhow::anyhow!("hashing: {e}"))
    }

    /// Whether `password` matches `hash`; with no hash, spends the same time and says no.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> anyhow::Result<bool> {
        let known = hash.is_some();
        let (password, hash) = (password.to_owned(), hash.map_or_else(|| self.decoy.to_string(), str::to_owned));
        let matched = self.run(move || argon2().verify_password(password.as_bytes(), hash.as_str()).is_ok()).await?;
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

    #[tokio::test]
    async fn concurrent_hashes_all_complete() {
        let hasher = Hasher::new(2).await.unwrap();
        let hashes = futures::future::join_all((0..6).map(|i| {
            let hasher = hasher.clone();
            async move { hasher.hash(&format!("password number {i}")).await }
        }))
        .await;
        assert!(hashes.iter().all(Result::is_ok));
    }
}
