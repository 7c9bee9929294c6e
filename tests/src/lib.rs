//! Helpers for the cross-service tests: the platform in-process, or each service as its
//! own process (fleet), and typed calls to the gateway.

pub mod commerce;
pub mod fleet;
pub mod services;

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

/// A built binary of this workspace (`scripts/test` builds them before the tests run).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the binaries first (`cargo build --workspace --bins`, as scripts/test does)",
        path.display()
    );
    path
}

/// A child process killed when dropped.
pub struct Process {
    pub name: String,
    child: Child,
}

impl Process {
    pub fn spawn<K: AsRef<std::ffi::OsStr>>(name: &str, env: &[(K, String)]) -> Self {
        Self::spawn_with_hosts(name, env, None)
    }

    /// As [`Process::spawn`], resolving host names through `hosts` (an `/etc/hosts` of
    /// the test's, mounted in a mount namespace of the process's own — in a user namespace,
    /// so no privilege is needed — and nothing of the machine's changes): names that resolve to several addresses stand for a cluster's
    /// headless Services. The file is read at every lookup, so rewriting it in place is a
    /// DNS change the process sees.
    pub fn spawn_with_hosts<K: AsRef<std::ffi::OsStr>>(
        name: &str,
        env: &[(K, String)],
        hosts: Option<&std::path::Path>,
    ) -> Self {
        let mut cmd = match hosts {
            None => Command::new(binary(name)),
            Some(hosts) => {
                let mut cmd = Command::new("unshare");
                // A user namespace of its own too (`-r`): no privilege needed.
                cmd.args(["-r", "-m", "sh", "-c", r#"mount --bind "$0" /etc/hosts && exec "$@""#])
                    .arg(hosts)
                    .arg(binary(name));
                cmd
            }
        };
        cmd.env_remove("RUST_LOG")
            .env("SHOP_TELEMETRY__LOG_FILTER", "warn")
            .stdin(Stdio::null())
            // Logs go to stdout: `SHOP_TEST_SHOW_LOGS=1` shows them (warnings and errors).
            .stdout(if std::env::var_os("SHOP_TEST_SHOW_LOGS").is_some() { Stdio::inherit() } else { Stdio::null() })
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self { name: name.to_owned(), child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (e.g. `INT`, `TERM`, `KILL`) and waits for the exit.
    pub fn signal_and_wait(&mut self, signal: &str, timeout: Duration) -> std::process::ExitStatus {
        let sent =
            Command::new("kill").arg(format!("-{signal}")).arg(self.pid().to_string()).status().expect("kill command");
        assert!(sent.success(), "could not signal {}", self.name);
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(std::time::Instant::now() < deadline, "{} did not exit after SIG{signal}", self.name);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Process {
    /// Whether the process has not exited yet.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }

    /// Waits up to `timeout` for the process to exit by itself; its status, if it did.
    pub fn wait(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `GET url` answers `status`.
pub async fn wait_for_status(client: &reqwest::Client, url: &str, status: u16, timeout: Duration) -> bool {
    shop_test_support::eventually(timeout, || async {
        client.get(url).send().await.is_ok_and(|r| r.status().as_u16() == status)
    })
    .await
}

/// A typed client of the gateway's REST API.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
}

/// A response reduced to what tests look at.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: serde_json::Value,
    pub text: String,
}

impl Api {
    pub fn new(base: impl Into<String>) -> Self {
        Self { base: base.into(), client: shop_test_support::http() }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Reply {
        self.send_with(method, path, token, body, &[]).await
    }

    /// [`Api::send`] with extra request headers.
    pub async fn send_with(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request sent");
        let (status, headers) = (res.status().as_u16(), res.headers().clone());
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        Reply { status, headers, body, text }
    }

    /// POSTs `body` as a file of `content_type`.
    pub async fn upload(&self, path: &str, token: Option<&str>, content_type: &str, body: Vec<u8>) -> Reply {
        let mut req = self.client.post(format!("{}{path}", self.base)).header("content-type", content_type).body(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.expect("request sent");
        let (status, headers) = (res.status().as_u16(), res.headers().clone());
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        Reply { status, headers, body, text }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: serde_json::Value) -> Reply {
        self.send(reqwest::Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: serde_json::Value) -> Reply {
        self.send(reqwest::Method::PATCH, path, token, Some(body)).await
    }

    /// Registers a fresh customer; returns (email, password, session body).
    pub async fn register_customer(&self) -> (String, String, serde_json::Value) {
        let email = format!("{}@example.com", shop_test_support::unique("user"));
        let password = "a long enough passphrase".to_owned();
        let reply = self
            .post(
                "/api/v1/auth/register",
                None,
                serde_json::json!({"email": email, "password": password, "first_name": "Test"}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        (email, password, reply.body)
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post("/api/v1/auth/login", None, serde_json::json!({"email": email, "password": password})).await
    }
}

/// The whole session life cycle through the gateway, as a user lives it:
/// register → login → /me → refresh → old refresh token refused → logout → refresh refused;
/// and a second registration of the same email is a conflict.
pub async fn session_lifecycle(api: &Api) {
    let (email, password, registered) = api.register_customer().await;
    assert_eq!(registered["token_type"], "Bearer");
    assert_eq!(registered["user"]["email"], email);
    assert_eq!(registered["user"]["role"], "customer");
    assert!(registered["expires_in"].as_u64().unwrap() > 0);

    let login = api.login(&email.to_uppercase(), &password).await;
    assert_eq!(login.status, 200, "{}", login.text);
    let access = login.body["access_token"].as_str().unwrap().to_owned();
    let refresh = login.body["refresh_token"].as_str().unwrap().to_owned();

    let me = api.get("/api/v1/me", Some(&access)).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["email"], email);
    assert_eq!(me.body["id"], registered["user"]["id"]);

    let renewed = api.post("/api/v1/auth/refresh", None, serde_json::json!({"refresh_token": refresh})).await;
    assert_eq!(renewed.status, 200, "{}", renewed.text);
    let new_access = renewed.body["access_token"].as_str().unwrap().to_owned();
    let new_refresh = renewed.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, refresh);
    assert_eq!(api.get("/api/v1/me", Some(&new_access)).await.status, 200);

    let replay = api.post("/api/v1/auth/refresh", None, serde_json::json!({"refresh_token": refresh})).await;
    assert_eq!(replay.status, 401, "a rotated refresh token no longer works");
    assert_eq!(replay.body["code"], "invalid_refresh_token");

    // The replay revoked the whole session: the newer token is dead too.
    let after_replay = api.post("/api/v1/auth/refresh", None, serde_json::json!({"refresh_token": new_refresh})).await;
    assert_eq!(after_replay.status, 401);

    // A fresh session, ended by logout.
    let second = api.login(&email, &password).await;
    let (access, refresh) = (
        second.body["access_token"].as_str().unwrap().to_owned(),
        second.body["refresh_token"].as_str().unwrap().to_owned(),
    );
    let logout = api.post("/api/v1/auth/logout", Some(&access), serde_json::json!({"refresh_token": refresh})).await;
    assert_eq!(logout.status, 204, "{}", logout.text);
    let refused = api.post("/api/v1/auth/refresh", None, serde_json::json!({"refresh_token": refresh})).await;
    assert_eq!(refused.status, 401);

    let twice = api
        .post("/api/v1/auth/register", None, serde_json::json!({"email": email, "password": "another long passphrase"}))
        .await;
    assert_eq!(twice.status, 409);
    assert_eq!(twice.body["code"], "email_taken");
}

/// The all-in-one platform on free ports, with a client of its gateway.
pub struct Running {
    pub api: Api,
    pub shutdown: shop_platform::Shutdown,
    pub platform: shop::Platform,
}

/// The platform's test settings with the gateway's rate limits out of the way, for tests
/// that register many users or call many times from one address.
pub fn unthrottled() -> shop::Settings {
    let mut settings = shop::Settings::ephemeral();
    let generous = shop_gateway::ratelimit::Limit { per_minute: 100_000, burst: 10_000 };
    settings.rate_limits.anonymous = generous;
    settings.rate_limits.user = generous;
    settings.rate_limits.auth = generous;
    settings
}

impl Running {
    /// Starts the platform and waits until its gateway is ready.
    pub async fn start() -> Self {
        Self::start_with(&shop::Settings::ephemeral()).await
    }

    /// Starts the platform with `settings`.
    pub async fn start_with(settings: &shop::Settings) -> Self {
        let shutdown = shop_platform::Shutdown::new();
        let platform = shop::start(settings, shutdown.clone()).await.expect("platform starts");
        let api = Api::new(format!("http://{}", platform.gateway_addr));
        assert!(wait_for_status(&api.client, &format!("{}/readyz", api.base), 200, Duration::from_secs(10)).await);
        Self { api, shutdown, platform }
    }

    pub async fn stop(self) {
        self.shutdown.trigger();
        self.platform.stopped().await.expect("clean stop");
    }
}
