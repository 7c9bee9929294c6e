//! A real SMTP server for tests (`scripts/smtp-sink`, aiosmtpd from the tools venv that
//! `scripts/test` installs): every accepted message kept and readable, refusals scripted.
//! Beside it, on its HTTP port, an SMS provider taking text messages as JSON or as Twilio
//! does.

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

/// A text message as the SMS provider took it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Text {
    /// `json` or `twilio`: the request shape it came in.
    pub format: String,
    pub to: String,
    pub from: String,
    pub text: String,
    pub id: String,
    pub idempotency_key: Option<String>,
    /// The `Authorization` header it came with.
    pub authorization: Option<String>,
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

    /// The SMS provider's endpoint for `format` (`json` or `twilio`), as `SHOP_SMS_URL`.
    pub fn sms_url(&self, format: &str) -> String {
        match format {
            "twilio" => format!(
                "{}/sms/twilio/2010-04-01/Accounts/AC0001/Messages.json",
                self.api.replace("://", "://AC0001:twilio-secret@")
            ),
            _ => format!("{}/sms/json", self.api),
        }
    }

    /// Every text message taken so far, oldest first.
    pub async fn texts(&self) -> Vec<Text> {
        let response = self.client.get(format!("{}/texts", self.api)).send().await.expect("SMS provider answers");
        response.json().await.expect("text messages as JSON")
    }

    /// Waits until `count` text messages to `to` arrived (and returns them), or panics.
    pub async fn wait_for_texts(&self, to: &str, count: usize, timeout: Duration) -> Vec<Text> {
        let to_them = || async { self.texts().await.into_iter().filter(|t| t.to == to).collect::<Vec<_>>() };
        let arrived = eventually(timeout, || async { to_them().await.len() >= count }).await;
        let texts = to_them().await;
        assert!(arrived, "expected {count} text messages to {to} within {timeout:?}, got {}: {texts:#?}", texts.len());
        texts
    }

    /// Answers the next text messages with these statuses and this JSON body.
    pub async fn refuse_texts(&self, codes: &[u16], body: &str) {
        self.post("/refuse-sms", format!("{{\"codes\": {codes:?}, \"body\": {body}}}")).await;
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
