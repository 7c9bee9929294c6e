//! The catalog's gRPC face: callers from their tokens, validation at the edge,
//! proto ↔ domain conversion.

use std::{collections::HashMap, sync::Arc};

use shop_auth::{AuthError, Caller, Verifier};
use shop_proto::{
    Timestamp,
    catalog::v1::{self as pb, catalog_service_server::CatalogService},
    common::v1::{Money as PbMoney, PageInfo, PageRequest},
};
use time::OffsetDateTime;
use tonic::{Request, Response, Status};

use crate::{
    catalog::{Catalog, visibility},
    domain::{
        Category, CategoryId, Product, ProductId, ProductStatus, Review, ReviewId, SearchQuery, SearchSort, Sku, Slug,
        input::{ProductFields, VariantFields},
        review::{ReviewSort, rating},
        search::terms,
        text,
    },
    error::CatalogError,
};

/// Most SKUs one `GetProducts` call may ask for.
const MAX_BATCH: usize = 500;
const MAX_PER_PAGE: u32 = 100;

pub struct CatalogGrpc {
    catalog: Arc<Catalog>,
    verifier: Arc<Verifier>,
}

impl CatalogGrpc {
    pub fn new(catalog: Arc<Catalog>, verifier: Arc<Verifier>) -> Self {
        Self { catalog, verifier }
    }

    pub fn server(self) -> pb::catalog_service_server::CatalogServiceServer<Self> {
        pb::catalog_service_server::CatalogServiceServer::new(self)
    }

