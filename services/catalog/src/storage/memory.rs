//! Embedded catalog stores for the all-in-one mode and unit tests.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    ops::Bound,
    sync::Mutex,
};

use async_trait::async_trait;
use shop_messaging::{Envelope, outbox::MemoryOutbox};
use shop_platform::lock;
use shop_service_kit::{Page, Paging};

use super::{CategoryStore, ProductStore, ReviewStore, StoreError};
use crate::domain::{Category, CategoryId, Product, ProductId, Review, ReviewId, Sku, review::ReviewSort};

#[derive(Default)]
struct Products {
    by_id: BTreeMap<ProductId, Product>,
    skus: HashMap<Sku, ProductId>,
}

pub struct MemoryProductStore {
    state: Mutex<Products>,
    outbox: MemoryOutbox,
}

impl MemoryProductStore {
    pub fn new(outbox: MemoryOutbox) -> Self {
        Self { state: Mutex::default(), outbox }
    }
}

#[async_trait]
impl ProductStore for MemoryProductStore {
    async fn insert(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        if state.by_id.contains_key(&product.id) {
            return Err(StoreError::DuplicateId);
        }
        if let Some(sku) = product.skus().find(|s| state.skus.contains_key(*s)) {
            return Err(StoreError::DuplicateSku(sku.as_str().to_owned()));
        }
        for sku in product.skus() {
            state.skus.insert(sku.clone(), product.id);
        }
        state.by_id.insert(product.id, product.clone());
        // Under the same lock: the product and its events appear together.
        self.outbox.add(events.iter().cloned());
        Ok(())
    }

    async fn get(&self, id: ProductId) -> Result<Option<Product>, StoreError> {
        Ok(lock(&self.state).by_id.get(&id).cloned())
    }

    async fn update(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        let stored = state.by_id.get(&product.id).ok_or(StoreError::Stale)?;
        if stored.version + 1 != product.version {
            return Err(StoreError::Stale);
        }
        if let Some(sku) = product.skus().find(|s| state.skus.get(*s).is_some_and(|owner| *owner != product.id)) {
            return Err(StoreError::DuplicateSku(sku.as_str().to_owned()));
        }
        let old: Vec<Sku> = stored.skus().cloned().collect();
        for sku in old {
            state.skus.remove(&sku);
        }
        for sku in product.skus() {
            state.skus.insert(sku.clone(), product.id);
        }
        state.by_id.insert(product.id, product.clone());
        self.outbox.add(events.iter().cloned());
        Ok(())
    }

    async fn delete(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        let mut state = lock(&self.state);
        let Some(stored) = state.by_id.remove(&product.id) else {
            return Err(StoreError::Stale);
        };
        for sku in stored.skus() {
            state.skus.remove(sku);
        }
        self.outbox.add(events.iter().cloned());
        Ok(())
    }

    async fn by_skus(&self, skus: &[Sku]) -> Result<Vec<Product>, StoreError> {
        let state = lock(&self.state);
        let mut ids: Vec<ProductId> = skus.iter().filter_map(|s| state.skus.get(s).copied()).collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids.iter().filter_map(|id| state.by_id.get(id).cloned()).collect())
    }

    async fn count_in(&self, categories: &[CategoryId]) -> Result<u64, StoreError> {
        let names: Vec<String> = categories.iter().map(ToString::to_string).collect();
        Ok(lock(&self.state)
            .by_id
            .values()
            .filter(|p| p.category_id.as_ref().is_some_and(|c| names.contains(c)))
            .count() as u64)
    }

    async fn count(&self) -> Result<u64, StoreError> {
        Ok(lock(&self.state).by_id.len() as u64)
    }

    async fn by_ids(&self, ids: &[ProductId]) -> Result<Vec<Product>, StoreError> {
        let state = lock(&self.state);
        Ok(ids.iter().filter_map(|id| state.by_id.get(id).cloned()).collect())
    }

    async fn page_after(
        &self,
        after: Option<ProductId>,
        vendor: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Product>, StoreError> {
        let state = lock(&self.state);
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        let page = state.by_id.range((from, Bound::Unbounded)).map(|(_, p)| p);
        Ok(page.filter(|p| vendor.is_none_or(|v| p.vendor_id == v)).take(limit).cloned().collect())
    }
}

#[derive(Default)]
pub struct MemoryCategoryStore {
    categories: Mutex<Vec<Category>>,
}

#[async_trait]
impl CategoryStore for MemoryCategoryStore {
    async fn insert(&self, category: &Category) -> Result<(), StoreError> {
        let mut all = lock(&self.categories);
        if all.iter().any(|c| c.slug == category.slug) {
            return Err(StoreError::SlugTaken);
        }
        all.push(category.clone());
        Ok(())
    }

    async fn update(&self, category: &Category) -> Result<(), StoreError> {
        let mut all = lock(&self.categories);
        if all.iter().any(|c| c.slug == category.slug && c.id != category.id) {
            return Err(StoreError::SlugTaken);
        }
        let stored = all.iter_mut().find(|c| c.id == category.id).ok_or(StoreError::Stale)?;
        *stored = category.clone();
        Ok(())
    }

    async fn delete(&self, id: CategoryId) -> Result<(), StoreError> {
        lock(&self.categories).retain(|c| c.id != id);
        Ok(())
    }

    async fn all(&self) -> Result<Vec<Category>, StoreError> {
        Ok(lock(&self.categories).clone())
    }
}

#[derive(Default)]
pub struct MemoryReviewStore {
    reviews: Mutex<Vec<Review>>,
    votes: Mutex<HashSet<(ReviewId, String)>>,
}

#[async_trait]
impl ReviewStore for MemoryReviewStore {
    async fn insert(&self, review: &Review) -> Result<(), StoreError> {
        let mut reviews = lock(&self.reviews);
        if reviews.iter().any(|r| r.product_id == review.product_id && r.user_id == review.user_id) {
            return Err(StoreError::DuplicateReview);
        }
        reviews.push(review.clone());
        Ok(())
    }

    async fn get(&self, id: ReviewId) -> Result<Option<Review>, StoreError> {
        Ok(lock(&self.reviews).iter().find(|r| r.id == id).cloned())
    }

    async fn list(&self, product: ProductId, sort: ReviewSort, page: Paging) -> Result<Page<Review>, StoreError> {
        let found: Vec<Review> = lock(&self.reviews).iter().filter(|r| r.product_id == product).cloned().collect();
        let id = |r: &Review| r.id.to_string();
        // Newest first is by id (time-ordered); most helpful first, then newest.
        Ok(match sort {
            ReviewSort::Newest => page.of(found, |r| (None, id(r)), true),
            ReviewSort::Helpful => page.of(found, |r| (Some(i64::from(r.helpful_count)), id(r)), true),
        })
    }

    async fn histogram(&self, product: ProductId) -> Result<[u32; 5], StoreError> {
        let mut histogram = [0u32; 5];
        for r in lock(&self.reviews).iter().filter(|r| r.product_id == product) {
            histogram[usize::from(r.rating.clamp(1, 5) - 1)] += 1;
        }
        Ok(histogram)
    }

    async fn vote(&self, review: ReviewId, user_id: &str) -> Result<bool, StoreError> {
        let mut votes = lock(&self.votes);
        if !votes.insert((review, user_id.to_owned())) {
            return Ok(false);
        }
        if let Some(r) = lock(&self.reviews).iter_mut().find(|r| r.id == review) {
            r.helpful_count += 1;
        }
        Ok(true)
    }
}
