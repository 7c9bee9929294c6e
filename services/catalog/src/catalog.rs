//! What the catalog does: products owned by vendors, the category tree, reviews with
//! helpful votes and rating summaries, search, and the events that announce changes.

use shop_service_kit::Refusal;
use std::sync::Arc;

use shop_auth::{Caller, Role};
use shop_messaging::{Envelope, kind, new_event};
use shop_proto::{
    common::v1::Money as PbMoney,
    events::v1::{PriceChanged, ProductChanged, ProductDeleted},
    order::v1::{HasPurchasedRequest, order_service_client::OrderServiceClient},
};
use shop_service_kit::Paging;
use time::OffsetDateTime;

use crate::{
    SERVICE,
    domain::{
        Category, CategoryId, Product, ProductId, Review, ReviewId, SearchQuery, Sku, Visibility,
        category::{subtree, would_cycle},
        input::ProductFields,
        review::ReviewSort,
    },
    error::CatalogError,
    search_index::Facets,
    storage::{CategoryStore, IndexedProducts, ProductStore, ReviewStore, StoreError},
};

/// Attempts at a write that raced another one before giving up.
const RETRIES: usize = 5;

/// How deep a search may page: shoppers narrow a search rather than page past this, and
/// whole catalogs leave by export.
pub const MAX_SEARCH_DEPTH: u64 = 10_000;

/// What a search found.
pub struct Found {
    pub products: Vec<Product>,
    pub total: u64,
    pub facets: Option<Facets>,
}

pub struct Catalog {
    /// The product store, searched through this replica's index.
    pub products: Arc<IndexedProducts>,
    pub categories: Arc<dyn CategoryStore>,
    pub reviews: Arc<dyn ReviewStore>,
    /// Answers "did this user buy this product?" for verified reviews.
    pub orders: Option<OrderServiceClient<shop_service_kit::Upstream>>,
}

pub fn visibility(caller: Option<&Caller>) -> Visibility {
    match caller {
        Some(c) if c.role == Role::Admin => Visibility::Admin,
        Some(c) if c.role == Role::Vendor => Visibility::Vendor(c.user_id.clone()),
        _ => Visibility::Public,
    }
}

pub(crate) fn may_edit(caller: &Caller, product: &Product) -> bool {
    caller.role == Role::Admin || (caller.role == Role::Vendor && caller.user_id == product.vendor_id)
}

pub(crate) fn changed(kind: &str, p: &Product) -> Envelope {
    let payload = ProductChanged {
        product_id: p.id.to_string(),
        vendor_id: p.vendor_id.clone(),
        skus: p.skus().map(|s| s.as_str().to_owned()).collect(),
        status: p.status.as_str().to_owned(),
        name: p.name.clone(),
    };
    new_event(kind, SERVICE, &payload)
}

fn money(m: &crate::domain::Money) -> PbMoney {
    PbMoney { amount: m.amount, currency: m.currency.to_string() }
}

/// `catalog.price_changed` for every variant whose price moved.
pub(crate) fn price_changes(before: &Product, after: &Product) -> Vec<Envelope> {
    after
        .variants
        .iter()
        .filter_map(|v| {
            let old = before.variants.iter().find(|o| o.sku == v.sku)?;
            (old.price != v.price).then(|| {
                let payload = PriceChanged {
                    product_id: after.id.to_string(),
                    sku: v.sku.as_str().to_owned(),
                    old_price: Some(money(&old.price)),
                    new_price: Some(money(&v.price)),
                };
                new_event(kind::PRICE_CHANGED, SERVICE, &payload)
            })
        })
        .collect()
}

impl Catalog {
    async fn category_exists(&self, id: Option<CategoryId>) -> Result<(), CatalogError> {
        match id {
            Some(id) if !self.categories.all().await?.iter().any(|c| c.id == id) => {
                Err(Refusal::invalid("category_id", "no such category").into())
            }
            _ => Ok(()),
        }
    }

    pub async fn create_product(&self, caller: &Caller, fields: &ProductFields) -> Result<Product, CatalogError> {
        if !matches!(caller.role, Role::Vendor | Role::Admin) {
            return Err(Refusal::Forbidden.into());
        }
        let valid = fields.validate().map_err(Refusal::Invalid)?;
        self.category_exists(valid.category_id).await?;
        let product = Product::create(valid, &caller.user_id, OffsetDateTime::now_utc());
        self.products.insert(&product, &[changed(kind::PRODUCT_CREATED, &product)]).await?;
        tracing::info!(product_id = %product.id, vendor_id = %product.vendor_id, "product created");
        Ok(product)
    }