    /// The caller, if the request carries a token; a bad token is refused.
    async fn maybe_caller<T>(&self, req: &Request<T>) -> Result<Option<Caller>, CatalogError> {
        match self.verifier.caller(req.metadata()).await {
            Ok(caller) => Ok(Some(caller)),
            Err(AuthError::Missing) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    async fn caller<T>(&self, req: &Request<T>) -> Result<Caller, CatalogError> {
        self.maybe_caller(req).await?.ok_or(CatalogError::Unauthenticated)
    }
}

fn product_id(raw: &str) -> Result<ProductId, CatalogError> {
    raw.parse().map_err(|e: String| CatalogError::invalid("id", e))
}

/// `(offset, limit, page, per_page)` of a page request: page ≥ 1, 1 ≤ per_page ≤ 100.
fn paging(page: Option<PageRequest>) -> Result<(u64, u64, u32, u32), CatalogError> {
    let page = page.unwrap_or_default();
    let number = page.page.max(1);
    let per_page = if page.per_page == 0 { 20 } else { page.per_page };
    if per_page > MAX_PER_PAGE {
        return Err(CatalogError::invalid("per_page", format!("must be at most {MAX_PER_PAGE}")));
    }
    Ok((u64::from(number - 1) * u64::from(per_page), u64::from(per_page), number, per_page))
}

fn money(m: &crate::domain::Money) -> PbMoney {
    PbMoney { amount: m.amount, currency: m.currency.to_string() }
}

fn timestamp(t: OffsetDateTime) -> Timestamp {
    Timestamp { seconds: t.unix_timestamp(), nanos: i32::try_from(t.nanosecond()).unwrap_or(0) }
}

const fn status(s: ProductStatus) -> pb::ProductStatus {
    match s {
        ProductStatus::Draft => pb::ProductStatus::Draft,
        ProductStatus::Active => pb::ProductStatus::Active,
        ProductStatus::Archived => pb::ProductStatus::Archived,
    }
}

fn status_name(s: pb::ProductStatus) -> &'static str {
    match s {
        pb::ProductStatus::Unspecified => "",
        pb::ProductStatus::Draft => "draft",
        pb::ProductStatus::Active => "active",
        pb::ProductStatus::Archived => "archived",
    }
}

pub fn to_proto(p: &Product) -> pb::Product {
    pb::Product {
        id: p.id.to_string(),
        name: p.name.clone(),
        description: p.description.clone(),
        category_id: p.category_id.clone().unwrap_or_default(),
        tags: p.tags.clone(),
        images: p.images.iter().map(|i| pb::Image { url: i.url.clone(), alt: i.alt.clone() }).collect(),
        attributes: p.attributes.clone().into_iter().collect(),
        status: status(p.status).into(),
        vendor_id: p.vendor_id.clone(),
        variants: p
            .variants
            .iter()
            .map(|v| pb::Variant {
                sku: v.sku.as_str().to_owned(),
                price: Some(money(&v.price)),
                attributes: v.attributes.clone().into_iter().collect(),
                available: p.stock.get(&v.sku).copied(),
            })
            .collect(),
        rating: Some(pb::RatingSummary {
            average: p.rating.average(),
            count: p.rating.count,
            histogram: p.rating.histogram.to_vec(),
        }),
        created_at: Some(timestamp(p.created_at)),
        updated_at: Some(timestamp(p.updated_at)),
        in_stock: p.in_stock(),
    }
}

/// A product's current fields, the base an update edits.
pub fn fields_of(p: &Product) -> ProductFields {
    ProductFields {
        name: p.name.clone(),
        description: p.description.clone(),
        category_id: p.category_id.clone().unwrap_or_default(),
        tags: p.tags.clone(),
        images: p.images.iter().map(|i| (i.url.clone(), i.alt.clone())).collect(),
        attributes: p.attributes.clone(),
        status: p.status.as_str().to_owned(),
        variants: p
            .variants
            .iter()
            .map(|v| VariantFields {
                sku: v.sku.as_str().to_owned(),
                amount: v.price.amount,
                currency: v.price.currency.to_string(),
                attributes: v.attributes.clone(),
            })
            .collect(),
    }
}

/// Copies the fields of `input` named in `mask` (all when empty) onto `fields`.
fn overlay(fields: &mut ProductFields, input: &pb::ProductInput, mask: &[String]) {
    let wants = |name: &str| mask.is_empty() || mask.iter().any(|m| m == name);
    if wants("name") {
        fields.name.clone_from(&input.name);
    }
    if wants("description") {
        fields.description.clone_from(&input.description);
    }
    if wants("category_id") {
        fields.category_id.clone_from(&input.category_id);
    }
    if wants("tags") {
        fields.tags.clone_from(&input.tags);
    }
    if wants("images") {
        fields.images = input.images.iter().map(|i| (i.url.clone(), i.alt.clone())).collect();
    }
    if wants("attributes") {
        fields.attributes = input.attributes.clone().into_iter().collect();
    }
    if wants("status") {
        // An unspecified status in an update is refused by validation, not read as draft.
        fields.status = match input.status() {
            pb::ProductStatus::Unspecified => "unspecified".to_owned(),
            other => status_name(other).to_owned(),
        };
    }
    if wants("variants") {
        fields.variants = input
            .variants
            .iter()
            .map(|v| {
                let price = v.price.clone().unwrap_or_default();
                VariantFields {
                    sku: v.sku.clone(),
                    amount: price.amount,
                    currency: price.currency,
                    attributes: v.attributes.clone().into_iter().collect(),
                }
            })
            .collect();
    }
}

fn category_to_proto(c: &Category, children: Vec<pb::Category>) -> pb::Category {
    pb::Category {
        id: c.id.to_string(),
        name: c.name.clone(),
        slug: c.slug.as_str().to_owned(),
        description: c.description.clone(),
        parent_id: c.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        image: c.image.clone().unwrap_or_default(),
        active: c.active,
        children,
    }
}

/// The forest of categories, children nested and sorted by name.
fn tree(all: &[Category], show_inactive: bool) -> Vec<pb::Category> {
    let mut by_parent: HashMap<Option<CategoryId>, Vec<&Category>> = HashMap::new();
    for c in all.iter().filter(|c| show_inactive || c.active) {
        by_parent.entry(c.parent_id).or_default().push(c);
    }
    fn build(parent: Option<CategoryId>, by_parent: &HashMap<Option<CategoryId>, Vec<&Category>>) -> Vec<pb::Category> {
        let mut nodes: Vec<pb::Category> = by_parent
            .get(&parent)
            .into_iter()
            .flatten()
            .map(|c| category_to_proto(c, build(Some(c.id), by_parent)))
            .collect();
        nodes.sort_by(|a, b| a.name.cmp(&b.name));
        nodes
    }
    build(None, &by_parent)
}

/// Applies the fields of `input` named in `mask` (all when empty) to `category`.
fn category_fields(category: &mut Category, input: &pb::Category, mask: &[String]) -> Result<(), CatalogError> {
    let wants = |name: &str| mask.is_empty() || mask.iter().any(|m| m == name);
    let mut errors = Vec::new();
    let mut check = |field: &str, r: Result<(), String>| {
        if let Err(message) = r {
            errors.push(shop_platform::FieldError { field: field.to_owned(), message });
        }
    };
    if wants("name") {
        check(
            "name",
            text(&input.name, 100)
                .and_then(|n| if n.is_empty() { Err("must not be empty".into()) } else { Ok(n) })
                .map(|n| category.name = n),
        );
    }
    if wants("slug") {
        check("slug", Slug::parse(&input.slug).map(|s| category.slug = s));
    }
    if wants("description") {
        check("description", text(&input.description, 2000).map(|d| category.description = d));
    }
    if wants("parent_id") {
        let parent = if input.parent_id.is_empty() { Ok(None) } else { CategoryId::parse(&input.parent_id).map(Some) };
        check("parent_id", parent.map(|p| category.parent_id = p));
    }
    if wants("image") {
        let image = if input.image.is_empty() {
            Ok(None)
        } else if input.image.len() <= 2048
            && (input.image.starts_with("https://") || input.image.starts_with("http://"))
        {
            Ok(Some(input.image.clone()))
        } else {
            Err("must be an http(s) URL of at most 2048 characters".to_owned())
        };
        check("image", image.map(|i| category.image = i));
    }
    if wants("active") {
        category.active = input.active;
    }
    if errors.is_empty() { Ok(()) } else { Err(CatalogError::Invalid(errors)) }
}

fn review_to_proto(r: &Review) -> pb::Review {
    pb::Review {
        id: r.id.to_string(),
        product_id: r.product_id.to_string(),
        user_id: r.user_id.clone(),
        rating: u32::from(r.rating),
        comment: r.comment.clone(),
        verified_purchase: r.verified_purchase,
        helpful_count: r.helpful_count,
        created_at: Some(timestamp(r.created_at)),
    }
}

#[tonic::async_trait]
impl CatalogService for CatalogGrpc {
    #[tracing::instrument(skip_all)]
    async fn create_product(&self, req: Request<pb::CreateProductRequest>) -> Result<Response<pb::Product>, Status> {
        let caller = self.caller(&req).await?;
        let input = req.into_inner().product.unwrap_or_default();
        let mut fields = ProductFields::default();
        overlay(&mut fields, &input, &[]);
        if input.status() == pb::ProductStatus::Unspecified {
            fields.status = String::new();
        }
        let product = self.catalog.create_product(&caller, &fields).await?;
        Ok(Response::new(to_proto(&product)))
    }

