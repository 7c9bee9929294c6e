//! Order storage: one trait with a MongoDB and an embedded implementation.

mod memory;
mod mongo;

use async_trait::async_trait;
use shop_messaging::Envelope;
use shop_service_kit::{Page, Paging};

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
    /// A page of the orders `filter` matches, newest first.
    async fn list(&self, filter: OrderFilter<'_>, page: Paging) -> Result<Page<Order>, StoreError>;
    /// Orders still in checkout whose last change was before `before` (unix seconds).
    async fn stalled(&self, before: i64) -> Result<Vec<Order>, StoreError>;
    /// Up to `limit` orders after the id `after` (from the first when none), oldest first.
    async fn scan(&self, after: Option<&str>, limit: usize) -> Result<Vec<Order>, StoreError>;
    /// Whether the user has a paid (or later, not refunded) order with this product.
    async fn purchased(&self, user_id: &str, product_id: &str) -> Result<bool, StoreError>;
}

/// Which orders a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrderFilter<'a> {
    /// One user's, or everyone's when `None`.
    pub user_id: Option<&'a str>,
    pub status: Option<Status>,
}

/// Statuses in which a user has bought what the order holds.
pub const BOUGHT: [Status; 3] = [Status::Paid, Status::Shipped, Status::Delivered];
