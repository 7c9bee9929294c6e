//! The catalog's gRPC face: request validation at the edge and proto ↔ domain conversion.

use std::sync::Arc;

use shop_proto::{
    Timestamp,
    catalog::v1::{self as pb, catalog_service_server::CatalogService},
    common::v1::Money as PbMoney,
};
use time::OffsetDateTime;
use tonic::{Request, Response, Status};

use crate::{
    domain::{Product, ProductId, ProductStatus, Sku},
    error::CatalogError,
    storage::ProductStore,
};

/// Most SKUs one `GetProducts` call may ask for.
const MAX_BATCH: usize = 500;

pub struct CatalogGrpc {
    products: Arc<dyn ProductStore>,
}

impl CatalogGrpc {
    pub fn new(products: Arc<dyn ProductStore>) -> Self {
        Self { products }
    }

    pub fn server(self) -> pb::catalog_service_server::CatalogServiceServer<Self> {
        pb::catalog_service_server::CatalogServiceServer::new(self)
    }
}

#[tonic::async_trait]
impl CatalogService for CatalogGrpc {
    #[tracing::instrument(skip_all, fields(product_id = %req.get_ref().id))]
    async fn get_product(&self, req: Request<pb::GetProductRequest>) -> Result<Response<pb::Product>, Status> {
        let id: ProductId = req.get_ref().id.parse().map_err(|e: String| CatalogError::invalid("id", e))?;
        let product = self.products.get(id).await.map_err(CatalogError::from)?;
        // Drafts and archived products are not shown to the public.
        let product = product.filter(|p| p.status == ProductStatus::Active).ok_or(CatalogError::ProductNotFound)?;
        Ok(Response::new(to_proto(&product)))
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
        let products = self.products.by_skus(&skus).await.map_err(CatalogError::from)?;
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
            })
            .collect(),
        rating: Some(pb::RatingSummary {
            average: p.rating.average(),
            count: p.rating.count,
            histogram: p.rating.histogram.to_vec(),
        }),
        created_at: Some(timestamp(p.created_at)),
        updated_at: Some(timestamp(p.updated_at)),
    }
}
