//! Checkout, orchestrated here and compensated on failure: price the cart from catalog,
//! reserve stock, charge once, then commit — or release and cancel with a reason. The same
//! idempotency key returns the first order; the same key with another body is refused.

use std::{sync::Arc, time::Duration};

use sha2::{Digest, Sha256};
use shop_auth::Caller;
use shop_messaging::{Envelope, kind, new_event};
use shop_platform::{ErrorKind, code};
use shop_proto::{
    common::v1::Money,
    events::v1::{OrderEvent, OrderLineRef},
    identity::v1::{GetContactRequest, identity_service_client::IdentityServiceClient},
    inventory::v1::{
        CommitRequest, ReleaseRequest, ReservationLine, ReserveRequest,
        inventory_service_client::InventoryServiceClient,
    },
    payment::v1::{ChargeRequest, PaymentStatus, payment_service_client::PaymentServiceClient},
};
use shop_service_kit::Upstream;
use shop_types::PaymentToken;
use tonic::Request;

use crate::{
    SERVICE,
    cart::CartStore,
    domain::{Address, CancelReason, Order, PaymentState, PlaceOrder, Status, charged_as_ordered},
    error::OrderError,
    metrics::OrderMetrics,
    pricing::Pricing,
    storage::{OrderStore, StoreError},
};

/// How long stock is held for a checkout that has not been paid.
pub const HOLD: Duration = Duration::from_secs(900);
/// A repeat of a request whose checkout is running waits this many × 25 ms for it.
const REPEAT_POLLS: u32 = 200;

pub struct Checkout {
    pub orders: Arc<dyn OrderStore>,
    pub carts: Arc<dyn CartStore>,
    pub pricing: Pricing,
    pub inventory: InventoryServiceClient<Upstream>,
    pub payment: PaymentServiceClient<Upstream>,
    /// Checkouts one customer may run at once, and how long one may count (its process
    /// may die without closing it).
    pub max_open: usize,
    pub open_for: Duration,
    pub metrics: OrderMetrics,
    /// When the shop takes orders only from verified addresses: identity, which knows.
    pub verified_only: Option<IdentityServiceClient<Upstream>>,
}

pub(crate) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub fn event(kind: &str, order: &Order) -> Envelope {
    new_event(kind, SERVICE, &payload(order))
}

/// What an order's events carry.
pub(crate) fn payload(order: &Order) -> OrderEvent {
    OrderEvent {
        order_id: order.id.clone(),
        user_id: order.user_id.clone(),
        lines: order
            .lines
            .iter()
            .map(|l| OrderLineRef {
                sku: l.sku.clone(),
                quantity: l.quantity,
                product_id: l.product_id.clone(),
                vendor_id: l.vendor_id.clone(),
                category_ids: l.category_ids.clone(),
                name: l.name.clone(),
                amount: l.unit_price.saturating_mul(l.quantity),
            })
            .collect(),
        total: Some(Money { amount: order.total(), currency: order.currency.clone() }),
        reason: order.cancel_reason.as_ref().map(CancelReason::describe).unwrap_or_default(),
        restock: false,
        // Paid once: an order cancelled for a charge of the wrong amount never was.
        charged: order.history.iter().any(|(status, _)| *status == Status::Paid),
        at: Some(shop_proto::Timestamp { seconds: order.updated_at, nanos: 0 }),
    }
}

