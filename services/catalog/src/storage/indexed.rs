//! A product store whose searches the search engine answers: writes go to the store (the
//! truth) and then into the index; a search asks the index for a page of ids and reads
//! those products back from the store.

use std::sync::Arc;

use async_trait::async_trait;
use shop_messaging::Envelope;

use super::{ProductStore, StoreError};
use crate::{
    domain::{CategoryId, Product, ProductId, SearchQuery, Sku},
    search_index::SearchIndex,
};

pub struct IndexedProducts {
    store: Arc<dyn ProductStore>,
    index: Arc<SearchIndex>,
}

impl IndexedProducts {
    /// `store`, with `index` built from every product it holds, and refreshed every
    /// [`crate::search_index::REFRESH`] while the index lives.
    pub async fn open(store: Arc<dyn ProductStore>, index: Arc<SearchIndex>) -> Result<Self, StoreError> {
        let this = Self { store, index };
        this.rebuild().await?;
        SearchIndex::refresh_every(&this.index, crate::search_index::REFRESH);
        Ok(this)
    }

    /// Indexes every stored product again.
    pub async fn rebuild(&self) -> Result<(), StoreError> {
        for product in self.store.all().await? {
            self.index.upsert(&product).map_err(unexpected)?;
        }
        self.index.commit().map_err(unexpected)
    }

    fn indexed(&self, product: &Product) -> Result<(), StoreError> {
        self.index.upsert(product).map_err(unexpected)?;
        self.index.commit().map_err(unexpected)
    }
}

fn unexpected(err: tantivy::TantivyError) -> StoreError {
    StoreError::Unexpected(anyhow::anyhow!("search index: {err}"))
}

#[async_trait]
impl ProductStore for IndexedProducts {
    async fn insert(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        self.store.insert(product, events).await?;
        self.indexed(product)
    }

    async fn get(&self, id: ProductId) -> Result<Option<Product>, StoreError> {
        self.store.get(id).await
    }

    async fn update(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        self.store.update(product, events).await?;
        self.indexed(product)
    }

    async fn update_availability(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        self.store.update(product, events).await?;
        // Seen within a refresh period (`SearchIndex::refresh_every`), not committed per change.
        self.index.upsert(product).map_err(unexpected)
    }

    async fn delete(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        self.store.delete(product, events).await?;
        self.index.remove(product.id);
        self.index.commit().map_err(unexpected)
    }

    async fn by_skus(&self, skus: &[Sku]) -> Result<Vec<Product>, StoreError> {
        self.store.by_skus(skus).await
    }

    async fn search(&self, query: &SearchQuery) -> Result<(Vec<Product>, u64), StoreError> {
        let (ids, total) = self.index.search(query).map_err(unexpected)?;
        // One read for the page, put back in the index's order (a product deleted since
        // the index last heard is left out).
        let mut found = self.store.by_ids(&ids).await?;
        found.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
        Ok((found, total))
    }

    async fn by_ids(&self, ids: &[ProductId]) -> Result<Vec<Product>, StoreError> {
        self.store.by_ids(ids).await
    }

    async fn count_in(&self, categories: &[CategoryId]) -> Result<u64, StoreError> {
        self.store.count_in(categories).await
    }

    async fn count(&self) -> Result<u64, StoreError> {
        self.store.count().await
    }

    async fn all(&self) -> Result<Vec<Product>, StoreError> {
        self.store.all().await
    }
}
