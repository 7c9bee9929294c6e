//! A product store whose searches the search engine answers: writes go to the store (the
//! truth) and then into the index; a search asks the index for a page of ids and reads
//! those products back from the store.
//!
//! Each catalog replica has its own index. It hears the other replicas' writes as a
//! [`Listener`] of the product events ([`INDEX_EVENTS`]): each one names a product, read
//! again from the store; when its queue is made anew (at start, after a lost connection)
//! it builds the whole index again from the store.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use shop_messaging::{Envelope, EventHandler, Listener, kind};
use shop_proto::events::v1::{ProductChanged, ProductDeleted};

use super::{ProductStore, StoreError};
use crate::{
    domain::{CategoryId, Product, ProductId, SearchQuery, Sku},
    search_index::{Facets, REFRESH, SearchIndex},
};

/// The events that change what a product index holds.
pub const INDEX_EVENTS: [&str; 3] = [kind::PRODUCT_CREATED, kind::PRODUCT_UPDATED, kind::PRODUCT_DELETED];

pub struct IndexedProducts {
    store: Arc<dyn ProductStore>,
    index: Arc<Current>,
}

/// The index searches use now: a rebuild builds a whole new one beside it and swaps it in.
struct Current(RwLock<Arc<SearchIndex>>);

impl Current {
    fn get(&self) -> Arc<SearchIndex> {
        self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn replace(&self, index: Arc<SearchIndex>) {
        *self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner) = index;
    }
}

/// Products read from the store per round trip while an index is built.
const BUILD_BATCH: usize = 1_000;

impl IndexedProducts {
    /// `store` searched through an index of its own (empty until
    /// [`IndexedProducts::rebuild`] or a listener's resync), refreshed every
    /// [`REFRESH`] while it lives: changes that need not be seen at once (stock levels,
    /// other replicas' writes, imports) are made visible in one commit per period.
    pub fn new(store: Arc<dyn ProductStore>) -> Result<Self, StoreError> {
        let index = Arc::new(Current(RwLock::new(Arc::new(SearchIndex::new().map_err(unexpected)?))));
        let current = Arc::downgrade(&index);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(REFRESH).await;
                let Some(live) = current.upgrade().map(|c| c.get()) else { return };
                let refreshed = tokio::task::spawn_blocking(move || live.refresh()).await;
                if let Ok(Err(err)) = refreshed {
                    tracing::warn!(error = %err, "search index refresh failed");
                }
            }
        });
        Ok(Self { store, index })
    }

    /// As [`IndexedProducts::new`], with the index built from the store.
    pub async fn open(store: Arc<dyn ProductStore>) -> Result<Self, StoreError> {
        let this = Self::new(store)?;
        this.rebuild().await?;
        Ok(this)
    }

    /// Builds a new index from every stored product, a batch at a time (indexed off the
    /// async threads), and swaps it in whole: searches see the old one until then. A
    /// write meanwhile may miss the new index; its event, heard after the resync that
    /// rebuilds, puts it in.
    pub async fn rebuild(&self) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let fresh = Arc::new(SearchIndex::new().map_err(unexpected)?);
        let (mut after, mut count) = (None, 0);
        loop {
            let batch = self.store.page_after(after, None, BUILD_BATCH).await?;
            let Some(last) = batch.last() else { break };
            (after, count) = (Some(last.id), count + batch.len());
            let index = fresh.clone();
            blocking(move || batch.iter().try_for_each(|p| index.upsert(p))).await?;
        }
        let index = fresh.clone();
        blocking(move || index.commit()).await?;
        self.index.replace(fresh);
        tracing::info!(products = count, took_ms = started.elapsed().as_millis(), "search index built");
        Ok(())
    }

    /// Stores a new product (as [`ProductStore::insert`]); searches see it within a
    /// refresh period rather than at once (bulk writes: one commit per period).
    pub async fn insert_batched(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        self.store.insert(product, events).await?;
        self.index.get().upsert(product).map_err(unexpected)
    }

    /// Makes every batched write visible to searches now.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let index = self.index.get();
        blocking(move || index.commit()).await
    }

    /// As [`IndexedProducts::insert_batched`], for [`ProductStore::update`].
    pub async fn update_batched(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        self.store.update(product, events).await?;
        self.index.get().upsert(product).map_err(unexpected)
    }

    /// A page of the products matching `query`, and how many match.
    pub async fn search(&self, query: &SearchQuery) -> Result<(Vec<Product>, u64), StoreError> {
        let (ids, total) = self.index.get().search(query).map_err(unexpected)?;
        // One read for the page, put back in the index's order (a product deleted since
        // the index last heard is left out).
        let mut found = self.store.by_ids(&ids).await?;
        found.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
        Ok((found, total))
    }

    /// How all the matches of `query` spread over what they can be narrowed by.
    pub fn facets(&self, query: &SearchQuery) -> Result<Facets, StoreError> {
        self.index.get().facets(query).map_err(unexpected)
    }

    /// Names of public products for what has been typed so far, best first.
    pub fn suggest(&self, typed: &str, limit: usize) -> Result<Vec<(ProductId, String)>, StoreError> {
        self.index.get().suggest(typed, limit).map_err(unexpected)
    }

    /// Reads one product again from the store into the index (gone from the store, gone
    /// from the index); seen within a refresh period.
    async fn reindex(&self, id: ProductId) -> Result<(), StoreError> {
        match self.store.get(id).await? {
            Some(product) => self.index.get().upsert(&product).map_err(unexpected),
            None => {
                self.index.get().remove(id);
                Ok(())
            }
        }
    }

    fn indexed(&self, product: &Product) -> Result<(), StoreError> {
        self.index.get().upsert(product).map_err(unexpected)?;
        self.index.get().commit().map_err(unexpected)
    }
}

fn unexpected(err: tantivy::TantivyError) -> StoreError {
    StoreError::Unexpected(anyhow::anyhow!("search index: {err}"))
}

/// Runs index work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> tantivy::Result<T> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work).await.map_err(|err| StoreError::Unexpected(err.into()))?.map_err(unexpected)
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
        self.index.get().upsert(product).map_err(unexpected)
    }

    async fn delete(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        self.store.delete(product, events).await?;
        self.index.get().remove(product.id);
        self.index.get().commit().map_err(unexpected)
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

    async fn page_after(
        &self,
        after: Option<ProductId>,
        vendor: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Product>, StoreError> {
        self.store.page_after(after, vendor, limit).await
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
