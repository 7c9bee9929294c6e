//! MongoDB catalog stores. Products: one document each, written whole with a version
//! guard; collection `skus` claims each SKU for one product (`_id` = SKU, so uniqueness needs
//! no multikey index); a product, its SKU claims and its events share a transaction.
//! Categories: `categories` (unique slug). Reviews: `reviews` (unique user per product)
//! and `review_votes` (`_id` = review:user).

use std::collections::BTreeMap;

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::{
    Collection, Database, IndexModel,
    bson::{self, Document, doc},
    options::IndexOptions,
};
use serde::{Deserialize, Serialize};
use shop_messaging::{Envelope, outbox::MongoOutbox};
use shop_storage::timestamp;

use super::{CategoryStore, ProductStore, ReviewStore, StoreError};
use crate::domain::{
    Category, CategoryId, Currency, Image, Money, Product, ProductId, ProductStatus, RatingSummary, Review, ReviewId,
    SearchQuery, SearchSort, Sku, Slug, Variant, Visibility,
    review::ReviewSort,
    search::{DESCRIPTION_WEIGHT, NAME_WEIGHT, TAG_WEIGHT},
};

fn unexpected(err: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Unexpected(err.into())
}

async fn all<T: serde::de::DeserializeOwned + Send + Sync>(
    cursor: mongodb::error::Result<mongodb::Cursor<T>>,
) -> Result<Vec<T>, StoreError> {
    cursor.map_err(unexpected)?.try_collect().await.map_err(unexpected)
}

fn limit(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

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

#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("stale write")]
    Stale,
    #[error("SKU {0} is taken")]
    Sku(String),
}

impl MongoProductStore {
    /// Opens the store and creates its indexes.
    pub async fn open(db: Database, outbox: MongoOutbox) -> anyhow::Result<Self> {
        let products = db.collection::<ProductDoc>("products");
        let index = |keys: Document, name: &str| {
            IndexModel::builder().keys(keys).options(IndexOptions::builder().name(name.to_owned()).build()).build()
        };
        let weights = doc! { "name": NAME_WEIGHT, "tags": TAG_WEIGHT, "description": DESCRIPTION_WEIGHT };
        shop_storage::ensure_indexes(
            &products,
            vec![
                index(doc! { "vendor_id": 1 }, "by_vendor"),
                index(doc! { "category_id": 1 }, "by_category"),
                index(doc! { "status": 1, "min_price": 1 }, "by_price"),
                index(doc! { "status": 1, "created_at": -1 }, "by_age"),
                IndexModel::builder()
                    .keys(doc! { "name": "text", "tags": "text", "description": "text" })
                    .options(IndexOptions::builder().name("search".to_owned()).weights(weights).build())
                    .build(),
            ],
        )
        .await?;
        let skus = db.collection("skus");
        Ok(Self { db, products, skus, outbox })
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
            return Err(Refused::Sku(taken.sku.clone()).into());
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
        match err.downcast_ref::<Refused>() {
            Some(Refused::Stale) => StoreError::Stale,
            Some(Refused::Sku(sku)) => StoreError::DuplicateSku(sku.clone()),
            None if shop_storage::is_duplicate(&err) => {
                let skus: Vec<&str> = product.skus().map(Sku::as_str).collect();
                StoreError::DuplicateSku(skus.join(","))
            }
            None => StoreError::Unexpected(err),
        }
    }
}

fn search_filter(q: &SearchQuery) -> Document {
    let mut filter = match &q.visibility {
        Visibility::Public => doc! { "status": "active" },
        Visibility::Vendor(me) => doc! { "$or": [{ "status": "active" }, { "vendor_id": me }] },
        Visibility::Admin => doc! {},
    };
    if !q.terms.is_empty() {
        filter.insert("$text", doc! { "$search": q.terms.join(" ") });
    }
    if let Some(categories) = &q.categories {
        let ids: Vec<String> = categories.iter().map(ToString::to_string).collect();
        filter.insert("category_id", doc! { "$in": ids });
    }
    if let Some(tag) = &q.tag {
        filter.insert("tags", tag.as_str());
    }
    let mut price = Document::new();
    if let Some(min) = q.min_price {
        price.insert("$gte", min);
    }
    if let Some(max) = q.max_price {
        price.insert("$lte", max);
    }
    if !price.is_empty() {
        filter.insert("min_price", price);
    }
    if q.in_stock {
        filter.insert("in_stock", true);
    }
    filter
}

