//! Carts: per user, a quantity per SKU. In Redis (a hash per user, shared by every order
//! replica) or in memory; one contract (`tests/cart_contract.rs`) for both.

mod memory;
mod redis;

use async_trait::async_trait;

pub use memory::MemoryCarts;
pub use redis::RedisCarts;

/// Most units of one SKU in a cart.
pub const MAX_QUANTITY: i64 = 100;
/// Most different SKUs in a cart.
pub const MAX_LINES: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum CartError {
    #[error("at most {MAX_QUANTITY} units of one item")]
    TooMany,
    #[error("at most {MAX_LINES} different items")]
    TooManyLines,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[async_trait]
pub trait CartStore: Send + Sync + 'static {
    /// `(sku, quantity)` pairs, sorted by SKU.
    async fn lines(&self, user: &str) -> Result<Vec<(String, i64)>, CartError>;
    /// Adds to the line of `sku` (creating it); the result may not exceed the limits.
    async fn add(&self, user: &str, sku: &str, quantity: i64) -> Result<(), CartError>;
    /// Sets the quantity of `sku` (creating the line); 0 removes it.
    async fn set(&self, user: &str, sku: &str, quantity: i64) -> Result<(), CartError>;
    async fn remove(&self, user: &str, sku: &str) -> Result<(), CartError>;
    async fn clear(&self, user: &str) -> Result<(), CartError>;
}
