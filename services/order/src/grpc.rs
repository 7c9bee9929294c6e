//! Order's gRPC face: the caller from its token, requests checked into domain values,
//! answers converted back; the work is done by carts, checkout and the lifecycle.

use shop_service_kit::Refusal;
use std::sync::Arc;

use shop_proto::{
    common::v1::Money,
    order::v1::{self as pb, order_service_server::OrderService},
};
use shop_service_kit::policy::{Allow, GATEWAY, Policy};
use shop_service_kit::{Paging, auth::Authenticator};
use shop_types::{AddressInput, Fields, IdempotencyKey, OrderId, PaymentToken, Quantity, Sku};
use tonic::{Request, Response, Status};

use crate::{
    cart::Carts,
    checkout::Checkout,
    domain::{CancelReason, Order, PlaceOrder, Shipment, Status as OrderStatus},
    error::OrderError,
    pricing::Priced,
};

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

fn status_filter(s: pb::OrderStatus) -> Option<OrderStatus> {
    OrderStatus::ALL.into_iter().find(|status| s != pb::OrderStatus::Unspecified && order_status(*status) == s)
}

fn lines(lines: &[crate::domain::OrderLine], currency: &str) -> Vec<pb::Line> {
    let money = |amount: i64| Some(Money { amount, currency: currency.to_owned() });
    lines
        .iter()
        .map(|l| pb::Line {
            sku: l.sku.clone(),
            product_id: l.product_id.clone(),
            name: l.name.clone(),
            quantity: l.quantity,
            unit_price: money(l.unit_price),
            line_total: money(l.unit_price.saturating_mul(l.quantity)),
            vendor_id: l.vendor_id.clone(),
            category_ids: l.category_ids.clone(),
        })
        .collect()
}

fn to_proto(o: &Order) -> pb::Order {
    pb::Order {
        id: o.id.clone(),
        user_id: o.user_id.clone(),
        status: order_status(o.status).into(),
        lines: lines(&o.lines, &o.currency),
        total: Some(Money { amount: o.total(), currency: o.currency.clone() }),
        shipping_address: Some((&o.shipping).into()),
        payment: Some(pb::PaymentSummary { status: o.payment.as_str().to_owned(), payment_id: o.id.clone() }),
        cancel_reason: o.cancel_reason.as_ref().map(CancelReason::describe).unwrap_or_default(),
        shipment: o
            .shipment
            .as_ref()
            .map(|s| pb::Shipment { carrier: s.carrier.clone(), tracking_number: s.tracking_number.clone() }),
        created_at: Some(shop_proto::Timestamp { seconds: o.created_at, nanos: 0 }),
        updated_at: Some(shop_proto::Timestamp { seconds: o.updated_at, nanos: 0 }),
        history: o
            .history
            .iter()
            .map(|(status, at)| pb::StatusChange {
                status: order_status(*status).into(),
                at: Some(shop_proto::Timestamp { seconds: *at, nanos: 0 }),
            })
            .collect(),
    }
}

fn cart_to_proto(cart: &Priced) -> pb::Cart {
    pb::Cart {
        lines: lines(&cart.lines, &cart.currency),
        subtotal: Some(Money { amount: cart.subtotal, currency: cart.currency.clone() }),
    }
}

/// A checkout request checked whole: every bad field is reported at once, before anything
/// is priced or reserved.
fn place_order(r: pb::PlaceOrderRequest) -> Result<PlaceOrder, OrderError> {
    let mut fields = Fields::default();
    let key = fields.check("idempotency_key", IdempotencyKey::parse(&r.idempotency_key));
    let token = fields.check("payment_token", PaymentToken::parse(&r.payment_token));
    let shipping = AddressInput::from(r.shipping_address.unwrap_or_default()).parse("shipping_address");
    let shipping = shipping.map_err(|errors| fields.extend(errors)).ok();
    fields.finish().map_err(Refusal::Invalid)?;
    let (Some(key), Some(token), Some(shipping)) = (key, token, shipping) else {
        unreachable!("every field parsed when no error was collected");
    };
    Ok(PlaceOrder { key, shipping, token })
}

