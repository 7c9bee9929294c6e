//! MongoDB product store: collection `products`, one document per product; collection
//! `skus` claims each SKU for one product (`_id` = SKU, so uniqueness needs no multikey
//! index); the product, its SKU claims and its events are written in one transaction.

use std::collections::BTreeMap;

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::{
    Collection, Database, IndexModel,
    bson::{self, doc},
    options::IndexOptions,
};
use serde::{Deserialize, Serialize};
use shop_messaging::{Envelope, outbox::MongoOutbox};
use shop_storage::timestamp;

use super::{ProductStore, StoreError};
use crate::domain::{Currency, Image, Money, Product, ProductId, ProductStatus, RatingSummary, Sku, Variant};

pub struct MongoProductStore {
    db: Database,
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

impl MongoProductStore {
    /// Opens the store and creates its indexes.
    pub async fn open(db: Database, outbox: MongoOutbox) -> anyhow::Result<Self> {
        let products = db.collection::<ProductDoc>("products");
        shop_storage::ensure_indexes(
            &products,
            vec![
                IndexModel::builder()
                    .keys(doc! { "vendor_id": 1 })
                    .options(IndexOptions::builder().name("by_vendor".to_owned()).build())
                    .build(),
            ],
        )
        .await?;
        let skus = db.collection("skus");
        Ok(Self { db, products, skus, outbox })
    }
}

fn unexpected(err: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Unexpected(err.into())
}

#[async_trait]
impl ProductStore for MongoProductStore {
    async fn insert(&self, product: &Product, events: &[Envelope]) -> Result<(), StoreError> {
        let mut session = shop_storage::begin(&self.db).await.map_err(unexpected)?;
        let written = async {
            self.products.insert_one(ProductDoc::from(product)).session(&mut session).await?;
            let claims =
                product.skus().map(|s| SkuClaim { sku: s.as_str().to_owned(), product_id: product.id.to_string() });
            self.skus.insert_many(claims).session(&mut session).await?;
            self.outbox.add_in(&mut session, events).await?;
            anyhow::Ok(())
        }
        .await;
        if let Err(err) = shop_storage::finish(session, written).await {
            return Err(match err.downcast_ref::<mongodb::error::Error>() {
                Some(e) if shop_storage::is_duplicate_key(e) => {
                    if self.get(product.id).await?.is_some() {
                        StoreError::DuplicateId
                    } else {
                        let skus: Vec<&str> = product.skus().map(Sku::as_str).collect();
                        StoreError::DuplicateSku(skus.join(","))
                    }
                }
                _ => StoreError::Unexpected(err),
            });
        }
        self.outbox.written();
        Ok(())
    }

    async fn get(&self, id: ProductId) -> Result<Option<Product>, StoreError> {
        let found = self.products.find_one(doc! { "_id": id.to_string() }).await.map_err(unexpected)?;
        found.map(Product::try_from).transpose().map_err(unexpected)
    }

    async fn by_skus(&self, skus: &[Sku]) -> Result<Vec<Product>, StoreError> {
        let skus: Vec<&str> = skus.iter().map(Sku::as_str).collect();
        let claims: Vec<SkuClaim> = self
            .skus
            .find(doc! { "_id": { "$in": skus } })
            .await
            .map_err(unexpected)?
            .try_collect()
            .await
            .map_err(unexpected)?;
        let mut ids: Vec<String> = claims.into_iter().map(|c| c.product_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let docs: Vec<ProductDoc> = self
            .products
            .find(doc! { "_id": { "$in": ids } })
            .await
            .map_err(unexpected)?
            .try_collect()
            .await
            .map_err(unexpected)?;
        docs.into_iter().map(|d| Product::try_from(d).map_err(unexpected)).collect()
    }

    async fn count(&self) -> Result<u64, StoreError> {
        self.products.count_documents(doc! {}).await.map_err(unexpected)
    }

    async fn ping(&self) -> anyhow::Result<()> {
        shop_storage::ping(&self.db).await
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct MoneyDoc {
    amount: i64,
    currency: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct VariantDoc {
    sku: String,
    price: MoneyDoc,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ImageDoc {
    url: String,
    alt: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct ProductDoc {
    #[serde(rename = "_id")]
    id: String,
    name: String,
    description: String,
    category_id: Option<String>,
    tags: Vec<String>,
    images: Vec<ImageDoc>,
    attributes: BTreeMap<String, String>,
    status: String,
    vendor_id: String,
    variants: Vec<VariantDoc>,
    rating_count: u32,
    rating_histogram: [u32; 5],
    created_at: bson::DateTime,
    updated_at: bson::DateTime,
    version: i64,
}

impl From<&Product> for ProductDoc {
    fn from(p: &Product) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name.clone(),
            description: p.description.clone(),
            category_id: p.category_id.clone(),
            tags: p.tags.clone(),
            images: p.images.iter().map(|i| ImageDoc { url: i.url.clone(), alt: i.alt.clone() }).collect(),
            attributes: p.attributes.clone(),
            status: p.status.as_str().to_owned(),
            vendor_id: p.vendor_id.clone(),
            variants: p
                .variants
                .iter()
                .map(|v| VariantDoc {
                    sku: v.sku.as_str().to_owned(),
                    price: MoneyDoc { amount: v.price.amount, currency: v.price.currency.to_string() },
                    attributes: v.attributes.clone(),
                })
                .collect(),
            rating_count: p.rating.count,
            rating_histogram: p.rating.histogram,
            created_at: timestamp::to_bson(p.created_at),
            updated_at: timestamp::to_bson(p.updated_at),
            version: i64::try_from(p.version).unwrap_or(i64::MAX),
        }
    }
}

impl TryFrom<ProductDoc> for Product {
    type Error = anyhow::Error;

    fn try_from(d: ProductDoc) -> anyhow::Result<Self> {
        let bad = |what: &str, e: String| anyhow::anyhow!("stored product {}: {what}: {e}", d.id);
        let variants = d
            .variants
            .iter()
            .map(|v| {
                let currency = Currency::parse(&v.price.currency).map_err(|e| bad("currency", e))?;
                Ok(Variant {
                    sku: Sku::parse(&v.sku).map_err(|e| bad("sku", e))?,
                    price: Money::new(v.price.amount, currency).map_err(|e| bad("price", e))?,
                    attributes: v.attributes.clone(),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            id: d.id.parse().map_err(|e| bad("id", e))?,
            status: ProductStatus::parse(&d.status).map_err(|e| bad("status", e))?,
            name: d.name,
            description: d.description,
            category_id: d.category_id,
            tags: d.tags,
            images: d.images.into_iter().map(|i| Image { url: i.url, alt: i.alt }).collect(),
            attributes: d.attributes,
            vendor_id: d.vendor_id,
            variants,
            rating: RatingSummary { count: d.rating_count, histogram: d.rating_histogram },
            created_at: timestamp::from_bson(d.created_at)?,
            updated_at: timestamp::from_bson(d.updated_at)?,
            version: u64::try_from(d.version)?,
        })
    }
}
