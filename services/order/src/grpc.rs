//! Order's gRPC face. Carts are served now; checkout and the order lifecycle answer
//! UNIMPLEMENTED until they land.

use std::sync::Arc;

use shop_auth::{Caller, Verifier};
use shop_platform::{ApiError, ErrorKind};
use shop_proto::{
    catalog::v1::{GetProductsRequest, PricedSku, catalog_service_client::CatalogServiceClient},
    common::v1::Money,
    order::v1::{self as pb, order_service_server::OrderService},
};
use tonic::{Request, Response, Status, transport::Channel};

use crate::{
    cart::{CartError, CartStore, MAX_QUANTITY},
    checkout::{self, Checkout},
    domain::{Address, Order, Status as OrderStatus},
};

/// Largest page of an order list.
const MAX_PER_PAGE: u32 = 100;

fn order_status(s: OrderStatus) -> pb::OrderStatus {
    match s {
        OrderStatus::Pending => pb::OrderStatus::Pending,
        OrderStatus::Reserved => pb::OrderStatus::Reserved,
        OrderStatus::Paid => pb::OrderStatus::Paid,
        OrderStatus::Shipped => pb::OrderStatus::Shipped,
        OrderStatus::Delivered => pb::OrderStatus::Delivered,
        OrderStatus::Cancelled => pb::OrderStatus::Cancelled,
        OrderStatus::Refunded => pb::OrderStatus::Refunded,
    }
}

fn to_proto(o: &Order) -> pb::Order {
    let money = |amount: i64| Some(Money { amount, currency: o.currency.clone() });
    let a = &o.shipping;
    pb::Order {
        id: o.id.clone(),
        user_id: o.user_id.clone(),
        status: order_status(o.status).into(),
        lines: o
            .lines
            .iter()
            .map(|l| pb::Line {
                sku: l.sku.clone(),
                product_id: l.product_id.clone(),
                name: l.name.clone(),
                quantity: l.quantity,
                unit_price: money(l.unit_price),
                line_total: money(l.unit_price.saturating_mul(l.quantity)),
            })
            .collect(),
        total: money(o.total()),
        shipping_address: Some(shop_proto::common::v1::Address {
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            region: a.region.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
        }),
        payment: Some(pb::PaymentSummary { status: o.payment_status.clone(), payment_id: o.id.clone() }),
        cancel_reason: o.cancel_reason.clone().unwrap_or_default(),
        created_at: Some(shop_proto::Timestamp { seconds: o.created_at, nanos: 0 }),
        updated_at: Some(shop_proto::Timestamp { seconds: o.updated_at, nanos: 0 }),
    }
}

/// A shipping address: line 1, city, postal code and a two-letter country are required.
fn address(a: Option<shop_proto::common::v1::Address>) -> Result<Address, Status> {
    let a = a.unwrap_or_default();
    let mut errors = Vec::new();
    for (field, value, required) in [
        ("shipping_address.line1", &a.line1, true),
        ("shipping_address.line2", &a.line2, false),
        ("shipping_address.city", &a.city, true),
        ("shipping_address.region", &a.region, false),
        ("shipping_address.postal_code", &a.postal_code, true),
    ] {
        let v = value.trim();
        if (required && v.is_empty()) || v.chars().count() > 200 || v.chars().any(char::is_control) {
            errors.push(shop_platform::FieldError {
                field: field.into(),
                message: "required, at most 200 characters".into(),
            });
        }
    }
    if !(a.country.len() == 2 && a.country.bytes().all(|b| b.is_ascii_uppercase())) {
        errors.push(shop_platform::FieldError {
            field: "shipping_address.country".into(),
            message: "a two-letter code such as US".into(),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors).into());
    }
    Ok(Address {
        line1: a.line1.trim().into(),
        line2: a.line2.trim().into(),
        city: a.city.trim().into(),
        region: a.region.trim().into(),
        postal_code: a.postal_code.trim().into(),
        country: a.country,
    })
}

/// A free-text reason: at most 500 characters, no control characters.
fn reason(raw: &str) -> Result<&str, Status> {
    let raw = raw.trim();
    if raw.chars().count() > 500 || raw.chars().any(char::is_control) {
        return Err(invalid("reason", "at most 500 characters"));
    }
    Ok(raw)
}

pub struct OrderGrpc {
    carts: Arc<dyn CartStore>,
    catalog: CatalogServiceClient<Channel>,
    verifier: Arc<Verifier>,
    checkout: Arc<Checkout>,
}

fn invalid(field: &str, message: impl Into<String>) -> Status {
    ApiError::invalid_field(field, message).into()
}