    /// The product, if `caller` may see it (drafts only to their owner and admins).
    pub async fn product(&self, caller: Option<&Caller>, id: ProductId) -> Result<Product, CatalogError> {
        let product = self.products.get(id).await?.ok_or(CatalogError::ProductNotFound)?;
        if visibility(caller).sees(product.status, &product.vendor_id) {
            Ok(product)
        } else {
            Err(CatalogError::ProductNotFound)
        }
    }

    /// Applies `edit` to the product's current fields; owner vendor or admin only.
    pub async fn update_product(
        &self,
        caller: &Caller,
        id: ProductId,
        edit: impl Fn(&mut ProductFields),
    ) -> Result<Product, CatalogError> {
        for _ in 0..RETRIES {
            let before = self.product(Some(caller), id).await?;
            if !may_edit(caller, &before) {
                return Err(Refusal::Forbidden.into());
            }
            let mut fields = ProductFields::of(&before);
            edit(&mut fields);
            let valid = fields.validate().map_err(Refusal::Invalid)?;
            self.category_exists(valid.category_id).await?;
            let mut after = before.clone();
            after.apply(valid, OffsetDateTime::now_utc());
            let mut events = vec![changed(kind::PRODUCT_UPDATED, &after)];
            events.extend(price_changes(&before, &after));
            match self.products.update(&after, &events).await {
                Err(StoreError::Stale) => continue,
                other => other?,
            }
            return Ok(after);
        }
        Err(CatalogError::Conflict)
    }

    pub async fn delete_product(&self, caller: &Caller, id: ProductId) -> Result<(), CatalogError> {
        let product = self.product(Some(caller), id).await?;
        if !may_edit(caller, &product) {
            return Err(Refusal::Forbidden.into());
        }
        let payload = ProductDeleted {
            product_id: id.to_string(),
            skus: product.skus().map(|s| s.as_str().to_owned()).collect(),
        };
        let event = new_event(kind::PRODUCT_DELETED, SERVICE, &payload);
        match self.products.delete(&product, &[event]).await {
            Err(StoreError::Stale) => Err(CatalogError::ProductNotFound),
            other => Ok(other?),
        }
    }

    /// A page of matches, how many match, and (when asked) how they spread.
    pub async fn search(&self, query: &SearchQuery, facets: bool) -> Result<Found, CatalogError> {
        if query.offset + query.limit > MAX_SEARCH_DEPTH {
            return Err(Refusal::invalid(
                "page",
                format!("a search pages through its first {MAX_SEARCH_DEPTH} matches; narrow it down"),
            )
            .into());
        }
        let (products, total) = self.products.search(query).await?;
        let facets = if facets { Some(self.products.facets(query)?) } else { None };
        Ok(Found { products, total, facets })
    }

    /// Names of public products for what has been typed so far.
    pub fn suggest(&self, typed: &str, limit: usize) -> Result<Vec<(ProductId, String)>, CatalogError> {
        Ok(self.products.suggest(typed, limit)?)
    }

    /// A category and all its descendants, for filtering.
    pub async fn subtree(&self, root: CategoryId) -> Result<Vec<CategoryId>, CatalogError> {
        let all = self.categories.all().await?;
        if !all.iter().any(|c| c.id == root) {
            return Err(CatalogError::CategoryNotFound);
        }
        Ok(subtree(&all, root))
    }

    pub async fn categories(&self) -> Result<Vec<Category>, CatalogError> {
        Ok(self.categories.all().await?)
    }

    pub async fn create_category(&self, caller: &Caller, category: Category) -> Result<Category, CatalogError> {
        if caller.role != Role::Admin {
            return Err(Refusal::Forbidden.into());
        }
        if let Some(parent) = category.parent_id
            && !self.categories.all().await?.iter().any(|c| c.id == parent)
        {
            return Err(Refusal::invalid("parent_id", "no such category").into());
        }
        self.categories.insert(&category).await?;
        Ok(category)
    }

    /// Applies `edit` to the category and stores it — nothing at all when `edit` refuses
    /// any part of the change.
    pub async fn update_category(
        &self,
        caller: &Caller,
        id: CategoryId,
        edit: impl FnOnce(&mut Category) -> Result<(), CatalogError>,
    ) -> Result<Category, CatalogError> {
        if caller.role != Role::Admin {
            return Err(Refusal::Forbidden.into());
        }
        let all = self.categories.all().await?;
        let mut category = all.iter().find(|c| c.id == id).cloned().ok_or(CatalogError::CategoryNotFound)?;
        edit(&mut category)?;
        if let Some(parent) = category.parent_id {
            if !all.iter().any(|c| c.id == parent) {
                return Err(Refusal::invalid("parent_id", "no such category").into());
            }
            if would_cycle(&all, id, parent) {
                return Err(Refusal::invalid("parent_id", "a category cannot sit below itself").into());
            }
        }
        self.categories.update(&category).await?;
        Ok(category)
    }

