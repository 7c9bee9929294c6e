//! A real SMTP server for tests (`scripts/smtp-sink`, aiosmtpd from the tools venv that
//! `scripts/test` installs): every accepted message kept and readable, refusals scripted.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use crate::{eventually, free_port};

/// A message as the server received it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    /// The value of `name=` in the first link of the text part that has it (`token`).
    pub fn link_param(&self, name: &str) -> Option<String> {
        let key = format!("{name}=");
        let start = self.text.find(&key)? + key.len();
        let rest = &self.text[start..];
        Some(rest.split(|c: char| c.is_whitespace() || c == '&').next().unwrap_or_default().to_owned())
    }
}

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    api: String,
    client: reqwest::Client,
}

/// The tools venv's Python, where `scripts/test` installs aiosmtpd.
fn python() -> String {
    let state = std::env::var("SHOP_STATE_DIR").unwrap_or_else(|_| "/var/tmp/shop".to_owned());
    format!("{state}/venv/bin/python")
}

impl SmtpSink {
    /// Starts a server on free loopback ports; panics (with what to run) when it cannot.
    pub async fn start() -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/smtp-sink");
        let (port, api_port) = (free_port(), free_port());
        let child = Command::new(python())
            .arg(script)
            .args(["--smtp-port", &port.to_string(), "--api-port", &api_port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the SMTP server ({e}): run scripts/test, which installs it"));
        let sink = Self { child, port, api: format!("http://127.0.0.1:{api_port}"), client: crate::http() };
        let up = eventually(Duration::from_secs(20), || async { sink.try_messages().await.is_some() }).await;
        assert!(up, "the SMTP server did not start (is aiosmtpd in {}?)", python());
        sink
    }

    /// The URL a service sends through.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    async fn try_messages(&self) -> Option<Vec<Mail>> {
        let response = self.client.get(format!("{}/messages", self.api)).send().await.ok()?;
        response.json().await.ok()
    }

    /// Every message accepted so far, oldest first.
    pub async fn messages(&self) -> Vec<Mail> {
        self.try_messages().await.expect("the SMTP server answers")
    }

    /// The messages to `to`.
    pub async fn to(&self, to: &str) -> Vec<Mail> {
        self.messages().await.into_iter().filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to))).collect()
    }

    /// Waits until `count` messages to `to` arrived (and returns them), or panics.
    pub async fn wait_for(&self, to: &str, count: usize, timeout: Duration) -> Vec<Mail> {
        let arrived = eventually(timeout, || async { self.to(to).await.len() >= count }).await;
        let mail = self.to(to).await;
        assert!(arrived, "expected {count} messages to {to} within {timeout:?}, got {}: {mail:#?}", mail.len());
        mail
    }

    /// Answers the next DATA commands of mail to `to` with these codes (then accepts again).
    pub async fn refuse(&self, to: &str, codes: &[u16]) {
        let body = format!("{{\"codes\": {codes:?}, \"to\": \"{to}\"}}");
        self.post("/refuse", body).await;
    }

    /// Refuses `address` as unknown (550) from now on.
    pub async fn bounce(&self, address: &str) {
        self.post("/bounce", format!("{{\"address\": \"{address}\"}}")).await;
    }

    async fn post(&self, path: &str, body: String) {
        let response =
            self.client.post(format!("{}{path}", self.api)).body(body).send().await.expect("SMTP server API");
        assert!(response.status().is_success(), "SMTP server API {path}: {}", response.status());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
