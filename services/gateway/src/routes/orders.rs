//! Checkout and orders: the signed-in user's own orders, and the admin's view of all.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use shop_proto::{common::v1 as common, order::v1 as pb};
use shop_types::{AddressInput, IdempotencyKey};
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::{Admin, Authenticated},
    error::{Problem, ProblemBody},
    routes::{
        Page, PageQuery,
        cart::LineView,
        products::{MoneyView, money},
        rfc3339,
    },
    state::State,
};

#[derive(Serialize, ToSchema)]
pub struct PaymentView {
    /// `pending`, `succeeded`, `failed` or `refunded`.
    pub status: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrderView {
    pub id: String,
    pub user_id: String,
    /// `pending`, `reserved`, `paid`, `shipped`, `delivered`, `cancelled` or `refunded`.
    pub status: String,
    pub lines: Vec<LineView>,
    pub total: MoneyView,
    pub shipping_address: AddressInput,
    pub payment: PaymentView,
    /// Why the order was cancelled or refunded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    /// Who carries it and its tracking number, once shipped (when the shop said).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment: Option<ShipmentBody>,
    pub created_at: String,
    pub updated_at: String,
}

/// The name of an order status as the contract encodes it.
fn status_name(status: i32) -> String {
    let status = pb::OrderStatus::try_from(status).unwrap_or_default();
    status.as_str_name().trim_start_matches("ORDER_STATUS_").to_lowercase()
}

impl From<pb::Order> for OrderView {
    fn from(o: pb::Order) -> Self {
        Self {
            id: o.id,
            user_id: o.user_id,
            status: status_name(o.status),
            lines: o.lines.into_iter().map(LineView::from).collect(),
            total: money(o.total),
            shipping_address: o.shipping_address.map(AddressInput::from).unwrap_or_default(),
            payment: PaymentView { status: o.payment.map(|p| p.status).unwrap_or_default() },
            cancel_reason: Some(o.cancel_reason).filter(|r| !r.is_empty()),
            shipment: o.shipment.map(|s| ShipmentBody { carrier: s.carrier, tracking_number: s.tracking_number }),
            created_at: rfc3339(o.created_at),
            updated_at: rfc3339(o.updated_at),
        }
    }
}

/// Checks out the cart. Prices come from catalog, never from the client; card data is never
/// accepted — `payment_token` is the payment provider's token (sandbox: `tok_visa`,
/// `tok_chargeDeclined`, `tok_insufficientFunds`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutBody {
    pub shipping_address: AddressInput,
    pub payment_token: String,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// At most 500 characters.
    #[serde(default)]
    pub reason: String,
}

/// How a shipped order travels.
#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ShipmentBody {
    /// At most 64 characters, e.g. `DHL`.
    #[serde(default)]
    pub carrier: String,
    /// At most 64 characters.
    #[serde(default)]
    pub tracking_number: String,
}

/// The reason in an optional `{"reason": …}` body.
fn reason(body: &[u8]) -> Result<String, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(String::new());
    }
    let parsed: ReasonBody = serde_json::from_slice(body).map_err(|e| Problem::invalid("body", e.to_string()))?;
    Ok(parsed.reason)
}

/// The `Idempotency-Key` header, required on checkout, by the one rule for such keys.
fn idempotency_key(req: &HttpRequest) -> Result<String, Problem> {
    let key = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let key = IdempotencyKey::parse(key).map_err(|message| Problem::invalid("Idempotency-Key", message))?;
    Ok(key.as_str().to_owned())
}

