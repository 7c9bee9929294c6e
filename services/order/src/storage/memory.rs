//! Embedded order store: orders by id, and each user's idempotency keys, under one lock.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard},
};

use async_trait::async_trait;
use shop_messaging::{Envelope, outbox::MemoryOutbox};

use super::{BOUGHT, OrderFilter, OrderStore, StoreError};
use crate::domain::Order;
use shop_service_kit::{Page, Paging};

#[derive(Default)]
struct State {
    orders: HashMap<String, Order>,
    /// (user, idempotency key) → order id.
    keys: HashMap<(String, String), String>,
}

pub struct MemoryOrderStore {
    state: Mutex<State>,
    outbox: MemoryOutbox,
}

impl MemoryOrderStore {
    pub fn new(outbox: MemoryOutbox) -> Self {
        Self { state: Mutex::default(), outbox }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        shop_platform::lock(&self.state)
    }

    /// Orders matching `keep`, newest first.
    fn matching(&self, keep: impl Fn(&Order) -> bool) -> Vec<Order> {
        let mut found: Vec<Order> = self.state().orders.values().filter(|o| keep(o)).cloned().collect();
        found.sort_by(|a, b| b.id.cmp(&a.id));
        found
    }
}

#[async_trait]
impl OrderStore for MemoryOrderStore {
    async fn insert(&self, order: &Order, events: &[Envelope]) -> Result<(), StoreError> {
        let mut state = self.state();
        let key = (order.user_id.clone(), order.idempotency_key.clone());
        if state.keys.contains_key(&key) {
            return Err(StoreError::KeyUsed);
        }
        state.keys.insert(key, order.id.clone());
        state.orders.insert(order.id.clone(), order.clone());
        self.outbox.add(events.iter().cloned());
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<Order>, StoreError> {
        Ok(self.state().orders.get(id).cloned())
    }

    async fn by_key(&self, user_id: &str, key: &str) -> Result<Option<Order>, StoreError> {
        let state = self.state();
        let id = state.keys.get(&(user_id.to_owned(), key.to_owned()));
        Ok(id.and_then(|id| state.orders.get(id)).cloned())
    }

    async fn update(&self, order: &Order, events: &[Envelope]) -> Result<(), StoreError> {
        let mut state = self.state();
        let stored = state.orders.get_mut(&order.id).ok_or(StoreError::Stale)?;
        if stored.version + 1 != order.version {
            return Err(StoreError::Stale);
        }
        *stored = order.clone();
        self.outbox.add(events.iter().cloned());
        Ok(())
    }

    async fn list(&self, filter: OrderFilter<'_>, page: Paging) -> Result<Page<Order>, StoreError> {
        let OrderFilter { user_id, status } = filter;
        let found = self.matching(|o| user_id.is_none_or(|u| o.user_id == u) && status.is_none_or(|s| o.status == s));
        Ok(page.of(found, |o| (None, o.id.clone()), true))
    }

    async fn stalled(&self, before: i64) -> Result<Vec<Order>, StoreError> {
        Ok(self.matching(|o| o.status.in_checkout() && o.updated_at < before))
    }

    async fn scan(&self, after: Option<&str>, limit: usize) -> Result<Vec<Order>, StoreError> {
        let mut found = self.matching(|o| after.is_none_or(|a| o.id.as_str() > a));
        found.reverse();
        found.truncate(limit);
        Ok(found)
    }

    async fn purchased(&self, user_id: &str, product_id: &str) -> Result<bool, StoreError> {
        Ok(self.state().orders.values().any(|o| {
            o.user_id == user_id && BOUGHT.contains(&o.status) && o.lines.iter().any(|l| l.product_id == product_id)
        }))
    }
}