    /// Deletes an empty leaf category; one with products or sub-categories is refused.
    pub async fn delete_category(&self, caller: &Caller, id: CategoryId) -> Result<(), CatalogError> {
        if caller.role != Role::Admin {
            return Err(Refusal::Forbidden.into());
        }
        let all = self.categories.all().await?;
        if !all.iter().any(|c| c.id == id) {
            return Err(CatalogError::CategoryNotFound);
        }
        if all.iter().any(|c| c.parent_id == Some(id)) || self.products.count_in(&[id]).await? > 0 {
            return Err(CatalogError::CategoryInUse);
        }
        Ok(self.categories.delete(id).await?)
    }

    async fn purchased(&self, caller: &Caller, product: ProductId) -> bool {
        let Some(orders) = &self.orders else { return false };
        let request = HasPurchasedRequest { user_id: caller.user_id.clone(), product_id: product.to_string() };
        match orders.clone().has_purchased(caller.authorize(tonic::Request::new(request))).await {
            Ok(reply) => reply.into_inner().purchased,
            // Until order answers, a review is simply not marked verified.
            Err(status) => {
                tracing::debug!(code = ?status.code(), "purchase check unavailable");
                false
            }
        }
    }

    pub async fn review(
        &self,
        caller: &Caller,
        product_id: ProductId,
        rating: u8,
        comment: String,
    ) -> Result<Review, CatalogError> {
        let product = self.product(Some(caller), product_id).await?;
        let review = Review {
            id: ReviewId::new(),
            product_id,
            user_id: caller.user_id.clone(),
            rating,
            comment,
            verified_purchase: self.purchased(caller, product_id).await,
            helpful_count: 0,
            created_at: OffsetDateTime::now_utc(),
        };
        self.reviews.insert(&review).await?;
        self.refresh_rating(product.id).await?;
        Ok(review)
    }

    /// Recounts a product's rating summary from its reviews (so it heals itself).
    pub async fn refresh_rating(&self, id: ProductId) -> Result<(), CatalogError> {
        for _ in 0..RETRIES {
            let Some(mut product) = self.products.get(id).await? else { return Ok(()) };
            let histogram = self.reviews.histogram(id).await?;
            product.rating = crate::domain::RatingSummary { count: histogram.iter().sum(), histogram };
            product.version += 1;
            match self.products.update(&product, &[changed(kind::PRODUCT_UPDATED, &product)]).await {
                Err(StoreError::Stale) => continue,
                other => return Ok(other?),
            }
        }
        Err(CatalogError::Conflict)
    }

    pub async fn reviews(
        &self,
        product: ProductId,
        sort: ReviewSort,
        paging: Paging,
    ) -> Result<shop_service_kit::Page<Review>, CatalogError> {
        self.product(None, product).await?;
        Ok(self.reviews.list(product, sort, paging).await?)
    }

    /// The products owning `skus` (for pricing; unknown SKUs are left out).
    pub async fn by_skus(&self, skus: &[Sku]) -> Result<Vec<Product>, CatalogError> {
        Ok(self.products.by_skus(skus).await?)
    }

    /// One helpful vote per user per review; a repeat changes nothing.
    pub async fn vote(&self, caller: &Caller, review: ReviewId) -> Result<Review, CatalogError> {
        if self.reviews.get(review).await?.is_none() {
            return Err(CatalogError::ReviewNotFound);
        }
        self.reviews.vote(review, &caller.user_id).await?;
        self.reviews.get(review).await?.ok_or(CatalogError::ReviewNotFound)
    }

    /// Records the available units inventory reported for a SKU.
    pub async fn record_stock(&self, sku: &Sku, available: i64) -> Result<(), CatalogError> {
        for _ in 0..RETRIES {
            let Some(mut product) = self.products.by_skus(std::slice::from_ref(sku)).await?.pop() else {
                return Ok(());
            };
            if product.stock.get(sku) == Some(&available) {
                return Ok(());
            }
            product.stock.insert(sku.clone(), available);
            product.version += 1;
            match self.products.update_availability(&product, &[changed(kind::PRODUCT_UPDATED, &product)]).await {
                Err(StoreError::Stale) => continue,
                other => return Ok(other?),
            }
        }
        Err(CatalogError::Conflict)
    }
}
