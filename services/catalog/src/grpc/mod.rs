//! The catalog's gRPC face: the caller from its token, requests read into domain values
//! (`input`), answers written from them (`convert`); the work is the catalog's.

mod convert;
mod input;

use shop_service_kit::Refusal;
use shop_service_kit::auth::Authenticator;
use std::sync::Arc;

use shop_auth::Verifier;
use shop_proto::catalog::v1::{self as pb, catalog_service_server::CatalogService};
use shop_proto::common::v1::{ImportChunk, ImportReply};
use shop_service_kit::policy::{Allow, GATEWAY, Policy};
use shop_service_kit::{Paging, import};
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::Instrument;

pub use convert::to_proto;
mod bulk;
mod search;

use convert::{category_to_proto, money, review_to_proto, tree};
use input::{category_fields, overlay, product_id};
use search::{DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS, facets_to_proto};

use crate::{
    catalog::{Catalog, visibility},
    domain::{
        Category, CategoryId, ProductStatus, ReviewId, Sku, Slug,
        category::ancestry,
        input::ProductFields,
        review::{ReviewSort, rating},
        text,
    },
    error::CatalogError,
    transfer::{self, Exporter, Importer},
};

/// Most SKUs one `GetProducts` call may ask for.
const MAX_BATCH: usize = 500;
/// Who may call each RPC (see `shop_service_kit::policy`).
pub const POLICY: Policy = Policy {
    service: pb::catalog_service_server::SERVICE_NAME,
    callee: crate::SERVICE,
    rules: &[
        ("CreateProduct", GATEWAY),
        ("GetProduct", GATEWAY),
        ("UpdateProduct", GATEWAY),
        ("DeleteProduct", GATEWAY),
        ("SearchProducts", GATEWAY),
        ("SuggestProducts", GATEWAY),
        ("ImportProducts", GATEWAY),
        ("ExportProducts", GATEWAY),
        // Batch pricing, for the cart and the checkout.
        ("GetProducts", Allow::Services(&["order"])),
        ("ListCategories", Allow::Services(&["gateway", "analytics"])),
        ("CreateCategory", GATEWAY),
        ("UpdateCategory", GATEWAY),
        ("DeleteCategory", GATEWAY),
        ("ListReviews", GATEWAY),
        ("CreateReview", GATEWAY),
        ("VoteReviewHelpful", GATEWAY),
    ],
};

pub struct CatalogGrpc {
    catalog: Arc<Catalog>,
    auth: Authenticator,
}

impl CatalogGrpc {
    pub fn new(catalog: Arc<Catalog>, verifier: Arc<Verifier>) -> Self {
        Self { catalog, auth: Authenticator::new(verifier) }
    }

    pub fn server(self) -> pb::catalog_service_server::CatalogServiceServer<Self> {
        pb::catalog_service_server::CatalogServiceServer::new(self)
    }
}