fn cart_error(err: CartError) -> Status {
    match err {
        CartError::TooMany => ApiError::invalid_field("quantity", err.to_string()).with_code("cart_limit").into(),
        CartError::TooManyLines => ApiError::new(ErrorKind::Conflict, err.to_string()).with_code("cart_limit").into(),
        CartError::Unexpected(e) => ApiError::internal(&e).into(),
    }
}

impl OrderGrpc {
    pub fn new(checkout: Arc<Checkout>, verifier: Arc<Verifier>) -> Self {
        Self { carts: checkout.carts.clone(), catalog: checkout.catalog.clone(), verifier, checkout }
    }

    pub fn server(self) -> pb::order_service_server::OrderServiceServer<Self> {
        pb::order_service_server::OrderServiceServer::new(self)
    }

    async fn caller<T>(&self, req: &Request<T>) -> Result<Caller, Status> {
        self.verifier
            .caller(req.metadata())
            .await
            .map_err(|_| ApiError::new(ErrorKind::Unauthenticated, "authentication required").into())
    }

    /// Current catalog prices of `skus`, forwarding the caller's token.
    async fn prices(&self, caller: &Caller, skus: Vec<String>) -> Result<Vec<PricedSku>, Status> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let request = caller.authorize(Request::new(GetProductsRequest { skus }));
        Ok(self.catalog.clone().get_products(request).await?.into_inner().items)
    }

    /// The cart priced now: lines of SKUs still for sale, and the subtotal.
    async fn priced(&self, caller: &Caller) -> Result<pb::Cart, Status> {
        let lines = self.carts.lines(&caller.user_id).await.map_err(cart_error)?;
        let prices = self.prices(caller, lines.iter().map(|(s, _)| s.clone()).collect()).await?;
        let mut out = Vec::new();
        let (mut subtotal, mut currency) = (0i64, String::new());
        for (sku, quantity) in lines {
            let Some(item) = prices.iter().find(|p| p.sku == sku && p.purchasable) else { continue };
            let price = item.price.clone().unwrap_or_default();
            let total = price.amount.saturating_mul(quantity);
            subtotal = subtotal.saturating_add(total);
            currency.clone_from(&price.currency);
            out.push(pb::Line {
                sku,
                product_id: item.product_id.clone(),
                name: item.name.clone(),
                quantity,
                line_total: Some(Money { amount: total, currency: price.currency.clone() }),
                unit_price: Some(price),
            });
        }
        Ok(pb::Cart { lines: out, subtotal: Some(Money { amount: subtotal, currency }) })
    }

    fn quantity(q: i64, allow_zero: bool) -> Result<i64, Status> {
        let low = i64::from(!allow_zero);
        if (low..=MAX_QUANTITY).contains(&q) {
            Ok(q)
        } else {
            Err(invalid("quantity", format!("must be from {low} to {MAX_QUANTITY}")))
        }
    }
}

#[tonic::async_trait]
impl OrderService for OrderGrpc {
    #[tracing::instrument(skip_all)]
    async fn place_order(&self, req: Request<pb::PlaceOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let caller = self.caller(&req).await?;
        let r = req.into_inner();
        let key_ok =
            (1..=255).contains(&r.idempotency_key.len()) && r.idempotency_key.bytes().all(|b| b.is_ascii_graphic());
        if !key_ok {
            return Err(invalid("idempotency_key", "1-255 visible ASCII characters"));
        }
        let token_ok = r.payment_token.starts_with("tok_") && r.payment_token.len() <= 100;
        if !token_ok {
            return Err(invalid(
                "payment_token",
                "must be a payment provider token (tok_…); card data is never accepted",
            ));
        }
        let shipping = address(r.shipping_address)?;
        let order = self.checkout.place(&caller, &r.idempotency_key, shipping, &r.payment_token).await?;
        Ok(Response::new(to_proto(&order)))
    }

    async fn get_order(&self, req: Request<pb::GetOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let caller = self.caller(&req).await?;
        let order = self.checkout.visible(&caller, &req.get_ref().id).await?;
        Ok(Response::new(to_proto(&order)))
    }

    #[tracing::instrument(skip_all, fields(order_id = %req.get_ref().id))]
    async fn cancel_order(&self, req: Request<pb::CancelOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let caller = self.caller(&req).await?;
        let r = req.into_inner();
        let order = self.checkout.cancel(&caller, &r.id, reason(&r.reason)?).await?;
        Ok(Response::new(to_proto(&order)))
    }

    #[tracing::instrument(skip_all, fields(order_id = %req.get_ref().id))]
    async fn ship_order(&self, req: Request<pb::ShipOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let caller = self.caller(&req).await?;
        let order = self.checkout.ship(&caller, &req.get_ref().id).await?;
        Ok(Response::new(to_proto(&order)))
    }

