//! A product store whose searches the search engine answers: writes go to the store (the
//! truth) and then into the index; a search asks the index for a page of ids and reads
//! those products back from the store.
//!
//! Each catalog replica has its own index. It hears its peers' writes as a [`Listener`]
//! of the product events ([`INDEX_EVENTS`]; its own are in already): each names a product,
//! read again from the store with the others named in the same refresh period; when its
//! queue is made anew (at start, after a lost connection) it builds the whole index again
//! from the store.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, RwLock},
};

use async_trait::async_trait;
use shop_messaging::{Envelope, EventHandler, Listener, kind, this_process};
use shop_proto::events::v1::{ProductChanged, ProductDeleted};

use super::{ProductStore, StoreError};
use crate::{
    domain::{CategoryId, Product, ProductId, SearchQuery, Sku},
    search_index::{Facets, REFRESH, SearchIndex},
};

/// The events that change what a product index holds.
pub const INDEX_EVENTS: [&str; 3] = [kind::PRODUCT_CREATED, kind::PRODUCT_UPDATED, kind::PRODUCT_DELETED];

pub struct IndexedProducts {
    shared: Arc<Shared>,
    /// One rebuild at a time.
    rebuilding: tokio::sync::Mutex<()>,
}

/// What the refresher task and the writers share.
struct Shared {
    store: Arc<dyn ProductStore>,
    /// The index searches use now: a rebuild builds a whole new one beside it and swaps it in.
    current: RwLock<Arc<SearchIndex>>,
    /// Products peers changed, to be read again from the store at the next refresh.
    stale: Mutex<HashSet<ProductId>>,
    /// While a rebuild runs, the products put in the index it replaces (written here or
    /// read for a peer's event): read again into the new one once it is swapped in.
    touched: Mutex<Option<Vec<ProductId>>>,
}

