//! Products: one document each, written whole with a version guard; `skus` claims each
//! SKU for one product; a product, its SKU claims and its events share a transaction.

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::{
    Collection, Database, IndexModel,
    bson::{Document, doc},
    options::IndexOptions,
};
use serde::{Deserialize, Serialize};
use shop_messaging::{Envelope, outbox::MongoOutbox};

use super::product_doc::ProductDoc;
use super::{all, unexpected};
use crate::{
    domain::{CategoryId, Product, ProductId, Sku},
    storage::{ProductStore, StoreError},
};

pub struct MongoProductStore {
    products: Collection<ProductDoc>,
    skus: Collection<SkuClaim>,
    outbox: MongoOutbox,
}

/// One SKU's owner.
#[derive(Debug, Serialize, Deserialize)]
struct SkuClaim {
    #[serde(rename = "_id")]
    sku: String,
    product_id: String,
}

/// A SKU another product claims.
#[derive(Debug, thiserror::Error)]
#[error("SKU {0} is taken")]
struct SkuTaken(String);

impl MongoProductStore {
    /// Opens the store and creates its indexes.
    pub async fn open(db: Database, outbox: MongoOutbox) -> anyhow::Result<Self> {
        let products = db.collection::<ProductDoc>("products");
        let index = |keys: Document, name: &str| {
            IndexModel::builder().keys(keys).options(IndexOptions::builder().name(name.to_owned()).build()).build()
        };
        // Searches go to the search index; the store is read by id, SKU, category and
        // vendor. (A vendor's export walks the `_id` index in order; the test stand-in takes
        // no `_id` inside a compound key, so there is no (vendor_id, _id) index.)
        shop_storage::ensure_indexes(
            &products,
            vec![index(doc! { "vendor_id": 1 }, "by_vendor"), index(doc! { "category_id": 1 }, "by_category")],
        )
        .await?;
        let skus = db.collection("skus");
        // A product's SKUs are let go of by product.
        shop_storage::ensure_indexes(&skus, vec![index(doc! { "product_id": 1 }, "by_product")]).await?;
        Ok(Self { products, skus, outbox })
    }

    /// Claims `product`'s SKUs inside `session`, keeping the ones it already owns.
    async fn claim(&self, session: &mut mongodb::ClientSession, product: &Product) -> anyhow::Result<()> {
        let id = product.id.to_string();
        let skus: Vec<&str> = product.skus().map(Sku::as_str).collect();
        let existing: Vec<SkuClaim> = self
            .skus
            .find(doc! { "_id": { "$in": &skus } })
            .session(&mut *session)
            .await?
            .stream(&mut *session)
            .try_collect()
            .await?;
        if let Some(taken) = existing.iter().find(|c| c.product_id != id) {
            return Err(SkuTaken(taken.sku.clone()).into());
        }
        let new: Vec<SkuClaim> = skus
            .iter()
            .filter(|s| !existing.iter().any(|c| c.sku == **s))
            .map(|s| SkuClaim { sku: (*s).to_owned(), product_id: id.clone() })
            .collect();
        if !new.is_empty() {
            self.skus.insert_many(new).session(&mut *session).await?;
        }
        self.skus.delete_many(doc! { "product_id": &id, "_id": { "$nin": &skus } }).session(&mut *session).await?;
        Ok(())
    }

    fn refusal(&self, product: &Product, err: anyhow::Error) -> StoreError {
        if shop_storage::is_stale(&err) {
            return StoreError::Stale;
        }
        match err.downcast_ref::<SkuTaken>() {
            Some(SkuTaken(sku)) => StoreError::DuplicateSku(sku.clone()),
            None if shop_storage::is_duplicate(&err) => {
                let skus: Vec<&str> = product.skus().map(Sku::as_str).collect();
                StoreError::DuplicateSku(skus.join(","))
            }
            None => StoreError::Unexpected(err),
        }
    }
}

#[async_trait]
impl ProductStore for MongoProductStore {
    async fn insert(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        if self.get(product.id).await?.is_some() {
            return Err(StoreError::DuplicateId);
        }
        let doc = ProductDoc::from(product);
        self.outbox
            .transact(events, async |session| {
                self.products.insert_one(doc).session(&mut *session).await?;
                self.claim(session, product).await
            })
            .await
            .map_err(|e| self.refusal(product, e))
    }

    async fn get(&self, id: ProductId) -> Result<Option<Product>, StoreError> {
        let found = self.products.find_one(doc! { "_id": id.to_string() }).await.map_err(unexpected)?;
        found.map(Product::try_from).transpose().map_err(unexpected)
    }

    async fn update(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        let previous = i64::try_from(product.version).unwrap_or(i64::MAX) - 1;
        let (guard, doc) = (doc! { "_id": product.id.to_string(), "version": previous }, ProductDoc::from(product));
        self.outbox
            .transact(events, async |session| {
                shop_storage::replace_guarded(&self.products, &mut *session, guard, &doc).await?;
                self.claim(session, product).await
            })
            .await
            .map_err(|e| self.refusal(product, e))
    }

    async fn delete(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        let id = product.id.to_string();
        self.outbox
            .transact(events, async |session| {
                if self.products.delete_one(doc! { "_id": &id }).session(&mut *session).await?.deleted_count != 1 {
                    return Err(shop_storage::Stale.into());
                }
                self.skus.delete_many(doc! { "product_id": &id }).session(session).await?;
                anyhow::Ok(())
            })
            .await
            .map_err(|e| self.refusal(product, e))
    }

    async fn by_skus(&self, skus: &[Sku]) -> Result<Vec<Product>, StoreError> {
        let skus: Vec<&str> = skus.iter().map(Sku::as_str).collect();
        let claims = all(self.skus.find(doc! { "_id": { "$in": skus } }).await).await?;
        let mut ids: Vec<String> = claims.into_iter().map(|c| c.product_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let docs = all(self.products.find(doc! { "_id": { "$in": ids } }).await).await?;
        docs.into_iter().map(|d| Product::try_from(d).map_err(unexpected)).collect()
    }

    async fn count_in(&self, categories: &[CategoryId]) -> Result<u64, StoreError> {
        let ids: Vec<String> = categories.iter().map(ToString::to_string).collect();
        self.products.count_documents(doc! { "category_id": { "$in": ids } }).await.map_err(unexpected)
    }

    async fn count(&self) -> Result<u64, StoreError> {
        self.products.count_documents(doc! {}).await.map_err(unexpected)
    }

    async fn by_ids(&self, ids: &[ProductId]) -> Result<Vec<Product>, StoreError> {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let docs = all(self.products.find(doc! { "_id": { "$in": ids } }).await).await?;
        docs.into_iter().map(|d| Product::try_from(d).map_err(unexpected)).collect()
    }

    async fn page_after(
        &self,
        after: Option<ProductId>,
        vendor: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Product>, StoreError> {
        let mut filter = Document::new();
        if let Some(after) = after {
            filter.insert("_id", doc! { "$gt": after.to_string() });
        }
        if let Some(vendor) = vendor {
            filter.insert("vendor_id", vendor);
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let docs = all(self.products.find(filter).sort(doc! { "_id": 1 }).limit(limit).await).await?;
        docs.into_iter().map(|d| Product::try_from(d).map_err(unexpected)).collect()
    }
}
