//! Where messages go: a mail server over SMTP, or the dev mailbox (a shop without a mail
//! server: kept in memory, listed to admins, each message logged with its link). Both
//! behind [`Channel`], which says whether a failure is worth another attempt.

use std::{collections::VecDeque, sync::Mutex, time::Duration};

use async_trait::async_trait;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
    message::{Mailbox as Address, MultiPart},
    transport::smtp::PoolConfig,
};
use shop_platform::lock;

use crate::domain::{Content, now_ms};

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth another attempt later (a 4xx reply, the server unreachable).
    Transient(String),
    /// Refused for good (a 5xx reply): not retried.
    Permanent(String),
    /// The address itself is refused for good (no such mailbox): not retried, and the
    /// address is sent nothing more.
    Bounced(String),
}

/// One message to send.
pub struct Outgoing<'a> {
    /// The message's id: its `Message-ID` (a server or a reader can tell a repeat).
    pub id: &'a str,
    pub to: &'a str,
    pub content: &'a Content,
}

#[async_trait]
pub trait Channel: Send + Sync + 'static {
    /// Sends one message: the provider's id for it.
    async fn send(&self, message: Outgoing<'_>) -> Result<String, SendError>;
}

/// Mail over SMTP through a pool of connections (TLS, STARTTLS and authentication as the
/// URL says).
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Address,
    domain: String,
}

impl Smtp {
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let from: Address = from.parse().map_err(|e| anyhow::anyhow!("mail_from {from:?}: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("SHOP_SMTP_URL is not an SMTP URL: {e}"))?
            .timeout(Some(Duration::from_secs(30)))
            .pool_config(PoolConfig::new().max_size(8))
            .build();
        let domain = from.email.domain().to_owned();
        Ok(Self { transport, from, domain })
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
        match self.transport.send(mail).await {
            Ok(_) => Ok(message_id),
            Err(err) => Err(classify(&err)),
        }
    }
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

/// A message as the dev mailbox keeps it.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub id: String,
    pub to: String,
    pub content: Content,
    /// Unix ms.
    pub at: i64,
}

/// The dev mailbox: the last `capacity` messages, newest first when listed.
pub struct Mailbox {
    held: Mutex<VecDeque<Delivered>>,
    capacity: usize,
}

impl Mailbox {
    pub fn new(capacity: usize) -> Self {
        Self { held: Mutex::new(VecDeque::new()), capacity: capacity.max(1) }
    }

    /// Newest first.
    pub fn messages(&self) -> Vec<Delivered> {
        lock(&self.held).iter().rev().cloned().collect()
    }
}

#[async_trait]
impl Channel for Mailbox {
    async fn send(&self, message: Outgoing<'_>) -> Result<String, SendError> {
        let content = message.content;
        // The one place the link is shown: a newcomer follows it from the log.
        tracing::info!(
            to = message.to,
            subject = content.subject,
            link = content.link.as_deref().unwrap_or("-"),
            "mail delivered to the dev mailbox"
        );
        let mut held = lock(&self.held);
        held.push_back(Delivered {
            id: message.id.to_owned(),
            to: message.to.to_owned(),
            content: content.clone(),
            at: now_ms(),
        });
        while held.len() > self.capacity {
            held.pop_front();
        }
        Ok(format!("mailbox-{}", message.id))
    }
}