#[tonic::async_trait]
impl CatalogService for CatalogGrpc {
    #[tracing::instrument(skip_all)]
    async fn import_products(
        &self,
        req: Request<Streaming<ImportChunk>>,
    ) -> Result<Response<BoxStream<ImportReply>>, Status> {
        let catalog = self.catalog.clone();
        import::accept(
            &self.auth,
            req,
            |caller, format| async move { Ok(Importer::start(catalog, caller, format).await?) },
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn export_products(
        &self,
        req: Request<pb::ExportProductsRequest>,
    ) -> Result<Response<BoxStream<pb::ExportProductsChunk>>, Status> {
        let caller = self.auth.user(&req).await?;
        let format = import::format(&req.get_ref().format)?;
        let catalog = self.catalog.clone();
        let first = transfer::export_batch(&catalog, &caller, None).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let work = async move {
            let mut out = Exporter::new(format);
            let mut batch = first;
            loop {
                batch.iter().for_each(|p| out.write(p));
                let data = out.take();
                if !data.is_empty() && tx.send(Ok(pb::ExportProductsChunk { data })).await.is_err() {
                    return; // The caller went away.
                }
                let Some(last) = batch.last().map(|p| p.id) else { return };
                match transfer::export_batch(&catalog, &caller, Some(last)).await {
                    Ok(next) => batch = next,
                    Err(err) => {
                        let _ = tx.send(Err(err.into())).await;
                        return;
                    }
                }
            }
        };
        tokio::spawn(work.instrument(tracing::Span::current()));
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
    #[tracing::instrument(skip_all)]
    async fn create_product(&self, req: Request<pb::CreateProductRequest>) -> Result<Response<pb::Product>, Status> {
        let caller = self.auth.user(&req).await?;
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
        let caller = self.auth.maybe_user(&req).await?;
        let product = self.catalog.product(caller.as_ref(), product_id(&req.get_ref().id)?).await?;
        Ok(Response::new(to_proto(&product)))
    }

    #[tracing::instrument(skip_all, fields(product_id = %req.get_ref().id))]
    async fn update_product(&self, req: Request<pb::UpdateProductRequest>) -> Result<Response<pb::Product>, Status> {
        let caller = self.auth.user(&req).await?;
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
        let caller = self.auth.user(&req).await?;
        self.catalog.delete_product(&caller, product_id(&req.get_ref().id)?).await?;
        Ok(Response::new(pb::DeleteProductResponse {}))
    }

    #[tracing::instrument(skip_all)]
    async fn search_products(
        &self,
        req: Request<pb::SearchProductsRequest>,
    ) -> Result<Response<pb::SearchProductsResponse>, Status> {
        let caller = self.auth.maybe_user(&req).await?;
        let r = req.into_inner();
        let paging = Paging::from_proto(r.page.clone())?;
        let query = search::query(&self.catalog, caller.as_ref(), &r, &paging).await?;
        let found = self.catalog.search(&query, r.facets).await?;
        Ok(Response::new(pb::SearchProductsResponse {
            products: found.products.iter().map(to_proto).collect(),
            page: Some(paging.info(found.total)),
            facets: found.facets.map(facets_to_proto),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn suggest_products(
        &self,
        req: Request<pb::SuggestProductsRequest>,
    ) -> Result<Response<pb::SuggestProductsResponse>, Status> {
        let r = req.into_inner();
        if r.query.chars().count() > 100 {
            return Err(Refusal::invalid("q", "must be at most 100 characters").into());
        }
        let limit = match r.limit {
            0 => DEFAULT_SUGGESTIONS,
            n if n > MAX_SUGGESTIONS => {
                return Err(Refusal::invalid("limit", format!("must be at most {MAX_SUGGESTIONS}")).into());
            }
            n => n,
        };
        let found = self.catalog.suggest(&r.query, limit as usize)?;
        let suggestions =
            found.into_iter().map(|(id, name)| pb::Suggestion { product_id: id.to_string(), name }).collect();
        Ok(Response::new(pb::SuggestProductsResponse { suggestions }))
    }

    #[tracing::instrument(skip_all, fields(skus = req.get_ref().skus.len()))]
    async fn get_products(
        &self,
        req: Request<pb::GetProductsRequest>,
    ) -> Result<Response<pb::GetProductsResponse>, Status> {
        // Asked by order on a user's behalf: what that user may not see is left out.
        let seen = visibility(self.auth.maybe_user(&req).await?.as_ref());
        let wanted = &req.get_ref().skus;
        if wanted.len() > MAX_BATCH {
            return Err(Refusal::invalid("skus", format!("at most {MAX_BATCH} per call")).into());
        }
        let skus = wanted
            .iter()
            .map(|s| Sku::parse(s).map_err(|e| CatalogError::from(Refusal::invalid("skus", e))))
            .collect::<Result<Vec<_>, _>>()?;
        let products = self.catalog.by_skus(&skus).await?;
        let categories = if products.iter().any(|p| p.category_id.is_some()) {
            self.catalog.categories().await?
        } else {
            Vec::new()
        };
        let items = products
            .iter()
            .filter(|p| seen.sees(p.status, &p.vendor_id))
            .flat_map(|p| {
                let category_ids: Vec<String> = p
                    .category_id
                    .as_deref()
                    .and_then(|c| CategoryId::parse(c).ok())
                    .map(|c| ancestry(&categories, c).iter().map(ToString::to_string).collect())
                    .unwrap_or_default();
                p.variants.iter().filter(|v| skus.contains(&v.sku)).map(move |v| pb::PricedSku {
                    sku: v.sku.as_str().to_owned(),
                    product_id: p.id.to_string(),
                    name: p.name.clone(),
                    vendor_id: p.vendor_id.clone(),
                    price: Some(money(&v.price)),
                    purchasable: p.status == ProductStatus::Active,
                    category_ids: category_ids.clone(),
                })
            })
            .collect();
        Ok(Response::new(pb::GetProductsResponse { items }))
    }

    async fn list_categories(
        &self,
        req: Request<pb::ListCategoriesRequest>,
    ) -> Result<Response<pb::ListCategoriesResponse>, Status> {
        let admin = self.auth.maybe_user(&req).await?.is_some_and(|c| c.is_admin());
        let all = self.catalog.categories().await?;
        Ok(Response::new(pb::ListCategoriesResponse { roots: tree(&all, admin) }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_category(&self, req: Request<pb::CreateCategoryRequest>) -> Result<Response<pb::Category>, Status> {
        let caller = self.auth.user(&req).await?;
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
        let caller = self.auth.user(&req).await?;
        let r = req.into_inner();
        let id = CategoryId::parse(&r.id).map_err(|e| Refusal::invalid("id", e))?;
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
        let caller = self.auth.user(&req).await?;
        let id = CategoryId::parse(&req.get_ref().id).map_err(|e| Refusal::invalid("id", e))?;
        self.catalog.delete_category(&caller, id).await?;
        Ok(Response::new(pb::DeleteCategoryResponse {}))
    }

    async fn list_reviews(
        &self,
        req: Request<pb::ListReviewsRequest>,
    ) -> Result<Response<pb::ListReviewsResponse>, Status> {
        let r = req.into_inner();
        let paging = Paging::from_proto(r.page)?;
        let sort = match pb::ReviewSort::try_from(r.sort).unwrap_or_default() {
            pb::ReviewSort::Helpful => ReviewSort::Helpful,
            pb::ReviewSort::Newest | pb::ReviewSort::Unspecified => ReviewSort::Newest,
        };
        let found = self.catalog.reviews(product_id(&r.product_id)?, sort, paging.clone()).await?;
        Ok(Response::new(pb::ListReviewsResponse {
            reviews: found.items.iter().map(review_to_proto).collect(),
            page: Some(paging.info_of(&found)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_review(&self, req: Request<pb::CreateReviewRequest>) -> Result<Response<pb::Review>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.into_inner();
        let stars = rating(r.rating).map_err(|e| Refusal::invalid("rating", e))?;
        let comment = text(&r.comment, 5000).map_err(|e| Refusal::invalid("comment", e))?;
        let review = self.catalog.review(&caller, product_id(&r.product_id)?, stars, comment).await?;
        Ok(Response::new(review_to_proto(&review)))
    }

    #[tracing::instrument(skip_all)]
    async fn vote_review_helpful(
        &self,
        req: Request<pb::VoteReviewHelpfulRequest>,
    ) -> Result<Response<pb::Review>, Status> {
        let caller = self.auth.user(&req).await?;
        let id = ReviewId::parse(&req.get_ref().review_id).map_err(|e| Refusal::invalid("review_id", e))?;
        let review = self.catalog.vote(&caller, id).await?;
        Ok(Response::new(review_to_proto(&review)))
    }
}