/// Places the cart as an order: stock reserved, payment taken once, then paid — or
/// compensated. The same `Idempotency-Key` again returns the same answer.
#[utoipa::path(tag = "orders", request_body = CheckoutBody, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "unique per checkout, at most 255 characters")),
    responses(
        (status = 201, body = OrderView),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 402, description = "payment_declined", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "email_unverified: the shop takes orders only from verified addresses (SHOP_REQUIRE_VERIFIED_EMAIL)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "out_of_stock", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "cart_empty, idempotency_key_reused", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 429, description = "too_many_checkouts: at most 3 of one customer's run at once",
            body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[post("/orders")]
pub async fn place_order(
    req: HttpRequest,
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    body: web::Json<CheckoutBody>,
) -> Result<HttpResponse, Problem> {
    let idempotency_key = idempotency_key(&req)?;
    let b = body.into_inner();
    let message = pb::PlaceOrderRequest {
        idempotency_key,
        shipping_address: Some(common::Address::from(b.shipping_address)),
        payment_token: b.payment_token,
    };
    let order = state.clients.order.clone().place_order(caller.authorize(tonic::Request::new(message))).await?;
    Ok(HttpResponse::Created().json(OrderView::from(order.into_inner())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrdersQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// The previous page's `next_cursor` (instead of `page`).
    pub cursor: Option<String>,
    /// Admin list only: orders in this status.
    pub status: Option<String>,
}

async fn list(state: &State, caller: &shop_auth::Caller, q: OrdersQuery, all: bool) -> Result<HttpResponse, Problem> {
    let status = match q.status.as_deref() {
        None => pb::OrderStatus::Unspecified,
        Some(s) => pb::OrderStatus::from_str_name(&format!("ORDER_STATUS_{}", s.to_uppercase()))
            .filter(|s| *s != pb::OrderStatus::Unspecified)
            .ok_or_else(|| {
                Problem::invalid("status", "one of pending, reserved, paid, shipped, delivered, cancelled, refunded")
            })?,
    };
    let message = pb::ListOrdersRequest {
        page: Some(PageQuery { page: q.page, per_page: q.per_page, cursor: q.cursor }.validate()?),
        all_users: all,
        status: status.into(),
    };
    let reply = state.clients.order.clone().list_orders(caller.authorize(tonic::Request::new(message))).await?;
    let reply = reply.into_inner();
    let items = reply.orders.into_iter().map(OrderView::from).collect();
    Ok(HttpResponse::Ok().json(Page::new(items, &reply.page.unwrap_or_default())))
}

/// The caller's own orders, newest first.
#[utoipa::path(tag = "orders", security(("bearer" = [])), params(OrdersQuery), responses(
    (status = 200, body = Page<OrderView>),
    (status = 401, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/orders")]
pub async fn my_orders(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, Problem> {
    list(&state, &caller, query.into_inner(), false).await
}

/// Every user's orders (admin), optionally in one status.
#[utoipa::path(tag = "orders", security(("bearer" = ["admin"])), params(OrdersQuery), responses(
    (status = 200, body = Page<OrderView>),
    (status = 403, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/admin/orders")]
pub async fn all_orders(
    state: web::Data<State>,
    Admin(caller): Admin,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, Problem> {
    list(&state, &caller, query.into_inner(), true).await
}

/// One of the caller's orders (another user's is 404).
#[utoipa::path(tag = "orders", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, body = OrderView),
    (status = 404, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/orders/{id}")]
pub async fn get_order(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let message = pb::GetOrderRequest { id: id.into_inner() };
    let order = state.clients.order.clone().get_order(caller.authorize(tonic::Request::new(message))).await?;
    Ok(HttpResponse::Ok().json(OrderView::from(order.into_inner())))
}

/// Cancels a paid order before it ships (its owner or an admin): refunded, stock back.
#[utoipa::path(tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = ReasonBody, description = "optional"), responses(
        (status = 200, body = OrderView),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "not_cancellable", body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[post("/orders/{id}/cancel")]
pub async fn cancel_order(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let reason = reason(&body)?;
    let message = pb::CancelOrderRequest { id: id.into_inner(), reason };
    let order = state.clients.order.clone().cancel_order(caller.authorize(tonic::Request::new(message))).await?;
    Ok(HttpResponse::Ok().json(OrderView::from(order.into_inner())))
}

/// Marks a paid order shipped (admin), optionally with its carrier and tracking number
/// (the customer's shipping mail carries them).
#[utoipa::path(tag = "orders", security(("bearer" = ["admin"])), params(("id" = String, Path)),
    request_body(content = ShipmentBody, description = "optional"), responses(
        (status = 200, body = OrderView),
        (status = 409, description = "illegal_transition", body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[post("/admin/orders/{id}/ship")]
pub async fn ship_order(
    state: web::Data<State>,
    Admin(caller): Admin,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let shipment: ShipmentBody = if body.iter().all(u8::is_ascii_whitespace) {
        ShipmentBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| Problem::invalid("body", e.to_string()))?
    };
    let message = pb::ShipOrderRequest {
        id: id.into_inner(),
        carrier: shipment.carrier,
        tracking_number: shipment.tracking_number,
    };
    let order = state.clients.order.clone().ship_order(caller.authorize(tonic::Request::new(message))).await?;
    Ok(HttpResponse::Ok().json(OrderView::from(order.into_inner())))
}

/// Refunds a paid, shipped or delivered order in full (admin).
#[utoipa::path(tag = "orders", security(("bearer" = ["admin"])), params(("id" = String, Path)),
    request_body(content = ReasonBody, description = "optional"), responses(
        (status = 200, body = OrderView),
        (status = 409, description = "not_refundable", body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[post("/admin/orders/{id}/refund")]
pub async fn refund_order(
    state: web::Data<State>,
    Admin(caller): Admin,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let reason = reason(&body)?;
    let message = pb::RefundOrderRequest { id: id.into_inner(), reason };
    let order = state.clients.order.clone().refund_order(caller.authorize(tonic::Request::new(message))).await?;
    Ok(HttpResponse::Ok().json(OrderView::from(order.into_inner())))
}
