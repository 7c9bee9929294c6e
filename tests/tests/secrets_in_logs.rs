//! Passwords and tokens never reach the logs, and responses never carry a password or
//! its hash — checked on everything the platform logs at debug level.

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::json;
use shop::{Settings, start};
use shop_e2e::Api;
use shop_platform::Shutdown;
use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;

    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

#[tokio::test]
async fn passwords_never_appear_in_logs_or_responses() {
    let logs = Captured::default();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::new("debug"))
        .with_writer(logs.clone())
        .try_init()
        .expect("first subscriber");

    let shutdown = Shutdown::new();
    let platform = start(&Settings::ephemeral(), shutdown.clone()).await.unwrap();
    let api = Api::new(format!("http://{}", platform.gateway_addr));
    assert!(
        shop_e2e::wait_for_status(&api.client, &format!("{}/readyz", api.base), 200, Duration::from_secs(10)).await
    );

    let password = "Tr0ub4dor&3-unmistakable-secret";
    let email = "logcheck@example.com";
    let mut replies = Vec::new();
    replies.push(api.post("/api/v1/auth/register", None, json!({"email": email, "password": password})).await);
    replies.push(api.login(email, password).await);
    replies.push(api.login(email, "Tr0ub4dor&3-wrong-guess-secret").await);
    replies.push(api.post("/api/v1/auth/register", None, json!({"email": email, "password": password})).await);
    let refresh = replies[1].body["refresh_token"].as_str().unwrap().to_owned();
    let access = replies[1].body["access_token"].as_str().unwrap().to_owned();
    replies.push(api.post("/api/v1/auth/refresh", None, json!({"refresh_token": refresh})).await);
    replies.push(api.get("/api/v1/me", Some(&access)).await);
    assert_eq!(replies.iter().map(|r| r.status).collect::<Vec<_>>(), [201, 200, 401, 409, 200, 200]);

    shutdown.trigger();
    platform.stopped().await.unwrap();
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("account registered"), "the capture works: {} bytes", logs.len());
    for secret in [password, "wrong-guess", refresh.as_str(), access.as_str()] {
        assert!(!logs.contains(secret), "a secret leaked into the logs");
    }
    for reply in &replies {
        assert!(!reply.text.contains(password) && !reply.text.contains("argon2"), "{}", reply.text);
    }
}
