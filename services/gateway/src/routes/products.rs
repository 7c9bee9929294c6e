//! Catalog routes.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use shop_proto::catalog::v1 as pb;

use crate::{
    auth::Authenticated,
    error::{Problem, ProblemBody},
    routes::rfc3339,
    startup::State,
};

#[derive(Serialize, utoipa::ToSchema)]
pub struct MoneyView {
    /// Integer minor units (cents).
    pub amount: i64,
    /// ISO-4217 code.
    pub currency: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ImageView {
    pub url: String,
    pub alt: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VariantView {
    pub sku: String,
    pub price: MoneyView,
    pub attributes: BTreeMap<String, String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RatingView {
    pub average: f64,
    pub count: u32,
    /// Reviews per star, index 0 = one star.
    pub histogram: Vec<u32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProductView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub category_id: Option<String>,
    pub tags: Vec<String>,
    pub images: Vec<ImageView>,
    pub attributes: BTreeMap<String, String>,
    /// `draft`, `active` or `archived`.
    pub status: &'static str,
    pub vendor_id: String,
    pub variants: Vec<VariantView>,
    pub rating: RatingView,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

pub fn money(m: Option<shop_proto::common::v1::Money>) -> MoneyView {
    let m = m.unwrap_or_default();
    MoneyView { amount: m.amount, currency: m.currency }
}

const fn status(s: pb::ProductStatus) -> &'static str {
    match s {
        pb::ProductStatus::Draft | pb::ProductStatus::Unspecified => "draft",
        pb::ProductStatus::Active => "active",
        pb::ProductStatus::Archived => "archived",
    }
}

impl From<pb::Product> for ProductView {
    fn from(p: pb::Product) -> Self {
        let rating = p.rating.clone().unwrap_or_default();
        Self {
            status: status(p.status()),
            id: p.id,
            name: p.name,
            description: p.description,
            category_id: Some(p.category_id).filter(|c| !c.is_empty()),
            tags: p.tags,
            images: p.images.into_iter().map(|i| ImageView { url: i.url, alt: i.alt }).collect(),
            attributes: p.attributes.into_iter().collect(),
            vendor_id: p.vendor_id,
            variants: p
                .variants
                .into_iter()
                .map(|v| VariantView {
                    sku: v.sku,
                    price: money(v.price),
                    attributes: v.attributes.into_iter().collect(),
                })
                .collect(),
            rating: RatingView { average: rating.average, count: rating.count, histogram: rating.histogram },
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

/// One product with its variants, images and rating summary.
#[utoipa::path(
    tag = "catalog",
    params(("id" = String, Path, description = "Product id (UUID)")),
    responses(
        (status = 200, body = ProductView),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    )
)]
#[get("/products/{id}")]
pub async fn get_product(
    state: web::Data<State>,
    caller: Option<Authenticated>,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let request = tonic::Request::new(pb::GetProductRequest { id: id.into_inner() });
    let request = match caller {
        Some(Authenticated(caller)) => caller.authorize(request),
        None => request,
    };
    let product = state.clients.catalog.clone().get_product(request).await?.into_inner();
    Ok(HttpResponse::Ok().json(ProductView::from(product)))
}
