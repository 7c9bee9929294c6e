//! Stock storage: one trait with a MongoDB and an embedded implementation, held to one
//! contract (`tests/store_contract.rs`), including many concurrent reservations.
//!
//! Reservations are idempotent per order and resumable: each step records its progress
//! on the reservation, so a retry after a crash finishes the job instead of repeating it.

mod memory;
mod mongo;

use async_trait::async_trait;

pub use memory::MemoryStockStore;
pub use mongo::MongoStockStore;

use shop_service_kit::{Page, Paging};

use crate::domain::{LedgerEntry, Line, Reservation, Stock, StockRefusal};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stock's own rules refused the change.
    #[error(transparent)]
    Refused(#[from] StockRefusal),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[async_trait]
pub trait StockStore: Send + Sync + 'static {
    async fn get(&self, sku: &str) -> Result<Option<Stock>, StoreError>;
    /// Sets on hand and/or the low-stock threshold (creating the SKU if new).
    async fn set(&self, sku: &str, on_hand: Option<i64>, threshold: Option<i64>) -> Result<Stock, StoreError>;
    /// Adds units to on hand.
    async fn restock(&self, sku: &str, quantity: i64) -> Result<Stock, StoreError>;
    /// Holds every line or none. Idempotent per order: a repeat returns the first outcome.
    async fn reserve(&self, order_id: &str, lines: &[Line], expires_at: i64) -> Result<Reservation, StoreError>;
    /// Takes held units off the shelf. Idempotent.
    async fn commit(&self, order_id: &str) -> Result<Reservation, StoreError>;
    /// Gives held units back. Idempotent; releasing an unknown order stops a late reserve.
    /// A committed reservation is left alone (see [`StockStore::put_back`]).
    async fn release(&self, order_id: &str) -> Result<(), StoreError>;
    /// Puts the units of a committed reservation back on the shelf (its order was
    /// cancelled before shipping) and marks it released. Idempotent; nothing for others.
    async fn put_back(&self, order_id: &str) -> Result<(), StoreError>;
    async fn reservation(&self, order_id: &str) -> Result<Option<Reservation>, StoreError>;
    /// Orders whose held reservation expired before `now` (unix seconds).
    async fn expired(&self, now: i64) -> Result<Vec<String>, StoreError>;
    /// A page of the SKUs marked low ([`StockStore::mark_low`]), `vendor`'s only when
    /// given, by SKU.
    async fn low(&self, vendor: Option<&str>, page: Paging) -> Result<Page<Stock>, StoreError>;
    /// A page of the SKU's ledger, newest entry first.
    async fn ledger(&self, sku: &str, page: Paging) -> Result<Page<LedgerEntry>, StoreError>;
    /// Units of `sku` held by open reservations (for invariant checks).
    async fn held(&self, sku: &str) -> Result<i64, StoreError>;
    /// Records who owns `sku`, creating it with `on_hand` units if it is new; whether it was.
    async fn adopt(&self, sku: &str, vendor_id: &str, on_hand: i64) -> Result<bool, StoreError>;
    /// Flips the SKU's "low" mark to `low`; whether it changed (one alert per crossing).
    async fn mark_low(&self, sku: &str, low: bool) -> Result<bool, StoreError>;
}