    #[tracing::instrument(skip_all, fields(order_id = %req.get_ref().id))]
    async fn refund_order(&self, req: Request<pb::RefundOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let caller = self.caller(&req).await?;
        let r = req.into_inner();
        let order = self.checkout.refund(&caller, &r.id, reason(&r.reason)?).await?;
        Ok(Response::new(to_proto(&order)))
    }

    async fn list_orders(
        &self,
        req: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        let caller = self.caller(&req).await?;
        let r = req.into_inner();
        if r.all_users && !caller.is_admin() {
            return Err(ApiError::new(ErrorKind::PermissionDenied, "this needs the admin role").into());
        }
        let page = r.page.unwrap_or_default();
        let (number, per_page) = (page.page.max(1), if page.per_page == 0 { 20 } else { page.per_page });
        if per_page > MAX_PER_PAGE {
            return Err(invalid("per_page", format!("must be at most {MAX_PER_PAGE}")));
        }
        let status = match pb::OrderStatus::try_from(r.status).unwrap_or_default() {
            pb::OrderStatus::Unspecified => None,
            s => OrderStatus::parse(&s.as_str_name().trim_start_matches("ORDER_STATUS_").to_lowercase()),
        };
        let user = if r.all_users { None } else { Some(caller.user_id.as_str()) };
        let offset = u64::from(number - 1) * u64::from(per_page);
        let (orders, total) =
            self.checkout.orders.list(user, status, offset, u64::from(per_page)).await.map_err(checkout::store)?;
        Ok(Response::new(pb::ListOrdersResponse {
            orders: orders.iter().map(to_proto).collect(),
            page: Some(shop_proto::common::v1::PageInfo { page: number, per_page, total }),
        }))
    }

    async fn has_purchased(
        &self,
        req: Request<pb::HasPurchasedRequest>,
    ) -> Result<Response<pb::HasPurchasedResponse>, Status> {
        let caller = self.caller(&req).await?;
        let r = req.into_inner();
        if r.user_id != caller.user_id && !caller.is_admin() {
            return Err(ApiError::new(ErrorKind::PermissionDenied, "not allowed").into());
        }
        let purchased = self.checkout.orders.purchased(&r.user_id, &r.product_id).await.map_err(checkout::store)?;
        Ok(Response::new(pb::HasPurchasedResponse { purchased }))
    }

    async fn get_cart(&self, req: Request<pb::GetCartRequest>) -> Result<Response<pb::Cart>, Status> {
        let caller = self.caller(&req).await?;
        Ok(Response::new(self.priced(&caller).await?))
    }

    #[tracing::instrument(skip_all, fields(sku = %req.get_ref().sku))]
    async fn add_cart_item(&self, req: Request<pb::AddCartItemRequest>) -> Result<Response<pb::Cart>, Status> {
        let caller = self.caller(&req).await?;
        let r = req.into_inner();
        let quantity = Self::quantity(r.quantity, false)?;
        let priced = self.prices(&caller, vec![r.sku.clone()]).await?;
        match priced.iter().find(|p| p.sku == r.sku) {
            None => return Err(ApiError::not_found("product with this SKU").into()),
            Some(p) if !p.purchasable => {
                return Err(ApiError::new(ErrorKind::Conflict, "this product is not for sale")
                    .with_code("not_for_sale")
                    .into());
            }
            Some(_) => {}
        }
        self.carts.add(&caller.user_id, &r.sku, quantity).await.map_err(cart_error)?;
        Ok(Response::new(self.priced(&caller).await?))
    }

    #[tracing::instrument(skip_all, fields(sku = %req.get_ref().sku))]
    async fn update_cart_item(&self, req: Request<pb::UpdateCartItemRequest>) -> Result<Response<pb::Cart>, Status> {
        let caller = self.caller(&req).await?;
        let r = req.into_inner();
        let quantity = Self::quantity(r.quantity, true)?;
        let present = self.carts.lines(&caller.user_id).await.map_err(cart_error)?.iter().any(|(s, _)| *s == r.sku);
        if !present {
            return Err(ApiError::not_found("cart line").into());
        }
        self.carts.set(&caller.user_id, &r.sku, quantity).await.map_err(cart_error)?;
        Ok(Response::new(self.priced(&caller).await?))
    }

    #[tracing::instrument(skip_all, fields(sku = %req.get_ref().sku))]
    async fn remove_cart_item(&self, req: Request<pb::RemoveCartItemRequest>) -> Result<Response<pb::Cart>, Status> {
        let caller = self.caller(&req).await?;
        self.carts.remove(&caller.user_id, &req.get_ref().sku).await.map_err(cart_error)?;
        Ok(Response::new(self.priced(&caller).await?))
    }
}
