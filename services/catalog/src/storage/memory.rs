//! Embedded product store for the all-in-one mode and unit tests.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard, PoisonError},
};

use async_trait::async_trait;
use shop_messaging::{Envelope, outbox::MemoryOutbox};

use super::{ProductStore, StoreError};
use crate::domain::{Product, ProductId, Sku};

#[derive(Default)]
struct State {
    products: HashMap<ProductId, Product>,
    skus: HashMap<Sku, ProductId>,
}

pub struct MemoryProductStore {
    state: Mutex<State>,
    outbox: MemoryOutbox,
}

impl MemoryProductStore {
    pub fn new(outbox: MemoryOutbox) -> Self {
        Self { state: Mutex::default(), outbox }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl ProductStore for MemoryProductStore {
    async fn insert(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.products.contains_key(&product.id) {
            return Err(StoreError::DuplicateId);
        }
        if let Some(sku) = product.skus().find(|s| state.skus.contains_key(*s)) {
            return Err(StoreError::DuplicateSku(sku.as_str().to_owned()));
        }
        for sku in product.skus() {
            state.skus.insert(sku.clone(), product.id);
        }
        state.products.insert(product.id, product.clone());
        // Under the same lock: the product and its events appear together.
        self.outbox.add(events.iter().cloned());
        Ok(())
    }

    async fn get(&self, id: ProductId) -> Result<Option<Product>, StoreError> {
        Ok(self.state().products.get(&id).cloned())
    }

    async fn by_skus(&self, skus: &[Sku]) -> Result<Vec<Product>, StoreError> {
        let state = self.state();
        let mut ids: Vec<ProductId> = skus.iter().filter_map(|s| state.skus.get(s).copied()).collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids.iter().filter_map(|id| state.products.get(id).cloned()).collect())
    }

    async fn count(&self) -> Result<u64, StoreError> {
        Ok(self.state().products.len() as u64)
    }

    async fn ping(&self) -> anyhow::Result<()> {
        Ok(())
    }
}
