//! Catalog routes.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use shop_proto::catalog::v1 as pb;
use utoipa::ToSchema;

use crate::{
    auth::Authenticated,
    error::{Problem, ProblemBody},
    routes::{as_caller, rfc3339},
    state::State,
};

#[derive(Serialize, ToSchema)]
pub struct MoneyView {
    /// Integer minor units (cents).
    pub amount: i64,
    /// ISO-4217 code.
    pub currency: String,
}

#[derive(Serialize, ToSchema)]
pub struct ImageView {
    pub url: String,
    pub alt: String,
}

#[derive(Serialize, ToSchema)]
pub struct VariantView {
    pub sku: String,
    pub price: MoneyView,
    pub attributes: BTreeMap<String, String>,
    /// Units that can be bought now; absent when inventory does not track the SKU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct RatingView {
    pub average: f64,
    pub count: u32,
    /// Reviews per star, index 0 = one star.
    pub histogram: Vec<u32>,
}

#[derive(Serialize, ToSchema)]
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
    /// Whether any variant can be bought now; `null` when inventory has not reported.
    pub in_stock: Option<bool>,
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
                    available: v.available,
                })
                .collect(),
            rating: RatingView { average: rating.average, count: rating.count, histogram: rating.histogram },
            in_stock: p.in_stock,
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
    let body = product_json(&state, caller.as_ref().map(|c| &c.0), &id.into_inner()).await?;
    Ok(HttpResponse::Ok().content_type("application/json").body(body))
}

/// A product as the API shows it (JSON), for `caller`: the one way the gateway reads one
/// (the route above, and the web app's page heads). Product reads are the hot path, and an
/// active product looks the same to everyone: only active products are cached, so a cached
/// one may be served to any caller.
pub async fn product_json(
    state: &State,
    caller: Option<&shop_auth::Caller>,
    id: &str,
) -> Result<bytes::Bytes, Problem> {
    if let Some(body) = state.products.get(id).await {
        return Ok(body);
    }
    let request = as_caller(caller, pb::GetProductRequest { id: id.to_owned() });
    let view = ProductView::from(state.clients.catalog.clone().get_product(request).await?.into_inner());
    let body = bytes::Bytes::from(
        serde_json::to_vec(&view)
            .map_err(|e| Problem::from(shop_platform::ApiError::internal(&anyhow::Error::from(e))))?,
    );
    if view.status == "active" {
        state.products.put(id, body.clone()).await;
    }
    Ok(body)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyBody {
    /// Integer minor units (cents); never a fraction.
    pub amount: i64,
    pub currency: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageBody {
    pub url: String,
    #[serde(default)]
    pub alt: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantBody {
    pub sku: String,
    pub price: MoneyBody,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// The client-settable product fields (never `id`, `vendor_id`, `rating`, timestamps).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductBody {
    pub name: Option<String>,
    pub description: Option<String>,
    pub category_id: Option<String>,
    pub tags: Option<Vec<String>>,
    pub images: Option<Vec<ImageBody>>,
    pub attributes: Option<BTreeMap<String, String>>,
    /// `draft` (default), `active` or `archived`.
    pub status: Option<String>,
    pub variants: Option<Vec<VariantBody>>,
}

fn status_of(s: &str) -> Result<pb::ProductStatus, Problem> {
    match s {
        "draft" => Ok(pb::ProductStatus::Draft),
        "active" => Ok(pb::ProductStatus::Active),
        "archived" => Ok(pb::ProductStatus::Archived),
        _ => Err(Problem::invalid("status", "must be draft, active or archived")),
    }
}

impl ProductBody {
    /// The proto input and the names of the fields present.
    fn into_input(self) -> Result<(pb::ProductInput, Vec<String>), Problem> {
        let mut mask = Vec::new();
        let mut present = |name: &str, here: bool| {
            if here {
                mask.push(name.to_owned());
            }
        };
        present("name", self.name.is_some());
        present("description", self.description.is_some());
        present("category_id", self.category_id.is_some());
        present("tags", self.tags.is_some());
        present("images", self.images.is_some());
        present("attributes", self.attributes.is_some());
        present("status", self.status.is_some());
        present("variants", self.variants.is_some());
        let status = self.status.as_deref().map(status_of).transpose()?.unwrap_or(pb::ProductStatus::Unspecified);
        let input = pb::ProductInput {
            name: self.name.unwrap_or_default(),
            description: self.description.unwrap_or_default(),
            category_id: self.category_id.unwrap_or_default(),
            tags: self.tags.unwrap_or_default(),
            images: self.images.unwrap_or_default().into_iter().map(|i| pb::Image { url: i.url, alt: i.alt }).collect(),
            attributes: self.attributes.unwrap_or_default().into_iter().collect(),
            status: status.into(),
            variants: self
                .variants
                .unwrap_or_default()
                .into_iter()
                .map(|v| pb::Variant {
                    sku: v.sku,
                    price: Some(shop_proto::common::v1::Money { amount: v.price.amount, currency: v.price.currency }),
                    attributes: v.attributes.into_iter().collect(),
                    available: None,
                })
                .collect(),
        };
        Ok((input, mask))
    }
}

/// Creates a product owned by the calling vendor (or admin). It starts as a draft unless
/// `status` says otherwise.
#[utoipa::path(tag = "catalog", request_body = ProductBody, security(("bearer" = ["vendor"])), responses(
    (status = 201, body = ProductView),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
    (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, body = ProblemBody, content_type = "application/problem+json"),
    (status = 409, description = "a SKU is taken", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/products")]
pub async fn create_product(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    body: web::Json<ProductBody>,
) -> Result<HttpResponse, Problem> {
    let (input, _) = body.into_inner().into_input()?;
    let request = caller.authorize(tonic::Request::new(pb::CreateProductRequest { product: Some(input) }));
    let product = state.clients.catalog.clone().create_product(request).await?.into_inner();
    Ok(HttpResponse::Created().json(ProductView::from(product)))
}

/// Changes the fields present in the body (owner vendor or admin).
#[utoipa::path(tag = "catalog", request_body = ProductBody, security(("bearer" = ["vendor"])),
    params(("id" = String, Path, description = "Product id (UUID)")),
    responses(
        (status = 200, body = ProductView),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "another vendor's product", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[patch("/products/{id}")]
pub async fn update_product(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    id: web::Path<String>,
    body: web::Json<ProductBody>,
) -> Result<HttpResponse, Problem> {
    let (input, mask) = body.into_inner().into_input()?;
    if mask.is_empty() {
        return Err(Problem::invalid("body", "nothing to change"));
    }
    let message = pb::UpdateProductRequest { id: id.into_inner(), product: Some(input), update_mask: mask };
    let product = state.clients.catalog.clone().update_product(caller.authorize(tonic::Request::new(message))).await?;
    Ok(HttpResponse::Ok().json(ProductView::from(product.into_inner())))
}

/// Deletes a product (owner vendor or admin).
#[utoipa::path(tag = "catalog", security(("bearer" = ["vendor"])),
    params(("id" = String, Path, description = "Product id (UUID)")),
    responses(
        (status = 204),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[delete("/products/{id}")]
pub async fn delete_product(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(tonic::Request::new(pb::DeleteProductRequest { id: id.into_inner() }));
    state.clients.catalog.clone().delete_product(request).await?;
    Ok(HttpResponse::NoContent().finish())
}