/// An order's id, by the one rule for order ids.
fn order_id(raw: &str) -> Result<String, Refusal> {
    Ok(Refusal::check("id", OrderId::parse(raw))?.to_string())
}

/// A free-text reason: at most 500 characters, no control characters.
fn reason(raw: &str) -> Result<String, OrderError> {
    Ok(Refusal::check("reason", shop_types::line(raw, 500, true))?)
}

/// Who may call each RPC (see `shop_service_kit::policy`).
pub const POLICY: Policy = Policy {
    service: pb::order_service_server::SERVICE_NAME,
    callee: crate::SERVICE,
    rules: &[
        ("GetCart", GATEWAY),
        ("AddCartItem", GATEWAY),
        ("UpdateCartItem", GATEWAY),
        ("RemoveCartItem", GATEWAY),
        ("PlaceOrder", GATEWAY),
        ("GetOrder", GATEWAY),
        ("ListOrders", GATEWAY),
        ("CancelOrder", GATEWAY),
        ("ShipOrder", GATEWAY),
        ("RefundOrder", GATEWAY),
        // Whether a reviewer bought the product: catalog asks, for verified reviews.
        ("HasPurchased", Allow::Services(&["catalog"])),
        // The order a notice is about: the notification service writes to the customer.
        ("ReadOrder", Allow::Services(&["notification"])),
        // Every order with its history: analytics rebuilding the shop's figures.
        ("ScanOrders", Allow::Services(&["analytics"])),
    ],
};

pub struct OrderGrpc {
    auth: Authenticator,
    carts: Arc<Carts>,
    checkout: Arc<Checkout>,
}

impl OrderGrpc {
    pub fn new(auth: Authenticator, carts: Arc<Carts>, checkout: Arc<Checkout>) -> Self {
        Self { auth, carts, checkout }
    }

    pub fn server(self) -> pb::order_service_server::OrderServiceServer<Self> {
        pb::order_service_server::OrderServiceServer::new(self)
    }
}

#[tonic::async_trait]
impl OrderService for OrderGrpc {
    #[tracing::instrument(skip_all)]
    async fn place_order(&self, req: Request<pb::PlaceOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let caller = self.auth.user(&req).await?;
        let request = place_order(req.into_inner())?;
        let order = self.checkout.place(&caller, request).await?;
        Ok(Response::new(to_proto(&order)))
    }

    async fn get_order(&self, req: Request<pb::GetOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let caller = self.auth.user(&req).await?;
        let order = self.checkout.visible(&caller, &order_id(&req.get_ref().id)?).await?;
        Ok(Response::new(to_proto(&order)))
    }

    #[tracing::instrument(skip_all)]
    async fn scan_orders(
        &self,
        req: Request<pb::ScanOrdersRequest>,
    ) -> Result<Response<pb::ScanOrdersResponse>, Status> {
        let r = req.into_inner();
        let limit = match r.limit {
            0 => 100,
            n @ 1..=500 => n as usize,
            _ => return Err(Refusal::invalid("limit", "1 to 500").into()),
        };
        let after = if r.after.is_empty() { None } else { Some(order_id(&r.after)?) };
        let orders = self.checkout.scan(after.as_deref(), limit).await?;
        let next =
            if orders.len() == limit { orders.last().map(|o| o.id.clone()).unwrap_or_default() } else { String::new() };
        Ok(Response::new(pb::ScanOrdersResponse { orders: orders.iter().map(to_proto).collect(), next }))
    }

    #[tracing::instrument(skip_all, fields(order_id = %req.get_ref().id))]
    async fn read_order(&self, req: Request<pb::GetOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let order = self.checkout.read(&order_id(&req.get_ref().id)?).await?;
        Ok(Response::new(to_proto(&order)))
    }