/// Digest of what the client sent, to tell a repeat from a different request.
fn digest(address: &Address, token: &PaymentToken) -> String {
    let a = address.fields();
    let mut h = Sha256::new();
    for part in [&a.name, &a.phone, &a.line1, &a.line2, &a.city, &a.region, &a.postal_code, &a.country] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.update(token.as_str().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Checkout {
    /// Refuses a caller whose address is not verified, when the shop says so.
    async fn require_verified(&self, caller: &Caller) -> Result<(), OrderError> {
        let Some(identity) = &self.verified_only else { return Ok(()) };
        let request = GetContactRequest { user_id: caller.user_id.clone() };
        let contact = identity.clone().get_contact(request).await.map_err(|s| OrderError::Unexpected(s.into()))?;
        if contact.into_inner().email_verified { Ok(()) } else { Err(OrderError::EmailUnverified) }
    }

    /// Places the caller's cart as an order, or returns the order this key already made.
    pub async fn place(&self, caller: &Caller, request: PlaceOrder) -> Result<Order, OrderError> {
        let started = std::time::Instant::now();
        let placed = self.checkout(caller, request).await;
        self.metrics.checkout(&placed, started.elapsed());
        placed
    }

    async fn checkout(&self, caller: &Caller, request: PlaceOrder) -> Result<Order, OrderError> {
        let PlaceOrder { key, shipping, token } = request;
        let hash = digest(&shipping, &token);
        if let Some(existing) = self.orders.by_key(&caller.user_id, key.as_str()).await? {
            return self.repeat(caller, existing, &hash, &token).await;
        }
        self.require_verified(caller).await?;
        let cart = self.carts.lines(&caller.user_id).await?;
        if cart.is_empty() {
            return Err(OrderError::CartEmpty);
        }
        let priced = self.pricing.price(caller, &cart).await?;
        if let Some(sku) = priced.unavailable.into_iter().next() {
            return Err(OrderError::NoLongerForSale(sku));
        }
        let at = now();
        let order = Order {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: caller.user_id.clone(),
            status: Status::Pending,
            lines: priced.lines,
            currency: priced.currency,
            shipping,
            payment: PaymentState::Pending,
            cancel_reason: None,
            shipment: None,
            idempotency_key: key.as_str().to_owned(),
            request_hash: hash.clone(),
            created_at: at,
            updated_at: at,
            history: vec![(Status::Pending, at)],
            version: 1,
        };
        // Counted by key: concurrent repeats of one checkout are one checkout.
        let open = key.as_str();
        if !self.carts.open_checkout(&caller.user_id, open, self.max_open, self.open_for).await? {
            return Err(OrderError::TooManyCheckouts(self.max_open));
        }
        let placed = match self.orders.insert(&order, &[event(kind::ORDER_PLACED, &order)]).await {
            Ok(()) => {
                self.metrics.placed();
                self.drive(caller, order.clone(), &token).await
            }
            Err(StoreError::KeyUsed) => {
                let existing = self.orders.by_key(&caller.user_id, key.as_str()).await?;
                let existing = existing.ok_or_else(|| anyhow::anyhow!("order of a used key vanished"))?;
                self.repeat(caller, existing, &hash, &token).await
            }
            Err(err) => Err(err.into()),
        };
        if let Err(err) = self.carts.close_checkout(&caller.user_id, open).await {
            tracing::warn!(order_id = %order.id, error = %err, "open checkout not closed; it lapses by itself");
        }
        placed
    }

    /// The same key again: the first order once its checkout finished (resuming a checkout
    /// that stalled), unless the body differs.
    async fn repeat(
        &self,
        caller: &Caller,
        mut order: Order,
        hash: &str,
        token: &PaymentToken,
    ) -> Result<Order, OrderError> {
        if order.request_hash != hash {
            return Err(OrderError::KeyReused);
        }
        for _ in 0..REPEAT_POLLS {
            if !order.status.in_checkout() {
                return outcome(order);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
            order = self.orders.get(&order.id).await?.unwrap_or(order);
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
    ) -> Result<bool, OrderError> {
        let mut next = order.clone();
        next.advance(to, now())?;
        match self.orders.update(&next, &events(&next)).await {
            Ok(()) => {
                self.metrics.moved(&next);
                *order = next;
                Ok(true)
            }
            Err(StoreError::Stale) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    async fn reload(&self, order: &mut Order) -> Result<(), OrderError> {
        *order = self.orders.get(&order.id).await?.ok_or(OrderError::NotFound)?;
        Ok(())
    }

    /// Cancels a checkout that did not go through: gives the stock back (inventory also
    /// does on `order.cancelled`), records why.
    async fn abandon(&self, caller: &Caller, order: &mut Order, reason: CancelReason) -> Result<bool, OrderError> {
        let release = ReleaseRequest { order_id: order.id.clone(), reason: reason.describe() };
        if let Err(status) = self.inventory.clone().release(caller.authorize(Request::new(release))).await {
            tracing::warn!(order_id = %order.id, code = ?status.code(), "release deferred to the event");
        }
        let mut cancelled = order.clone();
        cancelled.cancel_reason = Some(reason);
        let saved = self.save(&mut cancelled, Status::Cancelled, |o| vec![event(kind::ORDER_CANCELLED, o)]).await?;
        if saved {
            *order = cancelled;
        }
        Ok(saved)
    }

    /// Reserves every line, or cancels the order when inventory cannot.
    async fn reserve(&self, caller: &Caller, order: &mut Order) -> Result<bool, OrderError> {
        let lines = order.lines.iter().map(|l| ReservationLine { sku: l.sku.clone(), quantity: l.quantity }).collect();
        let ttl_seconds = u32::try_from(HOLD.as_secs()).unwrap_or(u32::MAX);
        let reserve = ReserveRequest { order_id: order.id.clone(), lines, ttl_seconds };
        match self.inventory.clone().reserve(caller.authorize(Request::new(reserve))).await {
            Ok(_) => self.save(order, Status::Reserved, |_| Vec::new()).await,
            Err(status) => match OrderError::from(status) {
                OrderError::Upstream(e) if e.code == code::OUT_OF_STOCK => {
                    self.abandon(caller, order, CancelReason::OutOfStock).await
                }
                OrderError::Upstream(e) if e.code == code::RESERVATION_RELEASED => {
                    self.abandon(caller, order, CancelReason::CheckoutInterrupted).await
                }
                other => Err(other),
            },
        }
    }

    /// Charges the order once; paid, or cancelled when the provider declines.
    async fn charge(&self, caller: &Caller, order: &mut Order, token: &PaymentToken) -> Result<bool, OrderError> {
        let charge = ChargeRequest {
            order_id: order.id.clone(),
            amount: Some(Money { amount: order.total(), currency: order.currency.clone() }),
            payment_token: token.as_str().to_owned(),
        };
        let payment = match self.payment.clone().charge(caller.authorize(Request::new(charge))).await {
            Ok(reply) => reply.into_inner(),
            Err(status) => return Err(unconfirmed(status)),
        };
        let taken = payment.amount.clone().unwrap_or_default();
        if payment.status() == PaymentStatus::Succeeded
            && let Err(mismatch) = charged_as_ordered(order, taken.amount, &taken.currency)
        {
            return self.mismatched(caller, order, mismatch).await;
        }
        if payment.status() == PaymentStatus::Succeeded {
            let mut paid = order.clone();
            paid.payment = PaymentState::Succeeded;
            let saved = self.save(&mut paid, Status::Paid, |o| vec![event(kind::ORDER_PAID, o)]).await?;
            if saved {
                *order = paid;
            }
            Ok(saved)
        } else {
            order.payment = PaymentState::Failed;
            let code = if payment.failure_code.is_empty() { "payment_failed".to_owned() } else { payment.failure_code };
            self.abandon(caller, order, CancelReason::PaymentDeclined(code)).await
        }
    }

    /// Payment took another amount than the order's total: the order is cancelled (its
    /// stock released, the charge refunded on `order.cancelled`) and flagged.
    async fn mismatched(&self, caller: &Caller, order: &mut Order, mismatch: String) -> Result<bool, OrderError> {
        tracing::error!(order_id = %order.id, mismatch, "payment does not match the order; refunding");
        order.payment = PaymentState::Succeeded;
        self.abandon(caller, order, CancelReason::PaymentMismatch(mismatch)).await
    }

    /// Takes the paid units off the shelf and empties the cart.
    async fn complete(&self, caller: &Caller, order: &Order) {
        let commit = CommitRequest { order_id: order.id.clone() };
        if let Err(status) = self.inventory.clone().commit(caller.authorize(Request::new(commit))).await {
            // The units stay held; inventory commits them when it sees order.paid.
            tracing::warn!(order_id = %order.id, code = ?status.code(), "commit deferred to the event");
        }
        // The cart is emptied only once the payment went through. The order is paid either
        // way: a cart that could not be emptied is no reason to say otherwise.
        if let Err(err) = self.carts.clear(&order.user_id).await {
            tracing::warn!(order_id = %order.id, error = %err, "cart not emptied after payment");
        }
    }

    /// Runs the saga from wherever `order` stands, until it is paid or cancelled. A step
    /// that finds the order changed by someone else reloads it and goes on from there.
    async fn drive(&self, caller: &Caller, mut order: Order, token: &PaymentToken) -> Result<Order, OrderError> {
        loop {
            let saved = match order.status {
                Status::Pending => self.reserve(caller, &mut order).await?,
                Status::Reserved => self.charge(caller, &mut order, token).await?,
                Status::Paid => {
                    self.complete(caller, &order).await;
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
fn unconfirmed(status: tonic::Status) -> OrderError {
    match OrderError::from(status) {
        OrderError::Upstream(e) if matches!(e.kind, ErrorKind::Internal | ErrorKind::Unavailable) => {
            OrderError::PaymentUnconfirmed
        }
        other => other,
    }
}

/// A finished checkout as the client sees it: the order, or why it did not go through.
pub fn outcome(order: Order) -> Result<Order, OrderError> {
    match (order.status, &order.cancel_reason) {
        (Status::Cancelled, Some(CancelReason::OutOfStock)) => Err(OrderError::OutOfStock),
        (Status::Cancelled, Some(CancelReason::PaymentDeclined(_))) => Err(OrderError::PaymentDeclined),
        (Status::Cancelled, _) => Err(OrderError::CheckoutCancelled),
        _ => Ok(order),
    }
}