    #[tracing::instrument(skip_all, fields(product_id = %req.get_ref().id))]
    async fn get_product(&self, req: Request<pb::GetProductRequest>) -> Result<Response<pb::Product>, Status> {
        let caller = self.maybe_caller(&req).await?;
        let product = self.catalog.product(caller.as_ref(), product_id(&req.get_ref().id)?).await?;
        Ok(Response::new(to_proto(&product)))
    }

    #[tracing::instrument(skip_all, fields(product_id = %req.get_ref().id))]
    async fn update_product(&self, req: Request<pb::UpdateProductRequest>) -> Result<Response<pb::Product>, Status> {
        let caller = self.caller(&req).await?;
        let r = req.into_inner();
        let input = r.product.unwrap_or_default();
        let product =
            self.catalog.update_product(&caller, product_id(&r.id)?, |f| overlay(f, &input, &r.update_mask)).await?;
        Ok(Response::new(to_proto(&product)))
    }

    #[tracing::instrument(skip_all, fields(product_id = %req.get_ref().id))]
    async fn delete_product(
        &self,
        req: Request<pb::DeleteProductRequest>,
    ) -> Result<Response<pb::DeleteProductResponse>, Status> {
        let caller = self.caller(&req).await?;
        self.catalog.delete_product(&caller, product_id(&req.get_ref().id)?).await?;
        Ok(Response::new(pb::DeleteProductResponse {}))
    }

