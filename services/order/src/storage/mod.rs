//! Order storage: one trait with a MongoDB and an embedded implementation.

mod memory;
mod mongo;

use async_trait::async_trait;
use shop_messaging::Envelope;

pub use memory::MemoryOrderStore;
pub use mongo::MongoOrderStore;

use crate::domain::{Order, Status};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// This user already used this idempotency key.
    #[error("the idempotency key was used")]
    KeyUsed,
    #[error("the order changed since it was read")]
    Stale,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[async_trait]
pub trait OrderStore: Send + Sync + 'static {
    /// Stores a new order with its events; `KeyUsed` when the user's key is taken.
    async fn insert(&self, order: &Order, events: &[Envelope]) -> Result<(), StoreError>;
    async fn get(&self, id: &str) -> Result<Option<Order>, StoreError>;
    async fn by_key(&self, user_id: &str, key: &str) -> Result<Option<Order>, StoreError>;
    /// Replaces the order if the stored version is `order.version - 1`, with its events.
    async fn update(&self, order: &Order, events: &[Envelope]) -> Result<(), StoreError>;
    /// Newest first; all users when `user_id` is `None`.
    async fn list(
        &self,
        user_id: Option<&str>,
        status: Option<Status>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Order>, u64), StoreError>;
    /// Orders still in checkout whose last change was before `before` (unix seconds).
    async fn stalled(&self, before: i64) -> Result<Vec<Order>, StoreError>;
    /// Whether the user has a paid (or later, not refunded) order with this product.
    async fn purchased(&self, user_id: &str, product_id: &str) -> Result<bool, StoreError>;
}

/// Statuses in which a user has bought what the order holds.
pub const BOUGHT: [Status; 3] = [Status::Paid, Status::Shipped, Status::Delivered];
