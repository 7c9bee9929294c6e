//! Mail over SMTP, through a small pool of connections (TLS, STARTTLS and authentication
//! as `SHOP_SMTP_URL` says), each message committed in two steps: its text goes out, the
//! sender's `commit` notes it (the delivery journal), and only then the final `.` that
//! makes the server take it. A process killed at any point has either noted the message or
//! not given it to the server — never given it unnoted, which would send it twice.

use std::{sync::Mutex, time::Duration};

use async_trait::async_trait;
use lettre::{
    Address as Email,
    message::{Mailbox as Address, MultiPart},
    transport::smtp::{
        authentication::{Credentials, Mechanism},
        client::{AsyncSmtpConnection, TlsParameters},
        commands::{Data, Mail, Rcpt},
        extension::ClientId,
    },
};
use shop_platform::lock;

use crate::channels::{Channel, Outgoing, SendError};

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// `smtp://` without `tls`: plain (a relay on the same host or network only).
    Plain,
    /// `smtp://…?tls=required` (or `opportunistic`): upgraded with STARTTLS.
    StartTls { required: bool },
    /// `smtps://`: TLS from the first byte.
    Tls,
}

/// Connections kept open between messages, and how long one may idle.
const MAX_IDLE: usize = 8;
const IDLE_FOR: Duration = Duration::from_secs(30);
const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Smtp {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    from: Address,
    domain: String,
    idle: Mutex<Vec<(AsyncSmtpConnection, std::time::Instant)>>,
}

fn transient(err: &lettre::transport::smtp::Error) -> SendError {
    SendError::Transient(err.to_string())
}

/// What an SMTP failure means for the message.
fn classify(err: &lettre::transport::smtp::Error) -> SendError {
    let text = err.to_string();
    if err.is_permanent() {
        // 550/551/553: the mailbox does not exist or is not accepted; other 5xx refuse
        // this message only.
        let bounced = err.status().is_some_and(|code| matches!(code.to_string().as_str(), "550" | "551" | "553"));
        if bounced { SendError::Bounced(text) } else { SendError::Permanent(text) }
    } else {
        SendError::Transient(text)
    }
}

/// The message text, then — when it has all been handed over — its commit.
struct Committing<'a> {
    text: Option<&'a [u8]>,
    commit: Option<Box<dyn FnOnce() + Send + 'a>>,
}

impl<'a> Iterator for Committing<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let text = self.text.take();
        if text.is_none()
            && let Some(commit) = self.commit.take()
        {
            commit();
        }
        text
    }
}

impl Smtp {
    /// `url`: `smtps://user:pass@host[:465]`, `smtp://user:pass@host[:587]?tls=required`,
    /// `smtp://host[:25]` (plain).
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let from: Address = from.parse().map_err(|e| anyhow::anyhow!("mail_from {from:?}: {e}"))?;
        let url = url::Url::parse(url).map_err(|e| anyhow::anyhow!("SHOP_SMTP_URL is not a URL: {e}"))?;
        let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let (security, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtps", _) => (Security::Tls, 465),
            ("smtp", Some("required")) => (Security::StartTls { required: true }, 587),
            ("smtp", Some("opportunistic")) => (Security::StartTls { required: false }, 587),
            ("smtp", None) => (Security::Plain, 25),
            _ => anyhow::bail!("SHOP_SMTP_URL: smtps://… or smtp://…[?tls=required|opportunistic]"),
        };
        let host = url.host_str().ok_or_else(|| anyhow::anyhow!("SHOP_SMTP_URL names no host"))?.to_owned();
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let credentials = (!url.username().is_empty())
            .then(|| Credentials::new(decode(url.username()), decode(url.password().unwrap_or_default())));
        let domain = from.email.domain().to_owned();
        Ok(Self {
            port: url.port().unwrap_or(default_port),
            host,
            security,
            credentials,
            hello: ClientId::default(),
            from,
            domain,
            idle: Mutex::new(Vec::new()),
        })
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let tls = || TlsParameters::new(self.host.clone()).map_err(|e| SendError::Permanent(format!("TLS: {e}")));
        let wrapped = if self.security == Security::Tls { Some(tls()?) } else { None };
        let address = (self.host.as_str(), self.port);
        let mut conn = AsyncSmtpConnection::connect_tokio1(address, Some(TIMEOUT), &self.hello, wrapped, None)
            .await
            .map_err(|e| transient(&e))?;
        if let Security::StartTls { required } = self.security {
            if conn.can_starttls() {
                conn.starttls(tls()?, &self.hello).await.map_err(|e| transient(&e))?;
            } else if required {
                return Err(SendError::Transient("the mail server offers no STARTTLS".into()));
            }
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials).await.map_err(|e| classify(&e))?;
        }
        Ok(conn)
    }

    /// An idle connection still fresh, or a new one.
    async fn connection(&self) -> Result<(AsyncSmtpConnection, bool), SendError> {
        let reused = {
            let mut idle = lock(&self.idle);
            idle.retain(|(c, since)| since.elapsed() < IDLE_FOR && !c.has_broken());
            idle.pop()
        };
        match reused {
            Some((conn, _)) => Ok((conn, true)),
            None => Ok((self.connect().await?, false)),
        }
    }
}

#[async_trait]
impl Channel for Smtp {
    async fn send(&self, message: Outgoing<'_>) -> Result<String, SendError> {
        let to: Address = message.to.parse().map_err(|e| SendError::Bounced(format!("not an address: {e}")))?;
        let message_id = format!("<{}@{}>", message.id, self.domain);
        let mail = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.content.subject.clone())
            .message_id(Some(message_id.clone()))
            .multipart(MultiPart::alternative_plain_html(message.content.text.clone(), message.content.html.clone()))
            .map_err(|e| SendError::Permanent(format!("the message cannot be built: {e}")))?;
        let recipients: Vec<Email> = mail.envelope().to().to_vec();
        let text = mail.formatted();
        let (mut conn, mut reused) = self.connection().await?;
        loop {
            let mut committed = false;
            let outcome = async {
                conn.command(Mail::new(Some(self.from.email.clone()), vec![])).await?;
                for recipient in &recipients {
                    conn.command(Rcpt::new(recipient.clone(), vec![])).await?;
                }
                conn.command(Data).await?;
                let commit = Box::new(|| {
                    committed = true;
                    (message.commit)(&message_id);
                });
                conn.message_iter(Committing { text: Some(&text), commit: Some(commit) }).await
            }
            .await;
            match outcome {
                Ok(_) => {
                    let mut idle = lock(&self.idle);
                    if idle.len() < MAX_IDLE {
                        idle.push((conn, std::time::Instant::now()));
                    }
                    return Ok(message_id);
                }
                // A kept connection the server closed meanwhile: once more on a new one
                // (nothing was handed over).
                Err(err) if reused && !committed && err.status().is_none() => {
                    conn.abort().await;
                    conn = self.connect().await?;
                    reused = false;
                }
                Err(err) => {
                    conn.abort().await;
                    return Err(classify(&err));
                }
            }
        }
    }
}
