//! A message the shop sends: what it says, to whom, why (the event and template), and how
//! its delivery went.

use sha2::{Digest, Sha256};

/// Where a message is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for its first or next attempt.
    Pending,
    Sent,
    /// Refused for good by the server (not retried).
    Failed,
    /// Every attempt failed: set aside for an operator (a dead letter).
    Dead,
    /// Not sent: the address bounced before.
    Suppressed,
}

impl Status {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Dead => "dead",
            Self::Suppressed => "suppressed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Sent, Self::Failed, Self::Dead, Self::Suppressed].into_iter().find(|v| v.as_str() == s)
    }
}

/// What a message says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Content {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The link the message is about (verification, reset), shown in the dev mailbox's log
    /// line.
    pub link: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Derived from (event, template, recipient): the same notice is recorded once.
    pub id: String,
    pub event_id: String,
    pub template: String,
    /// [`EMAIL`] or [`SMS`].
    pub channel: String,
    pub recipient: String,
    pub user_id: String,
    pub content: Content,
    pub status: Status,
    pub attempts: u32,
    /// When the next attempt is due (Unix ms); none once the message is settled.
    pub next_attempt_at: Option<i64>,
    pub provider_message_id: Option<String>,
    pub last_error: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    pub updated_at: i64,
}

/// The channel of mail, and of text messages.
pub const EMAIL: &str = "email";
pub const SMS: &str = "sms";

/// The id of the message `template` sends to `recipient` about event `event_id`.
pub fn message_id(event_id: &str, template: &str, recipient: &str) -> String {
    let digest = Sha256::digest(format!("{event_id}\n{template}\n{}", recipient.to_lowercase()).as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

impl Message {
    /// A new message, due now.
    pub fn new(event_id: &str, template: &str, recipient: &str, user_id: &str, content: Content, now: i64) -> Self {
        Self {
            id: message_id(event_id, template, recipient),
            event_id: event_id.to_owned(),
            template: template.to_owned(),
            channel: EMAIL.to_owned(),
            recipient: recipient.to_lowercase(),
            user_id: user_id.to_owned(),
            content,
            status: Status::Pending,
            attempts: 0,
            next_attempt_at: Some(now),
            provider_message_id: None,
            last_error: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// The same message sent through `channel` (an email unless said).
    pub fn via(self, channel: &str) -> Self {
        Self { channel: channel.to_owned(), ..self }
    }
}

/// How an attempt ended, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        provider_message_id: String,
    },
    /// Failed for now: try again at `at` (Unix ms).
    Retry {
        error: String,
        at: i64,
    },
    Failed {
        error: String,
    },
    Dead {
        error: String,
    },
    Suppressed,
}

pub use shop_platform::now_ms;
