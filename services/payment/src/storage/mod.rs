//! Payment storage: one trait with a MongoDB and an embedded implementation, held to one
//! contract (`tests/store_contract.rs`).

mod memory;
mod mongo;

use async_trait::async_trait;
use shop_messaging::Envelope;
use shop_service_kit::{Page, Paging};

pub use memory::MemoryPaymentStore;
pub use mongo::MongoPaymentStore;

use crate::domain::{Payment, PaymentStatus};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the payment changed meanwhile")]
    Stale,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A refund to record: `amount` more refunded on the order's payment, once per `key`.
#[derive(Debug, Clone, Copy)]
pub struct Refund<'a> {
    pub order_id: &'a str,
    pub key: &'a str,
    pub amount: i64,
    /// The refunded total the caller read (the write's guard).
    pub read_refunded: i64,
    /// The provider's event that told of the refund, recorded in the same write (a replay
    /// of it finds it recorded and changes nothing).
    pub webhook: Option<&'a str>,
}

/// How long a provider event id is remembered (the provider signs each with a timestamp
/// and older ones are refused, so a day would do; a week leaves room for investigation).
pub const WEBHOOK_RETENTION: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

#[async_trait]
pub trait PaymentStore: Send + Sync + 'static {
    /// Records a pending payment; `false` when the order already has one (charge once).
    async fn start(&self, payment: &Payment) -> Result<bool, StoreError>;
    async fn get(&self, order_id: &str) -> Result<Option<Payment>, StoreError>;
    /// A page of every payment, oldest first, and how many there are.
    async fn list(&self, page: Paging) -> Result<Page<Payment>, StoreError>;
    /// Settles a pending payment with the provider's outcome, with its events.
    async fn settle(&self, payment: &Payment, events: &[Envelope]) -> Result<(), StoreError>;
    /// Applies `refund` if the refunded total is still what the caller read and its key is
    /// new; `false` when the key was already applied. With its events.
    async fn refund(&self, refund: &Refund<'_>, events: &[Envelope]) -> Result<bool, StoreError>;
    /// Whether a refund with this (scoped) key was recorded.
    async fn refund_applied(&self, key: &str) -> Result<bool, StoreError>;
    /// Records a webhook event id; `false` when it was seen before (a replay).
    async fn first_webhook(&self, event_id: &str) -> Result<bool, StoreError>;
}

pub(crate) fn refunded_status(amount: i64, refunded: i64) -> PaymentStatus {
    if refunded >= amount { PaymentStatus::Refunded } else { PaymentStatus::PartiallyRefunded }
}
