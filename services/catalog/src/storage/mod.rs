//! Catalog storage: products, categories and reviews. Each trait has a MongoDB and an
//! embedded implementation, held to one contract by `tests/store_contract.rs`. Products
//! are searched through the search index ([`IndexedProducts`]), not the stores.

mod indexed;
mod memory;
mod mongo;

use async_trait::async_trait;
use shop_messaging::Envelope;
use shop_service_kit::{Page, Paging};

pub use indexed::{INDEX_EVENTS, IndexedProducts};
pub use memory::{MemoryCategoryStore, MemoryProductStore, MemoryReviewStore};
pub use mongo::{MongoCategoryStore, MongoProductStore, MongoReviewStore};

use crate::domain::{Category, CategoryId, Product, ProductId, Review, ReviewId, Sku, review::ReviewSort};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SKU {0} belongs to another product")]
    DuplicateSku(String),
    #[error("a record with this id exists")]
    DuplicateId,
    #[error("the slug is taken")]
    SlugTaken,
    #[error("this user already reviewed this product")]
    DuplicateReview,
    #[error("the record changed since it was read")]
    Stale,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[async_trait]
pub trait ProductStore: Send + Sync + 'static {
    /// Stores a new product and, atomically with it, the events announcing it.
    async fn insert(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError>;
    async fn get(&self, id: ProductId) -> Result<Option<Product>, StoreError>;
    /// Replaces the product if the stored version is `product.version - 1` (else `Stale`),
    /// claiming new SKUs and releasing dropped ones, with its events.
    async fn update(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError>;
    /// As [`ProductStore::update`], for a change only of the stock figures: searches may
    /// see it a moment later (a search index batches these).
    async fn update_availability(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        self.update(product, events).await
    }
    /// Removes the product and its SKU claims, with its events.
    async fn delete(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError>;
    /// The products owning `skus` (unknown SKUs are left out).
    async fn by_skus(&self, skus: &[Sku]) -> Result<Vec<Product>, StoreError>;
    /// Products filed under any of `categories`.
    async fn count_in(&self, categories: &[CategoryId]) -> Result<u64, StoreError>;
    async fn count(&self) -> Result<u64, StoreError>;
    /// The products with these ids, in any order (unknown ids are left out).
    async fn by_ids(&self, ids: &[ProductId]) -> Result<Vec<Product>, StoreError>;
    /// Up to `limit` products in id order, after `after` (from the first when `None`),
    /// only `vendor`'s when given: how the whole catalog is walked (index builds, export)
    /// without holding it in memory.
    async fn page_after(
        &self,
        after: Option<ProductId>,
        vendor: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Product>, StoreError>;
}

#[async_trait]
pub trait CategoryStore: Send + Sync + 'static {
    /// Stores a new category; its slug must be free.
    async fn insert(&self, category: &Category) -> Result<(), StoreError>;
    async fn update(&self, category: &Category) -> Result<(), StoreError>;
    async fn delete(&self, id: CategoryId) -> Result<(), StoreError>;
    /// The whole tree, flat (it is small and read as a whole).
    async fn all(&self) -> Result<Vec<Category>, StoreError>;
}

#[async_trait]
pub trait ReviewStore: Send + Sync + 'static {
    /// Stores a review; a second one by the same user for the same product is refused.
    async fn insert(&self, review: &Review) -> Result<(), StoreError>;
    async fn get(&self, id: ReviewId) -> Result<Option<Review>, StoreError>;
    async fn list(&self, product: ProductId, sort: ReviewSort, page: Paging) -> Result<Page<Review>, StoreError>;
    /// Reviews per star (index 0 = one star) of a product, counted from the reviews.
    async fn histogram(&self, product: ProductId) -> Result<[u32; 5], StoreError>;
    /// Records a helpful vote; `false` when this user had already voted for this review.
    async fn vote(&self, review: ReviewId, user_id: &str) -> Result<bool, StoreError>;
}
