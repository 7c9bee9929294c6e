//! Carts in memory (all-in-one mode and unit tests).

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};

use async_trait::async_trait;

use super::{CartError, CartStore, MAX_LINES, MAX_QUANTITY};

#[derive(Default)]
pub struct MemoryCarts {
    carts: Mutex<HashMap<String, BTreeMap<String, i64>>>,
    /// Open checkouts per user: order id → when the entry lapses.
    checkouts: Mutex<HashMap<String, HashMap<String, Instant>>>,
}

impl MemoryCarts {
    fn carts(&self) -> MutexGuard<'_, HashMap<String, BTreeMap<String, i64>>> {
        shop_platform::lock(&self.carts)
    }
}

fn put(cart: &mut BTreeMap<String, i64>, sku: &str, quantity: i64) -> Result<(), CartError> {
    if quantity > MAX_QUANTITY {
        return Err(CartError::TooMany);
    }
    if quantity <= 0 {
        cart.remove(sku);
        return Ok(());
    }
    if !cart.contains_key(sku) && cart.len() >= MAX_LINES {
        return Err(CartError::TooManyLines);
    }
    cart.insert(sku.to_owned(), quantity);
    Ok(())
}

#[async_trait]
impl CartStore for MemoryCarts {
    async fn lines(&self, user: &str) -> Result<Vec<(String, i64)>, CartError> {
        Ok(self.carts().get(user).map(|c| c.iter().map(|(k, v)| (k.clone(), *v)).collect()).unwrap_or_default())
    }

    async fn add(&self, user: &str, sku: &str, quantity: i64) -> Result<(), CartError> {
        let mut carts = self.carts();
        let cart = carts.entry(user.to_owned()).or_default();
        let total = cart.get(sku).copied().unwrap_or(0) + quantity;
        put(cart, sku, total)
    }

    async fn set(&self, user: &str, sku: &str, quantity: i64) -> Result<(), CartError> {
        put(self.carts().entry(user.to_owned()).or_default(), sku, quantity)
    }

    async fn remove(&self, user: &str, sku: &str) -> Result<(), CartError> {
        if let Some(cart) = self.carts().get_mut(user) {
            cart.remove(sku);
        }
        Ok(())
    }

    async fn clear(&self, user: &str) -> Result<(), CartError> {
        self.carts().remove(user);
        Ok(())
    }

    async fn open_checkout(&self, user: &str, order: &str, max: usize, ttl: Duration) -> Result<bool, CartError> {
        let mut checkouts = shop_platform::lock(&self.checkouts);
        let now = Instant::now();
        let open = checkouts.entry(user.to_owned()).or_default();
        open.retain(|_, lapses| *lapses > now);
        if open.len() >= max && !open.contains_key(order) {
            return Ok(false);
        }
        open.insert(order.to_owned(), now + ttl);
        Ok(true)
    }

    async fn close_checkout(&self, user: &str, order: &str) -> Result<(), CartError> {
        let mut checkouts = shop_platform::lock(&self.checkouts);
        if let Some(open) = checkouts.get_mut(user) {
            open.remove(order);
            if open.is_empty() {
                checkouts.remove(user);
            }
        }
        Ok(())
    }
}
