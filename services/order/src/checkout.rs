//! Checkout, orchestrated here and compensated on failure: price the cart from catalog,
//! reserve stock, charge once, then commit — or release and cancel with a reason. The same
//! idempotency key returns the first order; the same key with another body is refused.

use std::{sync::Arc, time::Duration};

use sha2::{Digest, Sha256};
use shop_auth::Caller;
use shop_messaging::{Envelope, new_event};
use shop_platform::{ApiError, ErrorKind};
use shop_proto::{
    catalog::v1::{GetProductsRequest, catalog_service_client::CatalogServiceClient},
    common::v1::Money,
    events::v1::{OrderEvent, OrderLineRef},
    inventory::v1::{
        CommitRequest, ReleaseRequest, ReservationLine, ReserveRequest,
        inventory_service_client::InventoryServiceClient,
    },
    payment::v1::{ChargeRequest, PaymentStatus, payment_service_client::PaymentServiceClient},
};
use tonic::{Request, transport::Channel};

use crate::{
    SERVICE,
    cart::CartStore,
    domain::{Address, Order, OrderLine, Status},
    storage::{OrderStore, StoreError},
};

/// How long stock is held for a checkout that has not been paid.
const HOLD_SECS: u32 = 900;
/// A repeat of a request whose checkout is running waits this many × 25 ms for it.
const REPEAT_POLLS: u32 = 200;

pub struct Checkout {
    pub orders: Arc<dyn OrderStore>,
    pub carts: Arc<dyn CartStore>,
    pub catalog: CatalogServiceClient<Channel>,
    pub inventory: InventoryServiceClient<Channel>,
    pub payment: PaymentServiceClient<Channel>,
}

pub(crate) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn unexpected(err: impl Into<anyhow::Error>) -> ApiError {
    ApiError::internal(&err.into())
}

pub(crate) fn store(err: StoreError) -> ApiError {
    unexpected(anyhow::Error::from(err))
}

pub fn event(kind: &str, order: &Order) -> Envelope {
    let payload = OrderEvent {
        order_id: order.id.clone(),
        user_id: order.user_id.clone(),
        lines: order.lines.iter().map(|l| OrderLineRef { sku: l.sku.clone(), quantity: l.quantity }).collect(),
        total: Some(Money { amount: order.total(), currency: order.currency.clone() }),
        reason: order.cancel_reason.clone().unwrap_or_default(),
    };
    new_event(kind, SERVICE, &payload)
}

