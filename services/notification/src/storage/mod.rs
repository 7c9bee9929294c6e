//! Notification storage: messages (the delivery log), suppressed addresses, the lines
//! waiting for a digest, the shop's versions of the templates, and each account's choice of
//! optional notices. A MongoDB
//! and an embedded implementation held to one contract (`tests/store_contract.rs`).

mod digests;
mod memory;
mod mongo;
mod preferences;
mod templates;

use async_trait::async_trait;
use shop_service_kit::{Page, Paging};

pub use digests::{DigestLine, DigestStore, MemoryDigestStore, MongoDigestStore};
pub use memory::MemoryMessageStore;
pub use mongo::MongoMessageStore;
pub use preferences::{MemoryPreferenceStore, MongoPreferenceStore, PreferenceChange, PreferenceStore, Preferences};
pub use templates::{MemoryTemplateStore, MongoTemplateStore, TemplateStore, Version};

use crate::domain::{Message, Outcome, Status};

/// Which messages a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub status: Option<Status>,
    /// Exact address (any case).
    pub recipient: Option<String>,
}

impl Filter {
    pub fn matches(&self, m: &Message) -> bool {
        self.status.is_none_or(|s| s == m.status)
            && self.recipient.as_ref().is_none_or(|r| r.eq_ignore_ascii_case(&m.recipient))
    }
}

#[async_trait]
pub trait MessageStore: Send + Sync + 'static {
    /// Records a new message unless one with its id is recorded: whether it was new.
    async fn enqueue(&self, message: &Message) -> anyhow::Result<bool>;
    /// Claims up to `limit` messages due at `now` (or only the one `only` names, if due):
    /// each is held until `now + lease_ms` — no other claim gets it meanwhile — and its
    /// attempt counted. A claimer that dies leaves it to the next claim after the lease.
    async fn claim(&self, now: i64, lease_ms: i64, limit: usize, only: Option<&str>) -> anyhow::Result<Vec<Message>>;
    /// Records how an attempt ended.
    async fn record(&self, id: &str, outcome: &Outcome, now: i64) -> anyhow::Result<()>;
    async fn get(&self, id: &str) -> anyhow::Result<Option<Message>>;
    /// A page of the log, newest first.
    async fn list(&self, filter: &Filter, paging: Paging) -> anyhow::Result<Page<Message>>;
    /// Sends nothing more to `address` (it bounced for good).
    async fn suppress(&self, address: &str, reason: &str) -> anyhow::Result<()>;
    async fn is_suppressed(&self, address: &str) -> anyhow::Result<bool>;
}

/// What an outcome changes on its message: its status, the one detail it fills in (the
/// provider's message id, or the error — an earlier attempt's error stays on a message sent
/// later), and when it is next due (none: settled). Both stores write exactly this.
pub struct Change<'a> {
    pub status: Status,
    pub detail: Option<Detail<'a>>,
    pub next_attempt_at: Option<i64>,
}

pub enum Detail<'a> {
    ProviderMessageId(&'a str),
    Error(&'a str),
}

impl<'a> Change<'a> {
    pub fn of(outcome: &'a Outcome) -> Self {
        let (status, detail, next_attempt_at) = match outcome {
            Outcome::Sent { provider_message_id } => {
                (Status::Sent, Some(Detail::ProviderMessageId(provider_message_id.as_str())), None)
            }
            Outcome::Retry { error, at } => (Status::Pending, Some(Detail::Error(error.as_str())), Some(*at)),
            Outcome::Failed { error } => (Status::Failed, Some(Detail::Error(error.as_str())), None),
            Outcome::Dead { error } => (Status::Dead, Some(Detail::Error(error.as_str())), None),
            Outcome::Suppressed => (Status::Suppressed, None, None),
        };
        Self { status, detail, next_attempt_at }
    }

    /// The change made to a message held in memory.
    pub fn apply(&self, message: &mut Message, now: i64) {
        message.updated_at = now;
        message.status = self.status;
        message.next_attempt_at = self.next_attempt_at;
        match self.detail {
            Some(Detail::ProviderMessageId(id)) => message.provider_message_id = Some(id.to_owned()),
            Some(Detail::Error(error)) => message.last_error = Some(error.to_owned()),
            None => {}
        }
    }
}