    #[tracing::instrument(skip_all)]
    async fn search_products(
        &self,
        req: Request<pb::SearchProductsRequest>,
    ) -> Result<Response<pb::SearchProductsResponse>, Status> {
        let caller = self.maybe_caller(&req).await?;
        let r = req.into_inner();
        let (offset, limit, page, per_page) = paging(r.page)?;
        if r.query.chars().count() > 200 {
            return Err(CatalogError::invalid("q", "must be at most 200 characters").into());
        }
        // Query operators have no business in a search phrase; refusing them says so clearly.
        if r.query.contains(['$', '{', '}']) {
            return Err(CatalogError::invalid("q", "must not contain $, { or }").into());
        }
        for (field, value) in [("min_price", r.min_price), ("max_price", r.max_price)] {
            if value.is_some_and(|v| v < 0) {
                return Err(CatalogError::invalid(field, "must not be negative").into());
            }
        }
        if let (Some(min), Some(max)) = (r.min_price, r.max_price)
            && min > max
        {
            return Err(CatalogError::invalid("min_price", "must not exceed max_price").into());
        }
        let categories = if r.category_id.is_empty() {
            None
        } else {
            let root = CategoryId::parse(&r.category_id).map_err(|e| CatalogError::invalid("category", e))?;
            Some(self.catalog.subtree(root).await?)
        };
        let sort = match pb::SearchSort::try_from(r.sort).unwrap_or_default() {
            pb::SearchSort::Unspecified | pb::SearchSort::Relevance => SearchSort::Relevance,
            pb::SearchSort::PriceAsc => SearchSort::PriceAsc,
            pb::SearchSort::PriceDesc => SearchSort::PriceDesc,
            pb::SearchSort::Newest => SearchSort::Newest,
            pb::SearchSort::Rating => SearchSort::Rating,
        };
        let query = SearchQuery {
            terms: terms(&r.query),
            categories,
            tag: Some(r.tag.trim().to_lowercase()).filter(|t| !t.is_empty()),
            min_price: r.min_price,
            max_price: r.max_price,
            in_stock: r.in_stock,
            sort,
            offset,
            limit,
            visibility: visibility(caller.as_ref()),
        };
        let (products, total) = self.catalog.search(&query).await?;
        Ok(Response::new(pb::SearchProductsResponse {
            products: products.iter().map(to_proto).collect(),
            page: Some(PageInfo { page, per_page, total }),
        }))
    }

    #[tracing::instrument(skip_all, fields(skus = req.get_ref().skus.len()))]
    async fn get_products(
        &self,
        req: Request<pb::GetProductsRequest>,
    ) -> Result<Response<pb::GetProductsResponse>, Status> {
        let wanted = &req.get_ref().skus;
        if wanted.len() > MAX_BATCH {
            return Err(CatalogError::invalid("skus", format!("at most {MAX_BATCH} per call")).into());
        }
        let skus = wanted
            .iter()
            .map(|s| Sku::parse(s).map_err(|e| CatalogError::invalid("skus", e)))
            .collect::<Result<Vec<_>, _>>()?;
        let products = self.catalog.products.by_skus(&skus).await.map_err(CatalogError::from)?;
        let items = products
            .iter()
            .flat_map(|p| {
                p.variants.iter().filter(|v| skus.contains(&v.sku)).map(move |v| pb::PricedSku {
                    sku: v.sku.as_str().to_owned(),
                    product_id: p.id.to_string(),
                    name: p.name.clone(),
                    vendor_id: p.vendor_id.clone(),
                    price: Some(money(&v.price)),
                    purchasable: p.status == ProductStatus::Active,
                })
            })
            .collect();
        Ok(Response::new(pb::GetProductsResponse { items }))
    }

