//! Notification storage: messages (the delivery log), suppressed addresses, the lines
//! waiting for a digest, and the shop's versions of the templates. A MongoDB
//! and an embedded implementation held to one contract (`tests/store_contract.rs`).

mod digests;
mod memory;
mod mongo;
mod templates;

use async_trait::async_trait;
use shop_service_kit::{Page, Paging};

pub use digests::{DigestLine, DigestStore, MemoryDigestStore, MongoDigestStore};
pub use memory::MemoryMessageStore;
pub use mongo::MongoMessageStore;
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

/// The fields of a message an outcome changes, as one function for both stores.
pub fn apply(message: &mut Message, outcome: &Outcome, now: i64) {
    message.updated_at = now;
    message.next_attempt_at = None;
    match outcome {
        Outcome::Sent { provider_message_id } => {
            message.status = Status::Sent;
            message.provider_message_id = Some(provider_message_id.clone());
        }
        Outcome::Retry { error, at } => {
            message.status = Status::Pending;
            message.last_error = Some(error.clone());
            message.next_attempt_at = Some(*at);
        }
        Outcome::Failed { error } => {
            message.status = Status::Failed;
            message.last_error = Some(error.clone());
        }
        Outcome::Dead { error } => {
            message.status = Status::Dead;
            message.last_error = Some(error.clone());
        }
        Outcome::Suppressed => message.status = Status::Suppressed,
    }
}
