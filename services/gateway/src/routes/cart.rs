//! The signed-in user's cart, priced from catalog on every read.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use shop_proto::order::v1 as pb;
use utoipa::ToSchema;

use crate::{
    auth::Authenticated,
    error::{Problem, ProblemBody},
    routes::products::{MoneyView, money},
    state::State,
};

/// A line of a cart or an order, priced by catalog.
#[derive(Serialize, ToSchema)]
pub struct LineView {
    pub sku: String,
    pub product_id: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price: MoneyView,
    pub line_total: MoneyView,
}

#[derive(Serialize, ToSchema)]
pub struct CartView {
    pub lines: Vec<LineView>,
    pub subtotal: MoneyView,
}

impl From<pb::Line> for LineView {
    fn from(l: pb::Line) -> Self {
        Self {
            sku: l.sku,
            product_id: l.product_id,
            name: l.name,
            quantity: l.quantity,
            unit_price: money(l.unit_price),
            line_total: money(l.line_total),
        }
    }
}

impl From<pb::Cart> for CartView {
    fn from(c: pb::Cart) -> Self {
        Self { lines: c.lines.into_iter().map(LineView::from).collect(), subtotal: money(c.subtotal) }
    }
}

/// Adds units of a SKU (merging with its line). The price is never the client's.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddItem {
    pub sku: String,
    /// 1 to 100.
    pub quantity: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetQuantity {
    /// 0 to 100; 0 removes the line.
    pub quantity: i64,
}

/// The cart with current prices and subtotal.
#[utoipa::path(tag = "cart", security(("bearer" = [])), responses(
    (status = 200, body = CartView),
    (status = 401, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/cart")]
pub async fn get_cart(state: web::Data<State>, Authenticated(caller): Authenticated) -> Result<HttpResponse, Problem> {
    let cart =
        state.clients.order.clone().get_cart(caller.authorize(tonic::Request::new(pb::GetCartRequest {}))).await?;
    Ok(HttpResponse::Ok().json(CartView::from(cart.into_inner())))
}

#[utoipa::path(tag = "cart", request_body = AddItem, security(("bearer" = [])), responses(
    (status = 200, body = CartView),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
    (status = 404, description = "no such SKU", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/cart/items")]
pub async fn add_item(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    body: web::Json<AddItem>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let request = caller.authorize(tonic::Request::new(pb::AddCartItemRequest { sku: b.sku, quantity: b.quantity }));
    let cart = state.clients.order.clone().add_cart_item(request).await?;
    Ok(HttpResponse::Ok().json(CartView::from(cart.into_inner())))
}

#[utoipa::path(tag = "cart", request_body = SetQuantity, security(("bearer" = [])), params(("sku" = String, Path)),
    responses(
        (status = 200, body = CartView),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[patch("/cart/items/{sku}")]
pub async fn update_item(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    sku: web::Path<String>,
    body: web::Json<SetQuantity>,
) -> Result<HttpResponse, Problem> {
    let message = pb::UpdateCartItemRequest { sku: sku.into_inner(), quantity: body.quantity };
    let cart = state.clients.order.clone().update_cart_item(caller.authorize(tonic::Request::new(message))).await?;
    Ok(HttpResponse::Ok().json(CartView::from(cart.into_inner())))
}

#[utoipa::path(tag = "cart", security(("bearer" = [])), params(("sku" = String, Path)), responses(
    (status = 200, body = CartView),
))]
#[delete("/cart/items/{sku}")]
pub async fn remove_item(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    sku: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let message = pb::RemoveCartItemRequest { sku: sku.into_inner() };
    let cart = state.clients.order.clone().remove_cart_item(caller.authorize(tonic::Request::new(message))).await?;
    Ok(HttpResponse::Ok().json(CartView::from(cart.into_inner())))
}
