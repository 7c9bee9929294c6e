//! Stock levels for the vendors who own them, and low-stock alerts for admins.

use actix_web::{HttpResponse, get, put, web};
use serde::{Deserialize, Serialize};
use shop_proto::inventory::v1 as pb;
use utoipa::ToSchema;

use crate::{
    auth::{Admin, Authenticated},
    error::{Problem, ProblemBody},
    state::State,
};

#[derive(Serialize, ToSchema)]
pub struct StockView {
    pub sku: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    pub low_stock_threshold: i64,
}

impl From<pb::Stock> for StockView {
    fn from(s: pb::Stock) -> Self {
        Self {
            sku: s.sku,
            on_hand: s.on_hand,
            reserved: s.reserved,
            available: s.available,
            low_stock_threshold: s.low_stock_threshold,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockBody {
    /// Units on the shelf; never below the units reserved.
    pub on_hand: Option<i64>,
    /// At or under this many available units the SKU raises a low-stock alert.
    pub low_stock_threshold: Option<i64>,
}

/// A SKU's stock (owner vendor or admin).
#[utoipa::path(tag = "inventory", security(("bearer" = ["vendor"])), params(("sku" = String, Path)), responses(
    (status = 200, body = StockView),
    (status = 403, body = ProblemBody, content_type = "application/problem+json"),
    (status = 404, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/inventory/{sku}")]
pub async fn get_stock(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    sku: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(tonic::Request::new(pb::GetStockRequest { sku: sku.into_inner() }));
    let stock = state.clients.inventory.clone().get_stock(request).await?.into_inner();
    Ok(HttpResponse::Ok().json(StockView::from(stock)))
}

/// Sets on hand and/or the low-stock threshold (owner vendor or admin).
#[utoipa::path(tag = "inventory", request_body = StockBody, security(("bearer" = ["vendor"])), params(("sku" = String, Path)),
    responses(
        (status = 200, body = StockView),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "below the units reserved", body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[put("/inventory/{sku}")]
pub async fn set_stock(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    sku: web::Path<String>,
    body: web::Json<StockBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let message =
        pb::SetStockRequest { sku: sku.into_inner(), on_hand: b.on_hand, low_stock_threshold: b.low_stock_threshold };
    let stock = state.clients.inventory.clone().set_stock(caller.authorize(tonic::Request::new(message))).await?;
    Ok(HttpResponse::Ok().json(StockView::from(stock.into_inner())))
}

/// SKUs at or under their low-stock threshold (admin).
#[utoipa::path(tag = "admin", security(("bearer" = ["admin"])), responses(
    (status = 200, body = Vec<StockView>),
    (status = 403, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/admin/inventory/alerts")]
pub async fn alerts(state: web::Data<State>, Admin(caller): Admin) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(tonic::Request::new(pb::ListLowStockRequest {}));
    let items = state.clients.inventory.clone().list_low_stock(request).await?.into_inner().items;
    Ok(HttpResponse::Ok().json(items.into_iter().map(StockView::from).collect::<Vec<_>>()))
}
