//! Carts: per user, a quantity per SKU. In Redis (a hash per user, shared by every order
//! replica) or in memory; one contract (`tests/cart_contract.rs`) for both.

mod memory;
mod redis;

use shop_service_kit::Refusal;
use std::sync::Arc;

use std::time::Duration;

use async_trait::async_trait;
use shop_auth::Caller;
use shop_types::{Quantity, Sku};

pub use memory::MemoryCarts;
pub use redis::RedisCarts;

use crate::{
    error::OrderError,
    pricing::{Priced, Pricing},
};

/// Most units of one SKU in a cart.
pub const MAX_QUANTITY: i64 = Quantity::MAX;
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
    /// Counts the checkout `id` (its idempotency key) among the user's open checkouts,
    /// unless `max` others are open already (`false`); an entry not closed within `ttl`
    /// (its process died) lapses by itself.
    async fn open_checkout(&self, user: &str, id: &str, max: usize, ttl: Duration) -> Result<bool, CartError>;
    /// The checkout `id` finished, one way or another.
    async fn close_checkout(&self, user: &str, id: &str) -> Result<(), CartError>;
}

/// The signed-in user's cart: lines kept by SKU, priced by catalog whenever it is shown.
pub struct Carts {
    pub store: Arc<dyn CartStore>,
    pub pricing: Pricing,
}

impl Carts {
    /// The cart priced now (lines no longer for sale are left out).
    pub async fn view(&self, caller: &Caller) -> Result<Priced, OrderError> {
        let lines = self.store.lines(&caller.user_id).await?;
        self.pricing.price(caller, &lines).await
    }

    /// Adds units of a SKU that is for sale, merging with its line.
    pub async fn add(&self, caller: &Caller, sku: &Sku, quantity: Quantity) -> Result<Priced, OrderError> {
        let known = self.pricing.lookup(caller, vec![sku.as_str().to_owned()]).await?;
        match known.iter().find(|p| p.sku == sku.as_str()) {
            None => return Err(OrderError::UnknownSku),
            Some(p) if !p.purchasable => return Err(OrderError::NotForSale),
            Some(_) => {}
        }
        self.store.add(&caller.user_id, sku.as_str(), quantity.get()).await?;
        self.view(caller).await
    }

    /// Sets the quantity of a line in the cart (0 removes it).
    pub async fn set(&self, caller: &Caller, sku: &str, quantity: i64) -> Result<Priced, OrderError> {
        if !(0..=MAX_QUANTITY).contains(&quantity) {
            return Err(Refusal::invalid("quantity", format!("must be from 0 to {MAX_QUANTITY}")).into());
        }
        let present = self.store.lines(&caller.user_id).await?.iter().any(|(s, _)| s == sku);
        if !present {
            return Err(OrderError::NoCartLine);
        }
        self.store.set(&caller.user_id, sku, quantity).await?;
        self.view(caller).await
    }

    pub async fn remove(&self, caller: &Caller, sku: &str) -> Result<Priced, OrderError> {
        self.store.remove(&caller.user_id, sku).await?;
        self.view(caller).await
    }
}