    #[tracing::instrument(skip_all, fields(order_id = %req.get_ref().id))]
    async fn cancel_order(&self, req: Request<pb::CancelOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.into_inner();
        let order = self.checkout.cancel(&caller, &order_id(&r.id)?, &reason(&r.reason)?).await?;
        Ok(Response::new(to_proto(&order)))
    }

    #[tracing::instrument(skip_all, fields(order_id = %req.get_ref().id))]
    async fn ship_order(&self, req: Request<pb::ShipOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.get_ref();
        let shipment = Shipment::parse(&r.carrier, &r.tracking_number).map_err(|(f, m)| Refusal::invalid(f, m))?;
        let order = self.checkout.ship(&caller, &order_id(&r.id)?, shipment).await?;
        Ok(Response::new(to_proto(&order)))
    }

    #[tracing::instrument(skip_all, fields(order_id = %req.get_ref().id))]
    async fn refund_order(&self, req: Request<pb::RefundOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.into_inner();
        let order = self.checkout.refund(&caller, &order_id(&r.id)?, &reason(&r.reason)?).await?;
        Ok(Response::new(to_proto(&order)))
    }

    async fn list_orders(
        &self,
        req: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        let caller = self.auth.user(&req).await?;
        let mut r = req.into_inner();
        let paging = Paging::from_proto(r.page.take())?;
        let status = status_filter(r.status());
        let found = self.checkout.list(&caller, r.all_users, status, paging.clone()).await?;
        Ok(Response::new(pb::ListOrdersResponse {
            orders: found.items.iter().map(to_proto).collect(),
            page: Some(paging.info_of(&found)),
        }))
    }

    async fn has_purchased(
        &self,
        req: Request<pb::HasPurchasedRequest>,
    ) -> Result<Response<pb::HasPurchasedResponse>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.into_inner();
        let purchased = self.checkout.purchased(&caller, &r.user_id, &r.product_id).await?;
        Ok(Response::new(pb::HasPurchasedResponse { purchased }))
    }

    async fn get_cart(&self, req: Request<pb::GetCartRequest>) -> Result<Response<pb::Cart>, Status> {
        let caller = self.auth.user(&req).await?;
        Ok(Response::new(cart_to_proto(&self.carts.view(&caller).await?)))
    }

    #[tracing::instrument(skip_all, fields(sku = %req.get_ref().sku))]
    async fn add_cart_item(&self, req: Request<pb::AddCartItemRequest>) -> Result<Response<pb::Cart>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.into_inner();
        let mut fields = Fields::default();
        let sku = fields.check("sku", Sku::parse(&r.sku));
        let quantity = fields.check("quantity", Quantity::parse(r.quantity));
        fields.finish().map_err(Refusal::Invalid)?;
        let (Some(sku), Some(quantity)) = (sku, quantity) else {
            unreachable!("every field parsed when no error was collected");
        };
        Ok(Response::new(cart_to_proto(&self.carts.add(&caller, &sku, quantity).await?)))
    }

    #[tracing::instrument(skip_all, fields(sku = %req.get_ref().sku))]
    async fn update_cart_item(&self, req: Request<pb::UpdateCartItemRequest>) -> Result<Response<pb::Cart>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.into_inner();
        Ok(Response::new(cart_to_proto(&self.carts.set(&caller, &r.sku, r.quantity).await?)))
    }

    #[tracing::instrument(skip_all, fields(sku = %req.get_ref().sku))]
    async fn remove_cart_item(&self, req: Request<pb::RemoveCartItemRequest>) -> Result<Response<pb::Cart>, Status> {
        let caller = self.auth.user(&req).await?;
        Ok(Response::new(cart_to_proto(&self.carts.remove(&caller, &req.get_ref().sku).await?)))
    }
}