    async fn list_categories(
        &self,
        req: Request<pb::ListCategoriesRequest>,
    ) -> Result<Response<pb::ListCategoriesResponse>, Status> {
        let admin = self.maybe_caller(&req).await?.is_some_and(|c| c.is_admin());
        let all = self.catalog.categories().await?;
        Ok(Response::new(pb::ListCategoriesResponse { roots: tree(&all, admin) }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_category(&self, req: Request<pb::CreateCategoryRequest>) -> Result<Response<pb::Category>, Status> {
        let caller = self.caller(&req).await?;
        let input = req.into_inner().category.unwrap_or_default();
        let mut category = Category {
            id: CategoryId::new(),
            name: String::new(),
            slug: Slug::parse("new").map_err(|e| CatalogError::Unexpected(anyhow::anyhow!(e)))?,
            description: String::new(),
            parent_id: None,
            image: None,
            active: input.active,
        };
        category_fields(&mut category, &input, &[])?;
        let category = self.catalog.create_category(&caller, category).await?;
        Ok(Response::new(category_to_proto(&category, Vec::new())))
    }

    #[tracing::instrument(skip_all)]
    async fn update_category(&self, req: Request<pb::UpdateCategoryRequest>) -> Result<Response<pb::Category>, Status> {
        let caller = self.caller(&req).await?;
        let r = req.into_inner();
        let id = CategoryId::parse(&r.id).map_err(|e| CatalogError::invalid("id", e))?;
        let input = r.category.unwrap_or_default();
        let category =
            self.catalog.update_category(&caller, id, |c| category_fields(c, &input, &r.update_mask)).await?;
        Ok(Response::new(category_to_proto(&category, Vec::new())))
    }

    #[tracing::instrument(skip_all)]
    async fn delete_category(
        &self,
        req: Request<pb::DeleteCategoryRequest>,
    ) -> Result<Response<pb::DeleteCategoryResponse>, Status> {
        let caller = self.caller(&req).await?;
        let id = CategoryId::parse(&req.get_ref().id).map_err(|e| CatalogError::invalid("id", e))?;
        self.catalog.delete_category(&caller, id).await?;
        Ok(Response::new(pb::DeleteCategoryResponse {}))
    }

    async fn list_reviews(
        &self,
        req: Request<pb::ListReviewsRequest>,
    ) -> Result<Response<pb::ListReviewsResponse>, Status> {
        let r = req.into_inner();
        let (offset, limit, page, per_page) = paging(r.page)?;
        let sort = match pb::ReviewSort::try_from(r.sort).unwrap_or_default() {
            pb::ReviewSort::Helpful => ReviewSort::Helpful,
            pb::ReviewSort::Newest | pb::ReviewSort::Unspecified => ReviewSort::Newest,
        };
        let (reviews, total) = self.catalog.reviews(product_id(&r.product_id)?, sort, offset, limit).await?;
        Ok(Response::new(pb::ListReviewsResponse {
            reviews: reviews.iter().map(review_to_proto).collect(),
            page: Some(PageInfo { page, per_page, total }),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_review(&self, req: Request<pb::CreateReviewRequest>) -> Result<Response<pb::Review>, Status> {
        let caller = self.caller(&req).await?;
        let r = req.into_inner();
        let stars = rating(r.rating).map_err(|e| CatalogError::invalid("rating", e))?;
        let comment = text(&r.comment, 5000).map_err(|e| CatalogError::invalid("comment", e))?;
        let review = self.catalog.review(&caller, product_id(&r.product_id)?, stars, comment).await?;
        Ok(Response::new(review_to_proto(&review)))
    }

    #[tracing::instrument(skip_all)]
    async fn vote_review_helpful(
        &self,
        req: Request<pb::VoteReviewHelpfulRequest>,
    ) -> Result<Response<pb::Review>, Status> {
        let caller = self.caller(&req).await?;
        let id = ReviewId::parse(&req.get_ref().review_id).map_err(|e| CatalogError::invalid("review_id", e))?;
        let review = self.catalog.vote(&caller, id).await?;
        Ok(Response::new(review_to_proto(&review)))
    }
}
