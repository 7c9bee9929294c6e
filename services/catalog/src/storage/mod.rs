//! Product storage: one trait, a MongoDB and an embedded implementation, held to the same
//! contract by `tests/store_contract.rs`.

mod memory;
mod mongo;

use async_trait::async_trait;
use shop_messaging::Envelope;

pub use memory::MemoryProductStore;
pub use mongo::MongoProductStore;

use crate::domain::{Product, ProductId, Sku};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SKU {0} belongs to another product")]
    DuplicateSku(String),
    #[error("a product with this id exists")]
    DuplicateId,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[async_trait]
pub trait ProductStore: Send + Sync + 'static {
    /// Stores a new product and, atomically with it, the events announcing it.
    async fn insert(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError>;

    async fn get(&self, id: ProductId) -> Result<Option<Product>, StoreError>;

    /// The products owning `skus` (unknown SKUs are left out).
    async fn by_skus(&self, skus: &[Sku]) -> Result<Vec<Product>, StoreError>;

    async fn count(&self) -> Result<u64, StoreError>;

    /// Whether the backing store answers (readiness).
    async fn ping(&self) -> anyhow::Result<()>;
}
