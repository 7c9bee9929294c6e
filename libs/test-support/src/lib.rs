//! Test helpers: the URLs of the real infrastructure, fresh names, free ports, an HTTP
//! client. Tests that need infrastructure fail loudly when it is missing; they never skip.

use std::{net::TcpListener, time::Duration};

/// MongoDB (or the stand-in) for tests: `SHOP_TEST_MONGO_URL`, default local.
pub fn mongo_url() -> String {
    std::env::var("SHOP_TEST_MONGO_URL").unwrap_or_else(|_| "mongodb://127.0.0.1:27017/?directConnection=true".into())
}

/// RabbitMQ for tests: `SHOP_TEST_AMQP_URL`, default local guest.
pub fn amqp_url() -> String {
    std::env::var("SHOP_TEST_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// Redis for tests: `SHOP_TEST_REDIS_URL`, default local.
pub fn redis_url() -> String {
    std::env::var("SHOP_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

/// Panics with a clear message unless something listens at `host:port` of `url`.
pub fn require(what: &str, url: &str) {
    let authority = url.split("://").nth(1).unwrap_or(url);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let host_port = authority.split(['/', '?']).next().unwrap_or(authority);
    let reachable = std::net::ToSocketAddrs::to_socket_addrs(host_port)
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok());
    assert!(reachable, "{what} is not reachable at {host_port}: start it (scripts/test does) or set SHOP_TEST_* URLs");
}

/// A name no other test run uses (databases, consumers, event types).
pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// A port that was free a moment ago (for child processes that must be told their port).
/// Taken below the kernel's ephemeral range (32768 and up), so no outgoing connection
/// takes it before the child binds it, and never twice in one test process.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 20_000;
    const SPAN: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    // Test binaries start at different places (they run one after another, but their
    // children may linger a moment).
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(7919) % SPAN,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    for _ in 0..SPAN {
        let port = u16::try_from(FIRST + NEXT.fetch_add(1, Ordering::Relaxed) % SPAN).expect("below 32768");
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port below the ephemeral range")
}

/// An HTTP client for talking to the gateway.
pub fn http() -> reqwest::Client {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    // Idle connections are dropped before the server's 5 s keep-alive closes them, so a
    // request never goes out on a connection the server is closing.
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .pool_idle_timeout(Duration::from_secs(2))
        .build()
        .expect("HTTP client")
}

/// Polls `check` every 50 ms until it is true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub mod oidc;
pub mod proxy;
pub mod smtp;

/// One test per contract check, each calling `super::<check>(<arguments>)`: a contract
/// suite is written once as functions, and each implementation's module lists the checks
/// with the store (or bus, or limiter) to run them on.
///
/// ```ignore
/// mod memory {
///     use super::*;
///     shop_test_support::contract_tests!(limits_hold(carts()), merges(carts()));
/// }
/// ```
#[macro_export]
macro_rules! contract_tests {
    ($($check:ident($($argument:expr),* $(,)?)),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                super::$check($($argument),*).await;
            }
        )*
    };
}

/// How long the TTL index on `field` of `collection` keeps a document, if it has one.
pub async fn ttl(db: &mongodb::Database, collection: &str, field: &str) -> Option<Duration> {
    use futures::TryStreamExt;
    let coll = db.collection::<mongodb::bson::Document>(collection);
    let indexes: Vec<mongodb::IndexModel> = coll.list_indexes().await.ok()?.try_collect().await.ok()?;
    indexes.into_iter().filter(|ix| ix.keys.keys().eq([field])).find_map(|ix| ix.options.and_then(|o| o.expire_after))
}

/// The value of the series `name` in a Prometheus scrape whose labels include every pair
/// of `labels` (in any order, others beside them), if there is one.
pub fn metric(scrape: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, pairs) = series.split_once('{').unwrap_or((series, "}"));
        let pairs: Vec<&str> = pairs.trim_end_matches('}').split(',').collect();
        let matches = metric == name && labels.iter().all(|(k, v)| pairs.contains(&format!("{k}=\"{v}\"").as_str()));
        if matches { value.parse().ok() } else { None }
    })
}