fn search_order(q: &SearchQuery) -> Document {
    match q.sort {
        SearchSort::Relevance if !q.terms.is_empty() => doc! { "score": { "$meta": "textScore" }, "_id": 1 },
        SearchSort::Relevance | SearchSort::Newest => doc! { "created_at": -1, "_id": 1 },
        SearchSort::PriceAsc => doc! { "min_price": 1, "_id": 1 },
        SearchSort::PriceDesc => doc! { "min_price": -1, "_id": 1 },
        SearchSort::Rating => doc! { "rating_average": -1, "rating_count": -1, "_id": 1 },
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
                if self.products.replace_one(guard, doc).session(&mut *session).await?.matched_count != 1 {
                    return Err(Refused::Stale.into());
                }
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
                    return Err(Refused::Stale.into());
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

    async fn search(&self, q: &SearchQuery) -> Result<(Vec<Product>, u64), StoreError> {
        let filter = search_filter(q);
        let total = self.products.count_documents(filter.clone()).await.map_err(unexpected)?;
        let docs =
            all(self.products.find(filter).sort(search_order(q)).skip(q.offset).limit(limit(q.limit)).await).await?;
        let products = docs.into_iter().map(Product::try_from).collect::<anyhow::Result<_>>()?;
        Ok((products, total))
    }

    async fn count_in(&self, categories: &[CategoryId]) -> Result<u64, StoreError> {
        let ids: Vec<String> = categories.iter().map(ToString::to_string).collect();
        self.products.count_documents(doc! { "category_id": { "$in": ids } }).await.map_err(unexpected)
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
    /// Denormalised for sorting.
    rating_average: f64,
    /// The lowest variant price, for price filters and sorts.
    min_price: i64,
    /// Available units per SKU as inventory reported; `in_stock` summarises it.
    #[serde(default)]
    stock: BTreeMap<String, i64>,
    in_stock: Option<bool>,
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
            rating_average: p.rating.average(),
            min_price: p.min_price(),
            stock: p.stock.iter().map(|(k, v)| (k.as_str().to_owned(), *v)).collect(),
            in_stock: p.in_stock(),
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
            stock: d
                .stock
                .iter()
                .map(|(k, v)| Ok((Sku::parse(k).map_err(|e| bad("stock", e))?, *v)))
                .collect::<anyhow::Result<_>>()?,
            created_at: timestamp::from_bson(d.created_at)?,
            updated_at: timestamp::from_bson(d.updated_at)?,
            version: u64::try_from(d.version)?,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct CategoryDoc {
    #[serde(rename = "_id")]
    id: String,
    name: String,
    slug: String,
    description: String,
    parent_id: Option<String>,
    image: Option<String>,
    active: bool,
}

impl From<&Category> for CategoryDoc {
    fn from(c: &Category) -> Self {
        Self {
            id: c.id.to_string(),
            name: c.name.clone(),
            slug: c.slug.as_str().to_owned(),
            description: c.description.clone(),
            parent_id: c.parent_id.map(|p| p.to_string()),
            image: c.image.clone(),
            active: c.active,
        }
    }
}

impl TryFrom<CategoryDoc> for Category {
    type Error = anyhow::Error;

    fn try_from(d: CategoryDoc) -> anyhow::Result<Self> {
        let bad = |e: String| anyhow::anyhow!("stored category {}: {e}", d.id);
        Ok(Self {
            id: CategoryId::parse(&d.id).map_err(bad)?,
            slug: Slug::parse(&d.slug).map_err(bad)?,
            parent_id: d.parent_id.as_deref().map(CategoryId::parse).transpose().map_err(bad)?,
            name: d.name,
            description: d.description,
            image: d.image,
            active: d.active,
        })
    }
}

pub struct MongoCategoryStore {
    categories: Collection<CategoryDoc>,
}

impl MongoCategoryStore {
    pub async fn open(db: &Database) -> anyhow::Result<Self> {
        let categories = db.collection::<CategoryDoc>("categories");
        shop_storage::ensure_indexes(
            &categories,
            vec![
                IndexModel::builder()
                    .keys(doc! { "slug": 1 })
                    .options(IndexOptions::builder().unique(true).name("slug_unique".to_owned()).build())
                    .build(),
            ],
        )
        .await?;
        Ok(Self { categories })
    }
}

fn slug_taken(err: mongodb::error::Error) -> StoreError {
    if shop_storage::is_duplicate_key(&err) { StoreError::SlugTaken } else { unexpected(err) }
}

#[async_trait]
impl CategoryStore for MongoCategoryStore {
    async fn insert(&self, category: &Category) -> Result<(), StoreError> {
        self.categories.insert_one(CategoryDoc::from(category)).await.map_err(slug_taken)?;
        Ok(())
    }

    async fn update(&self, category: &Category) -> Result<(), StoreError> {
        let replaced = self
            .categories
            .replace_one(doc! { "_id": category.id.to_string() }, CategoryDoc::from(category))
            .await
            .map_err(slug_taken)?;
        if replaced.matched_count == 1 { Ok(()) } else { Err(StoreError::Stale) }
    }

    async fn delete(&self, id: CategoryId) -> Result<(), StoreError> {
        self.categories.delete_one(doc! { "_id": id.to_string() }).await.map_err(unexpected)?;
        Ok(())
    }

    async fn all(&self) -> Result<Vec<Category>, StoreError> {
        let docs = all(self.categories.find(doc! {}).sort(doc! { "name": 1 }).await).await?;
        docs.into_iter().map(|d| Category::try_from(d).map_err(unexpected)).collect()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct ReviewDoc {
    #[serde(rename = "_id")]
    id: String,
    product_id: String,
    user_id: String,
    rating: i32,
    comment: String,
    verified_purchase: bool,
    /// Raised with `$inc`.
    helpful_count: i64,
    created_at: bson::DateTime,
}

impl From<&Review> for ReviewDoc {
    fn from(r: &Review) -> Self {
        Self {
            id: r.id.to_string(),
            product_id: r.product_id.to_string(),
            user_id: r.user_id.clone(),
            rating: i32::from(r.rating),
            comment: r.comment.clone(),
            verified_purchase: r.verified_purchase,
            helpful_count: i64::from(r.helpful_count),
            created_at: timestamp::to_bson(r.created_at),
        }
    }
}

impl TryFrom<ReviewDoc> for Review {
    type Error = anyhow::Error;

    fn try_from(d: ReviewDoc) -> anyhow::Result<Self> {
        let bad = |e: String| anyhow::anyhow!("stored review {}: {e}", d.id);
        Ok(Self {
            id: ReviewId::parse(&d.id).map_err(bad)?,
            product_id: d.product_id.parse().map_err(bad)?,
            rating: u8::try_from(d.rating)?,
            helpful_count: u32::try_from(d.helpful_count)?,
            created_at: timestamp::from_bson(d.created_at)?,
            user_id: d.user_id,
            comment: d.comment,
            verified_purchase: d.verified_purchase,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct VoteDoc {
    #[serde(rename = "_id")]
    id: String,
}

pub struct MongoReviewStore {
    db: Database,
    reviews: Collection<ReviewDoc>,
    votes: Collection<VoteDoc>,
}

impl MongoReviewStore {
    pub async fn open(db: Database) -> anyhow::Result<Self> {
        let reviews = db.collection::<ReviewDoc>("reviews");
        shop_storage::ensure_indexes(
            &reviews,
            vec![
                IndexModel::builder()
                    .keys(doc! { "product_id": 1, "user_id": 1 })
                    .options(IndexOptions::builder().unique(true).name("one_per_user".to_owned()).build())
                    .build(),
                IndexModel::builder().keys(doc! { "product_id": 1, "created_at": -1 }).build(),
            ],
        )
        .await?;
        let votes = db.collection("review_votes");
        Ok(Self { db, reviews, votes })
    }
}

#[async_trait]
impl ReviewStore for MongoReviewStore {
    async fn insert(&self, review: &Review) -> Result<(), StoreError> {
        match self.reviews.insert_one(ReviewDoc::from(review)).await {
            Ok(_) => Ok(()),
            Err(err) if shop_storage::is_duplicate_key(&err) => Err(StoreError::DuplicateReview),
            Err(err) => Err(unexpected(err)),
        }
    }

    async fn get(&self, id: ReviewId) -> Result<Option<Review>, StoreError> {
        let found = self.reviews.find_one(doc! { "_id": id.to_string() }).await.map_err(unexpected)?;
        found.map(Review::try_from).transpose().map_err(unexpected)
    }

    async fn list(
        &self,
        product: ProductId,
        sort: ReviewSort,
        offset: u64,
        n: u64,
    ) -> Result<(Vec<Review>, u64), StoreError> {
        let filter = doc! { "product_id": product.to_string() };
        let total = self.reviews.count_documents(filter.clone()).await.map_err(unexpected)?;
        let order = match sort {
            ReviewSort::Newest => doc! { "created_at": -1, "_id": -1 },
            ReviewSort::Helpful => doc! { "helpful_count": -1, "created_at": -1, "_id": -1 },
        };
        let docs = all(self.reviews.find(filter).sort(order).skip(offset).limit(limit(n)).await).await?;
        let reviews = docs.into_iter().map(Review::try_from).collect::<anyhow::Result<_>>()?;
        Ok((reviews, total))
    }

    async fn histogram(&self, product: ProductId) -> Result<[u32; 5], StoreError> {
        let mut histogram = [0u32; 5];
        for (stars, slot) in (1..=5).zip(histogram.iter_mut()) {
            let n = self
                .reviews
                .count_documents(doc! { "product_id": product.to_string(), "rating": stars })
                .await
                .map_err(unexpected)?;
            *slot = u32::try_from(n).unwrap_or(u32::MAX);
        }
        Ok(histogram)
    }

    async fn vote(&self, review: ReviewId, user_id: &str) -> Result<bool, StoreError> {
        let mut session = shop_storage::begin(&self.db).await.map_err(unexpected)?;
        let written = async {
            self.votes.insert_one(VoteDoc { id: format!("{review}:{user_id}") }).session(&mut *session).await?;
            self.reviews
                .update_one(doc! { "_id": review.to_string() }, doc! { "$inc": { "helpful_count": 1 } })
                .session(&mut *session)
                .await?;
            anyhow::Ok(())
        }
        .await;
        match shop_storage::finish(session, written).await {
            Ok(()) => Ok(true),
            Err(err) if shop_storage::is_duplicate(&err) => Ok(false),
            Err(err) => Err(StoreError::Unexpected(err)),
        }
    }
}