impl Shared {
    fn current(&self) -> Arc<SearchIndex> {
        self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The index a change to `id` goes into (noted when a rebuild is under way).
    fn index_for(&self, id: ProductId) -> Arc<SearchIndex> {
        let mut touched = shop_platform::lock(&self.touched);
        if let Some(ids) = touched.as_mut() {
            ids.push(id);
        }
        self.current()
    }

    /// Reads `ids` again from the store into the index (gone from the store, gone from
    /// the index); seen after the next commit.
    async fn reindex(&self, ids: &[ProductId]) -> Result<(), StoreError> {
        for chunk in ids.chunks(BUILD_BATCH) {
            let found: std::collections::HashMap<ProductId, Product> =
                self.store.by_ids(chunk).await?.into_iter().map(|p| (p.id, p)).collect();
            for id in chunk {
                let index = self.index_for(*id);
                match found.get(id) {
                    Some(product) => index.upsert(product).map_err(unexpected)?,
                    None => index.remove(*id),
                }
            }
        }
        Ok(())
    }

    /// Reads what peers changed since the last time, and commits if anything changed.
    async fn refresh(&self) -> Result<(), StoreError> {
        let stale: Vec<ProductId> = std::mem::take(&mut *shop_platform::lock(&self.stale)).into_iter().collect();
        if !stale.is_empty()
            && let Err(err) = self.reindex(&stale).await
        {
            // Tried again at the next refresh.
            shop_platform::lock(&self.stale).extend(stale);
            return Err(err);
        }
        let index = self.current();
        blocking(move || index.refresh()).await.map(drop)
    }
}

/// Products read from the store per round trip while an index is built.
const BUILD_BATCH: usize = 1_000;

impl IndexedProducts {
    /// `store` searched through an index of its own (empty until
    /// [`IndexedProducts::rebuild`] or a listener's resync), refreshed every
    /// [`REFRESH`] while it lives: changes that need not be seen at once (stock levels,
    /// peers' writes, imports) are made visible in one commit per period.
    pub fn new(store: Arc<dyn ProductStore>) -> Result<Self, StoreError> {
        let shared = Arc::new(Shared {
            store: store.clone(),
            current: RwLock::new(Arc::new(SearchIndex::new().map_err(unexpected)?)),
            stale: Mutex::default(),
            touched: Mutex::default(),
        });
        let refresher = Arc::downgrade(&shared);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(REFRESH).await;
                let Some(shared) = refresher.upgrade() else { return };
                if let Err(err) = shared.refresh().await {
                    tracing::warn!(error = %err, "search index refresh failed");
                }
            }
        });
        Ok(Self { shared, rebuilding: tokio::sync::Mutex::new(()) })
    }

    /// As [`IndexedProducts::new`], with the index built from the store.
    pub async fn open(store: Arc<dyn ProductStore>) -> Result<Self, StoreError> {
        let this = Self::new(store)?;
        this.rebuild().await?;
        Ok(this)
    }

    /// Builds a new index from every stored product, a batch at a time (indexed off the
    /// async threads), and swaps it in whole: searches see the old one until then. What
    /// was put in the old one meanwhile is read again into the new one after the swap.
    pub async fn rebuild(&self) -> Result<(), StoreError> {
        let _one = self.rebuilding.lock().await;
        let started = std::time::Instant::now();
        *shop_platform::lock(&self.shared.touched) = Some(Vec::new());
        let fresh = Arc::new(SearchIndex::new().map_err(unexpected)?);
        let built = self.build(fresh.clone()).await;
        let touched = {
            let mut touched = shop_platform::lock(&self.shared.touched);
            if built.is_ok() {
                *self.shared.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
            }
            touched.take().unwrap_or_default()
        };
        let count = built?;
        self.shared.reindex(&touched).await?;
        self.flush().await?;
        tracing::info!(products = count, took_ms = started.elapsed().as_millis(), "search index built");
        Ok(())
    }

    /// Puts every stored product into `index`; how many.
    async fn build(&self, index: Arc<SearchIndex>) -> Result<usize, StoreError> {
        let (mut after, mut count) = (None, 0);
        loop {
            let batch = self.shared.store.page_after(after, None, BUILD_BATCH).await?;
            let Some(last) = batch.last() else { break };
            (after, count) = (Some(last.id), count + batch.len());
            let index = index.clone();
            blocking(move || batch.iter().try_for_each(|p| index.upsert(p))).await?;
        }
        blocking(move || index.commit()).await?;
        Ok(count)
    }

    /// Stores a new product (as [`ProductStore::insert`]); searches see it within a
    /// refresh period rather than at once (bulk writes: one commit per period).
    pub async fn insert_batched(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        self.shared.store.insert(product, events).await?;
        self.shared.index_for(product.id).upsert(product).map_err(unexpected)
    }

    /// Makes every batched write visible to searches now.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let index = self.shared.current();
        blocking(move || index.commit()).await
    }

    /// As [`IndexedProducts::insert_batched`], for [`ProductStore::update`].
    pub async fn update_batched(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        self.shared.store.update(product, events).await?;
        self.shared.index_for(product.id).upsert(product).map_err(unexpected)
    }

    /// A page of the products matching `query`, and how many match.
    pub async fn search(&self, query: &SearchQuery) -> Result<(Vec<Product>, u64), StoreError> {
        let (ids, total) = self.shared.current().search(query).map_err(unexpected)?;
        // One read for the page, put back in the index's order (a product deleted since
        // the index last heard is left out).
        let mut found = self.shared.store.by_ids(&ids).await?;
        found.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
        Ok((found, total))
    }

    /// How all the matches of `query` spread over what they can be narrowed by.
    pub fn facets(&self, query: &SearchQuery) -> Result<Facets, StoreError> {
        self.shared.current().facets(query).map_err(unexpected)
    }

    /// Names of public products for what has been typed so far, best first.
    pub fn suggest(&self, typed: &str, limit: usize) -> Result<Vec<(ProductId, String)>, StoreError> {
        self.shared.current().suggest(typed, limit).map_err(unexpected)
    }

    /// Puts `product` in the index and makes it visible at once.
    fn indexed(&self, product: &Product) -> Result<(), StoreError> {
        let index = self.shared.index_for(product.id);
        index.upsert(product).map_err(unexpected)?;
        index.commit().map_err(unexpected)
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
        self.shared.store.insert(product, events).await?;
        self.indexed(product)
    }

    async fn get(&self, id: ProductId) -> Result<Option<Product>, StoreError> {
        self.shared.store.get(id).await
    }

    async fn update(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        self.shared.store.update(product, events).await?;
        self.indexed(product)
    }

    async fn update_availability(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        self.shared.store.update(product, events).await?;
        // Seen within a refresh period, not committed per change.
        self.shared.index_for(product.id).upsert(product).map_err(unexpected)
    }

    async fn delete(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        self.shared.store.delete(product, events).await?;
        let index = self.shared.index_for(product.id);
        index.remove(product.id);
        index.commit().map_err(unexpected)
    }

    async fn by_skus(&self, skus: &[Sku]) -> Result<Vec<Product>, StoreError> {
        self.shared.store.by_skus(skus).await
    }

    async fn by_ids(&self, ids: &[ProductId]) -> Result<Vec<Product>, StoreError> {
        self.shared.store.by_ids(ids).await
    }

    async fn count_in(&self, categories: &[CategoryId]) -> Result<u64, StoreError> {
        self.shared.store.count_in(categories).await
    }

    async fn count(&self) -> Result<u64, StoreError> {
        self.shared.store.count().await
    }

    async fn page_after(
        &self,
        after: Option<ProductId>,
        vendor: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Product>, StoreError> {
        self.shared.store.page_after(after, vendor, limit).await
    }
}

#[async_trait]
impl EventHandler for IndexedProducts {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        if event.origin == this_process() {
            return Ok(()); // written into this index already
        }
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
        // Read again at the next refresh, with whatever else peers changed meanwhile.
        shop_platform::lock(&self.shared.stale).insert(id);
        Ok(())
    }
}

#[async_trait]
impl Listener for IndexedProducts {
    async fn resync(&self) -> anyhow::Result<()> {
        Ok(self.rebuild().await?)
    }
}