/// Digest of what the client sent, to tell a repeat from a different request.
fn digest(address: &Address, token: &str) -> String {
    let mut h = Sha256::new();
    for part in [&address.line1, &address.line2, &address.city, &address.region, &address.postal_code, &address.country]
    {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.update(token.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Checkout {
    /// Places the caller's cart as an order, or returns the order this key already made.
    pub async fn place(&self, caller: &Caller, key: &str, address: Address, token: &str) -> Result<Order, ApiError> {
        let hash = digest(&address, token);
        if let Some(existing) = self.orders.by_key(&caller.user_id, key).await.map_err(store)? {
            return self.repeat(caller, existing, &hash, token).await;
        }
        let cart = self.carts.lines(&caller.user_id).await.map_err(unexpected)?;
        if cart.is_empty() {
            return Err(ApiError::new(ErrorKind::Unprocessable, "the cart is empty").with_code("cart_empty"));
        }
        let (lines, currency) = self.price(caller, &cart).await?;
        let at = now();
        let order = Order {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: caller.user_id.clone(),
            status: Status::Pending,
            lines,
            currency,
            shipping: address,
            payment_status: "pending".into(),
            cancel_reason: None,
            idempotency_key: key.to_owned(),
            request_hash: hash.clone(),
            created_at: at,
            updated_at: at,
            version: 1,
        };
        match self.orders.insert(&order, &[event("order.placed", &order)]).await {
            Ok(()) => self.drive(caller, order, token).await,
            Err(StoreError::KeyUsed) => {
                let existing = self.orders.by_key(&caller.user_id, key).await.map_err(store)?;
                let existing = existing.ok_or_else(|| unexpected(anyhow::anyhow!("order vanished")))?;
                self.repeat(caller, existing, &hash, token).await
            }
            Err(err) => Err(store(err)),
        }
    }

    /// Order lines priced by catalog now, in one currency.
    async fn price(&self, caller: &Caller, cart: &[(String, i64)]) -> Result<(Vec<OrderLine>, String), ApiError> {
        let skus: Vec<String> = cart.iter().map(|(s, _)| s.clone()).collect();
        let priced =
            self.catalog.clone().get_products(caller.authorize(Request::new(GetProductsRequest { skus }))).await?;
        let priced = priced.into_inner().items;
        let mut lines = Vec::new();
        let mut currency = String::new();
        for (sku, quantity) in cart {
            let item = priced.iter().find(|p| &p.sku == sku && p.purchasable).ok_or_else(|| {
                ApiError::new(ErrorKind::Conflict, format!("{sku} is no longer for sale")).with_code("item_unavailable")
            })?;
            let price = item.price.clone().unwrap_or_default();
            if !currency.is_empty() && currency != price.currency {
                return Err(
                    ApiError::new(ErrorKind::Unprocessable, "the cart mixes currencies").with_code("mixed_currencies")
                );
            }
            currency = price.currency;
            lines.push(OrderLine {
                sku: sku.clone(),
                product_id: item.product_id.clone(),
                name: item.name.clone(),
                quantity: *quantity,
                unit_price: price.amount,
            });
        }
        Ok((lines, currency))
    }

    /// The same key again: the first order once its checkout finished (resuming a checkout
    /// that stalled), unless the body differs.
    async fn repeat(&self, caller: &Caller, mut order: Order, hash: &str, token: &str) -> Result<Order, ApiError> {
        if order.request_hash != hash {
            return Err(ApiError::new(ErrorKind::Unprocessable, "this Idempotency-Key was used for another request")
                .with_code("idempotency_key_reused"));
        }
        for _ in 0..REPEAT_POLLS {
            if !order.status.in_checkout() {
                return outcome(order);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
            order = self.orders.get(&order.id).await.map_err(store)?.unwrap_or(order);
        }
        // The first attempt stalled (a dependency failed, or its process died): go on from
        // where it stands. Every step is idempotent per order.
        self.drive(caller, order, token).await
    }

    /// Stores `order` moved to `to` with its events; `Ok(false)` if it changed meanwhile.
    pub(crate) async fn save(
        &self,
        order: &mut Order,
        to: Status,
        events: impl FnOnce(&Order) -> Vec<Envelope>,
    ) -> Result<bool, ApiError> {
        let mut next = order.clone();
        next.advance(to, now())
            .map_err(|e| ApiError::new(ErrorKind::Conflict, e.to_string()).with_code("illegal_transition"))?;
        match self.orders.update(&next, &events(&next)).await {
            Ok(()) => {
                *order = next;
                Ok(true)
            }
            Err(StoreError::Stale) => Ok(false),
            Err(err) => Err(store(err)),
        }
    }

    async fn reload(&self, order: &mut Order) -> Result<(), ApiError> {
        *order = self.orders.get(&order.id).await.map_err(store)?.ok_or_else(|| ApiError::not_found("order"))?;
        Ok(())
    }

    /// Cancels a checkout that did not go through: gives the stock back (inventory also
    /// does on `order.cancelled`), records why.
    async fn abandon(&self, caller: &Caller, order: &mut Order, reason: &str) -> Result<bool, ApiError> {
        let release = ReleaseRequest { order_id: order.id.clone(), reason: reason.to_owned() };
        if let Err(status) = self.inventory.clone().release(caller.authorize(Request::new(release))).await {
            tracing::warn!(order_id = %order.id, code = ?status.code(), "release deferred to the event");
        }
        let mut cancelled = order.clone();
        cancelled.cancel_reason = Some(reason.to_owned());
        let saved = self.save(&mut cancelled, Status::Cancelled, |o| vec![event("order.cancelled", o)]).await?;
        if saved {
            *order = cancelled;
        }
        Ok(saved)
    }

    /// Runs the saga from wherever `order` stands, until it is paid or cancelled. A step
    /// that finds the order changed by someone else reloads it and goes on from there.
    async fn drive(&self, caller: &Caller, mut order: Order, token: &str) -> Result<Order, ApiError> {
        loop {
            let saved = match order.status {
                Status::Pending => {
                    let lines = order
                        .lines
                        .iter()
                        .map(|l| ReservationLine { sku: l.sku.clone(), quantity: l.quantity })
                        .collect();
                    let reserve = ReserveRequest { order_id: order.id.clone(), lines, ttl_seconds: HOLD_SECS };
                    match self.inventory.clone().reserve(caller.authorize(Request::new(reserve))).await {
                        Ok(_) => self.save(&mut order, Status::Reserved, |_| Vec::new()).await?,
                        Err(status) => match ApiError::from_status(&status) {
                            e if e.code == "out_of_stock" => self.abandon(caller, &mut order, "out_of_stock").await?,
                            e if e.code == "reservation_released" => {
                                self.abandon(caller, &mut order, "checkout_interrupted").await?
                            }
                            e => return Err(e),
                        },
                    }
                }
                Status::Reserved => {
                    let charge = ChargeRequest {
                        order_id: order.id.clone(),
                        amount: Some(Money { amount: order.total(), currency: order.currency.clone() }),
                        payment_token: token.to_owned(),
                    };
                    let payment = self
                        .payment
                        .clone()
                        .charge(caller.authorize(Request::new(charge)))
                        .await
                        .map_err(unconfirmed)?
                        .into_inner();
                    if payment.status() == PaymentStatus::Succeeded {
                        let mut paid = order.clone();
                        paid.payment_status = "succeeded".into();
                        let saved = self.save(&mut paid, Status::Paid, |o| vec![event("order.paid", o)]).await?;
                        if saved {
                            order = paid;
                        }
                        saved
                    } else {
                        order.payment_status = "failed".into();
                        let code =
                            if payment.failure_code.is_empty() { "payment_failed" } else { &payment.failure_code };
                        self.abandon(caller, &mut order, &format!("payment_declined:{code}")).await?
                    }
                }
                Status::Paid => {
                    let commit = CommitRequest { order_id: order.id.clone() };
                    if let Err(status) = self.inventory.clone().commit(caller.authorize(Request::new(commit))).await {
                        // The units stay held; inventory commits them when it sees order.paid.
                        tracing::warn!(order_id = %order.id, code = ?status.code(), "commit deferred to the event");
                    }
                    // The cart is emptied only once the payment went through. The order is
                    // paid either way: a cart that could not be emptied is no reason to say
                    // otherwise.
                    if let Err(err) = self.carts.clear(&order.user_id).await {
                        tracing::warn!(order_id = %order.id, error = %err, "cart not emptied after payment");
                    }
                    return outcome(order);
                }
                _ => return outcome(order),
            };
            if !saved {
                self.reload(&mut order).await?;
            }
        }
    }
}

/// A charge whose outcome is unknown (payment failed or went away mid-call) is worth
/// retrying with the same key; an answer payment gave stands.
fn unconfirmed(status: tonic::Status) -> ApiError {
    match ApiError::from_status(&status) {
        e if matches!(e.kind, ErrorKind::Internal | ErrorKind::Unavailable) => ApiError::new(
            ErrorKind::Unavailable,
            "the payment could not be confirmed; retry with the same Idempotency-Key",
        )
        .with_code("payment_unconfirmed"),
        e => e,
    }
}

/// A finished checkout as the client sees it: the order, or why it did not go through.
pub fn outcome(order: Order) -> Result<Order, ApiError> {
    match (order.status, order.cancel_reason.as_deref()) {
        (Status::Cancelled, Some("out_of_stock")) => {
            Err(ApiError::new(ErrorKind::Conflict, "an item is out of stock").with_code("out_of_stock"))
        }
        (Status::Cancelled, Some(reason)) if reason.starts_with("payment_declined") => {
            Err(ApiError::new(ErrorKind::PaymentRequired, "the payment was declined").with_code("payment_declined"))
        }
        (Status::Cancelled, _) => Err(ApiError::new(ErrorKind::Conflict, "the checkout was interrupted and cancelled")
            .with_code("checkout_cancelled")),
        _ => Ok(order),
    }
}
