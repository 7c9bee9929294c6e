//! A product store whose searches the search engine answers: writes go to the store (the
//! truth) and then into the index; a search asks the index for a page of ids and reads
//! those products back from the store.
//!
//! Each catalog replica has its own index. It hears the other replicas' writes as a
//! [`Listener`] of the product events ([`INDEX_EVENTS`]): each one names a product, read
//! again from the store; when its queue is made anew (at start, after a lost connection)
//! it builds the whole index again from the store.

use std::sync::Arc;

use async_trait::async_trait;
use shop_messaging::{Envelope, EventHandler, Listener, kind};
use shop_proto::events::v1::{ProductChanged, ProductDeleted};

use super::{ProductStore, StoreError};
use crate::{
    domain::{CategoryId, Product, ProductId, SearchQuery, Sku},
    search_index::{Facets, SearchIndex},
};

/// The events that change what a product index holds.
pub const INDEX_EVENTS: [&str; 3] = [kind::PRODUCT_CREATED, kind::PRODUCT_UPDATED, kind::PRODUCT_DELETED];

pub struct IndexedProducts {
    store: Arc<dyn ProductStore>,
    index: Arc<SearchIndex>,
}

impl IndexedProducts {
    /// `store` searched through `index` (empty until [`IndexedProducts::rebuild`] or a
    /// listener's resync), which is refreshed every [`crate::search_index::REFRESH`]
    /// while it lives.
    pub fn new(store: Arc<dyn ProductStore>, index: Arc<SearchIndex>) -> Self {
        SearchIndex::refresh_every(&index, crate::search_index::REFRESH);
        Self { store, index }
    }

    /// As [`IndexedProducts::new`], with the index built from the store.
    pub async fn open(store: Arc<dyn ProductStore>, index: Arc<SearchIndex>) -> Result<Self, StoreError> {
        let this = Self::new(store, index);
        this.rebuild().await?;
        Ok(this)
    }

    /// Builds the index again from every stored product (off the async threads); searches
    /// see the old index until the new one is whole.
    pub async fn rebuild(&self) -> Result<(), StoreError> {
        let products = self.store.all().await?;
        let index = self.index.clone();
        let started = std::time::Instant::now();
        tokio::task::spawn_blocking(move || index.replace_all(&products).map(|()| products.len()))
            .await
            .map_err(|err| StoreError::Unexpected(err.into()))?
            .map(|n| tracing::info!(products = n, took_ms = started.elapsed().as_millis(), "search index built"))
            .map_err(unexpected)
    }

    /// A page of the products matching `query`, and how many match.
    pub async fn search(&self, query: &SearchQuery) -> Result<(Vec<Product>, u64), StoreError> {
        let (ids, total) = self.index.search(query).map_err(unexpected)?;
        // One read for the page, put back in the index's order (a product deleted since
        // the index last heard is left out).
        let mut found = self.store.by_ids(&ids).await?;
        found.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
        Ok((found, total))
    }

    /// How all the matches of `query` spread over what they can be narrowed by.
    pub fn facets(&self, query: &SearchQuery) -> Result<Facets, StoreError> {
        self.index.facets(query).map_err(unexpected)
    }

    /// Names of public products for what has been typed so far, best first.
    pub fn suggest(&self, typed: &str, limit: usize) -> Result<Vec<(ProductId, String)>, StoreError> {
        self.index.suggest(typed, limit).map_err(unexpected)
    }

    /// Reads one product again from the store into the index (gone from the store, gone
    /// from the index); seen within a refresh period.
    async fn reindex(&self, id: ProductId) -> Result<(), StoreError> {
        match self.store.get(id).await? {
            Some(product) => self.index.upsert(&product).map_err(unexpected),
            None => {
                self.index.remove(id);
                Ok(())
            }
        }
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

#[async_trait]
impl EventHandler for IndexedProducts {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let payload = event.payload.as_slice();
        let product_id = if event.r#type == kind::PRODUCT_DELETED {
            <ProductDeleted as prost::Message>::decode(payload)?.product_id
        } else {
            <ProductChanged as prost::Message>::decode(payload)?.product_id
        };
        let Ok(id) = ProductId::parse(&product_id) else {
            tracing::warn!(%product_id, "product event with a malformed id ignored");
            return Ok(());
        };
        Ok(self.reindex(id).await?)
    }
}

#[async_trait]
impl Listener for IndexedProducts {
    async fn resync(&self) -> anyhow::Result<()> {
        Ok(self.rebuild().await?)
    }
}
