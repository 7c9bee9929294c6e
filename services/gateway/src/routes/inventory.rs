//! Stock levels for the vendors who own them, and low-stock alerts for admins.

use actix_web::{HttpResponse, get, put, web};
use serde::{Deserialize, Serialize};
use shop_proto::inventory::v1 as pb;
use utoipa::ToSchema;

use super::{Page, PageQuery, rfc3339};
use crate::{
    auth::Authenticated,
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

/// SKUs at or under their low-stock threshold, by SKU, a page at a time: an admin's all,
/// a vendor's its own.
#[utoipa::path(tag = "admin", params(PageQuery), security(("bearer" = ["vendor", "admin"])), responses(
    (status = 200, body = Page<StockView>),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/admin/inventory/alerts")]
pub async fn alerts(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, Problem> {
    let page = query.into_inner().validate()?;
    let request = caller.authorize(tonic::Request::new(pb::ListLowStockRequest { page: Some(page) }));
    let found = state.clients.inventory.clone().list_low_stock(request).await?.into_inner();
    let info = found.page.unwrap_or_default();
    Ok(HttpResponse::Ok().json(Page::new(found.items.into_iter().map(StockView::from).collect(), &info)))
}

/// One change of a SKU's stock.
#[derive(Serialize, ToSchema)]
pub struct LedgerEntryView {
    /// Units put on (positive) or taken off (negative) the shelf.
    pub on_hand_delta: i64,
    /// Units held (positive) or let go (negative) by reservations.
    pub reserved_delta: i64,
    /// `set`, `restock`, `reserve`, `commit`, `release`, `return`.
    pub reason: String,
    pub order_id: Option<String>,
    /// When (RFC 3339).
    pub at: Option<String>,
}

/// A page of a SKU's ledger, and the units its open reservations hold now.
#[derive(Serialize, ToSchema)]
pub struct LedgerView {
    pub sku: String,
    /// Units held by open reservations now.
    pub held: i64,
    #[serde(flatten)]
    pub page: Page<LedgerEntryView>,
}

/// Every change of a SKU's stock, newest first, a page at a time (owner vendor or admin).
#[utoipa::path(tag = "inventory", params(("sku" = String, Path), PageQuery), security(("bearer" = ["vendor"])),
    responses(
        (status = 200, body = LedgerView),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[get("/inventory/{sku}/ledger")]
pub async fn ledger(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    sku: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, Problem> {
    let page = query.into_inner().validate()?;
    let request = pb::GetLedgerRequest { sku: sku.into_inner(), page: Some(page) };
    let ledger = state.clients.inventory.clone().get_ledger(caller.authorize(tonic::Request::new(request))).await?;
    let ledger = ledger.into_inner();
    let entries = ledger
        .entries
        .into_iter()
        .map(|e| LedgerEntryView {
            on_hand_delta: e.on_hand_delta,
            reserved_delta: e.reserved_delta,
            reason: e.reason,
            order_id: Some(e.order_id).filter(|id| !id.is_empty()),
            at: e.at.map(|at| rfc3339(Some(at))),
        })
        .collect();
    let info = ledger.page.unwrap_or_default();
    Ok(HttpResponse::Ok().json(LedgerView { sku: ledger.sku, held: ledger.held, page: Page::new(entries, &info) }))
}
