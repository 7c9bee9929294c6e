//! Helpers for the cross-service tests: the platform in-process, or each service as its
//! own process (fleet), and typed calls to the gateway.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

/// A built binary of this workspace (`scripts/test` builds them before the tests run).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
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
    pub fn spawn(name: &str, env: &[(&str, String)]) -> Self {
        let mut cmd = Command::new(binary(name));
        cmd.env_remove("RUST_LOG")
            .env("SHOP_TELEMETRY__LOG_FILTER", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self {
            name: name.to_owned(),
            child,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (e.g. `INT`, `TERM`, `KILL`) and waits for the exit.
    pub fn signal_and_wait(&mut self, signal: &str, timeout: Duration) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill command");
        assert!(sent.success(), "could not signal {}", self.name);
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} did not exit after SIG{signal}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `GET url` answers `status`.
pub async fn wait_for_status(
    client: &reqwest::Client,
    url: &str,
    status: u16,
    timeout: Duration,
) -> bool {
    shop_test_support::eventually(timeout, || async {
        client
            .get(url)
            .send()
            .await
            .is_ok_and(|r| r.status().as_u16() == status)
    })
    .await
}
