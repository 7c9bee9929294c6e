//! Embedded order store.

use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use shop_messaging::{Envelope, outbox::MemoryOutbox};

use super::{BOUGHT, OrderStore, StoreError};
use crate::domain::{Order, Status};

pub struct MemoryOrderStore {
    orders: Mutex<Vec<Order>>,
    outbox: MemoryOutbox,
}

impl MemoryOrderStore {
    pub fn new(outbox: MemoryOutbox) -> Self {
        Self { orders: Mutex::default(), outbox }
    }

    fn orders(&self) -> MutexGuard<'_, Vec<Order>> {
        self.orders.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl OrderStore for MemoryOrderStore {
    async fn insert(&self, order: &Order, events: &[Envelope]) -> Result<(), StoreError> {
        let mut orders = self.orders();
        if orders.iter().any(|o| o.user_id == order.user_id && o.idempotency_key == order.idempotency_key) {
            return Err(StoreError::KeyUsed);
        }
        orders.push(order.clone());
        self.outbox.add(events.iter().cloned());
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<Order>, StoreError> {
        Ok(self.orders().iter().find(|o| o.id == id).cloned())
    }

    async fn by_key(&self, user_id: &str, key: &str) -> Result<Option<Order>, StoreError> {
        Ok(self.orders().iter().find(|o| o.user_id == user_id && o.idempotency_key == key).cloned())
    }

    async fn update(&self, order: &Order, events: &[Envelope]) -> Result<(), StoreError> {
        let mut orders = self.orders();
        let stored = orders.iter_mut().find(|o| o.id == order.id).ok_or(StoreError::Stale)?;
        if stored.version + 1 != order.version {
            return Err(StoreError::Stale);
        }
        *stored = order.clone();
        self.outbox.add(events.iter().cloned());
        Ok(())
    }

    async fn list(
        &self,
        user_id: Option<&str>,
        status: Option<Status>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Order>, u64), StoreError> {
        let orders = self.orders();
        let mut found: Vec<Order> = orders
            .iter()
            .filter(|o| user_id.is_none_or(|u| o.user_id == u) && status.is_none_or(|s| o.status == s))
            .cloned()
            .collect();
        found.sort_by(|a, b| b.id.cmp(&a.id));
        let total = found.len() as u64;
        let page = found
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok((page.collect(), total))
    }

    async fn stalled(&self, before: i64) -> Result<Vec<Order>, StoreError> {
        Ok(self.orders().iter().filter(|o| o.status.in_checkout() && o.updated_at < before).cloned().collect())
    }

    async fn purchased(&self, user_id: &str, product_id: &str) -> Result<bool, StoreError> {
        Ok(self.orders().iter().any(|o| {
            o.user_id == user_id && BOUGHT.contains(&o.status) && o.lines.iter().any(|l| l.product_id == product_id)
        }))
    }
}
