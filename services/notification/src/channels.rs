//! Where messages go: a mail server over SMTP (`crate::smtp`), a text-message provider over
//! HTTP (`crate::sms`), or the dev mailbox (a shop without either: kept in memory, listed to
//! admins, each message logged with its link). Each behind [`Channel`], which says whether
//! a failure is worth another attempt.

use std::{collections::VecDeque, sync::Mutex};

use async_trait::async_trait;
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
    /// `email` or `sms`.
    pub channel: &'a str,
    /// An address, or a phone number in international form.
    pub to: &'a str,
    pub content: &'a Content,
    /// Called with the provider's id for the message at the last moment before the
    /// provider takes it (over SMTP: before the final `.`): the sender notes it there.
    pub commit: &'a (dyn Fn(&str) + Send + Sync),
}

#[async_trait]
pub trait Channel: Send + Sync + 'static {
    /// Sends one message: the provider's id for it.
    async fn send(&self, message: Outgoing<'_>) -> Result<String, SendError>;
}

/// A message as the dev mailbox keeps it.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub id: String,
    pub channel: String,
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
            channel = message.channel,
            to = message.to,
            subject = content.subject,
            link = content.link.as_deref().unwrap_or("-"),
            "message delivered to the dev mailbox"
        );
        let id = format!("mailbox-{}", message.id);
        (message.commit)(&id);
        let mut held = lock(&self.held);
        held.push_back(Delivered {
            id: message.id.to_owned(),
            channel: message.channel.to_owned(),
            to: message.to.to_owned(),
            content: content.clone(),
            at: now_ms(),
        });
        while held.len() > self.capacity {
            held.pop_front();
        }
        Ok(id)
    }
}
