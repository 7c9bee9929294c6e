//! After checkout: the orders a caller may see, cancel (its owner before shipping, or an
//! admin), ship and refund (an admin), and the orders whose checkout stalled, finished
//! from payment's events or cancelled after a grace period.

use shop_auth::Caller;
use shop_messaging::{kind, new_event};
use shop_proto::{
    common::v1::Money,
    events::v1::OrderEvent,
    inventory::v1::ReleaseRequest,
    payment::v1::{PaymentStatus, RefundRequest},
};
use shop_service_kit::Paging;
use shop_service_kit::Refusal;
use tonic::Request;

use crate::{
    SERVICE,
    checkout::{Checkout, event, now, payload},
    domain::{CancelReason, Order, PaymentState, Shipment, Status, charged_as_ordered},
    error::OrderError,
    storage::{OrderFilter, StoreError},
};

/// What payment says became of an order's charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// Taken: this much, in this currency (checked against the order's total).
    Charged { amount: i64, currency: String },
    /// Declined, with the provider's code.
    Declined(String),
}

/// Attempts at a change that keeps meeting concurrent ones.
const ATTEMPTS: usize = 5;

fn admin_only(caller: &Caller) -> Result<(), OrderError> {
    if caller.is_admin() { Ok(()) } else { Err(Refusal::Forbidden.into()) }
}

/// The requester's words, or `default` when they gave none.
fn requested(reason: &str, default: &str) -> CancelReason {
    CancelReason::Requested(if reason.is_empty() { default } else { reason }.to_owned())
}

impl Checkout {
    /// The order, if `caller` owns it or is an admin; another user's order is "not found".
    /// An order whoever it belongs to (for services acting on the shop's behalf).
    pub async fn read(&self, id: &str) -> Result<Order, OrderError> {
        self.orders.get(id).await?.ok_or(OrderError::NotFound)
    }

    /// A page of every order, oldest first (for a service reading them all back).
    pub async fn scan(&self, after: Option<&str>, limit: usize) -> Result<Vec<Order>, OrderError> {
        Ok(self.orders.scan(after, limit).await?)
    }

    pub async fn visible(&self, caller: &Caller, id: &str) -> Result<Order, OrderError> {
        let order = self.orders.get(id).await?;
        order.filter(|o| o.user_id == caller.user_id || caller.is_admin()).ok_or(OrderError::NotFound)
    }

    /// A page of the caller's orders, newest first — or of everyone's (`all`, admins only).
    pub async fn list(
        &self,
        caller: &Caller,
        all: bool,
        status: Option<Status>,
        paging: Paging,
    ) -> Result<shop_service_kit::Page<Order>, OrderError> {
        if all {
            admin_only(caller)?;
        }
        let filter = OrderFilter { user_id: (!all).then_some(caller.user_id.as_str()), status };
        Ok(self.orders.list(filter, paging).await?)
    }

    /// Whether `user_id` bought `product_id` (asked by the user themselves or an admin).
    pub async fn purchased(&self, caller: &Caller, user_id: &str, product_id: &str) -> Result<bool, OrderError> {
        if user_id != caller.user_id && !caller.is_admin() {
            return Err(Refusal::Forbidden.into());
        }
        Ok(self.orders.purchased(user_id, product_id).await?)
    }

    /// Refunds what is left of the order's payment (once per `purpose`).
    async fn refund_payment(&self, caller: &Caller, order: &Order, purpose: &str) -> Result<(), OrderError> {
        let refund = RefundRequest {
            order_id: order.id.clone(),
            amount: None::<Money>,
            reason: purpose.to_owned(),
            idempotency_key: format!("{purpose}:{}", order.id),
        };
        let payment = self.payment.clone().refund(caller.authorize(Request::new(refund))).await?.into_inner();
        if payment.status() == PaymentStatus::Refunded { Ok(()) } else { Err(OrderError::RefundIncomplete) }
    }

    /// Puts the order's units back on the shelf (it never left the warehouse).
    async fn put_back(&self, caller: &Caller, order: &Order, reason: &str) -> Result<(), OrderError> {
        let release = ReleaseRequest { order_id: order.id.clone(), reason: reason.to_owned() };
        self.inventory.clone().release(caller.authorize(Request::new(release))).await?;
        Ok(())
    }

    /// Cancels a paid order before it ships: refunds it and puts its units back.
    ///
    /// The order leaves `paid` first, so a ship racing the cancel finds it cancelled (or the
    /// cancel finds it shipped): money and units go back only for an order that can no
    /// longer ship. Payment and inventory also act on `order.cancelled`; doing it here too
    /// lets the answer say the money is back.
    pub async fn cancel(&self, caller: &Caller, id: &str, reason: &str) -> Result<Order, OrderError> {
        for _ in 0..ATTEMPTS {
            let mut order = self.visible(caller, id).await?;
            match order.status {
                Status::Cancelled => return Ok(order),
                Status::Pending | Status::Reserved => return Err(OrderError::CheckoutInProgress),
                Status::Shipped | Status::Delivered | Status::Refunded => return Err(OrderError::NotCancellable),
                Status::Paid => {}
            }
            order.cancel_reason = Some(requested(reason, "cancelled"));
            if self.save(&mut order, Status::Cancelled, |o| vec![event(kind::ORDER_CANCELLED, o)]).await? {
                return Ok(self.give_back(caller, order, "cancel", true).await);
            }
        }
        Err(OrderError::KeepsChanging)
    }

    /// After an order left `paid` for good: its money back (and its units, when `restock`),
    /// answered now when payment and inventory answer, else finished by their consumers of
    /// the event the change wrote.
    async fn give_back(&self, caller: &Caller, order: Order, purpose: &str, restock: bool) -> Order {
        let refunded = self.refund_payment(caller, &order, purpose).await;
        let put_back = if restock { self.put_back(caller, &order, purpose).await } else { Ok(()) };
        match refunded.and(put_back) {
            Ok(()) => self.record_payment(order, PaymentState::Refunded).await,
            Err(err) => {
                tracing::warn!(order_id = %order.id, error = %err, "compensation deferred to the event");
                order
            }
        }
    }

    /// Records where the payment stands on an order that changes no further status. A
    /// concurrent change (payment's own event recording the same) is read back and built on.
    async fn record_payment(&self, mut order: Order, payment: PaymentState) -> Order {
        for _ in 0..ATTEMPTS {
            if order.payment == payment {
                return order;
            }
            let mut next = order.clone();
            next.payment = payment;
            next.updated_at = now();
            next.version += 1;
            match self.orders.update(&next, &[]).await {
                Ok(()) => return next,
                Err(StoreError::Stale) => match self.orders.get(&order.id).await {
                    Ok(Some(current)) => order = current,
                    _ => break,
                },
                Err(err) => {
                    tracing::debug!(order_id = %order.id, error = %err, "payment state not recorded");
                    break;
                }
            }
        }
        order
    }

    /// Marks a paid order shipped (admin). Shipping it again changes nothing.
    pub async fn ship(&self, caller: &Caller, id: &str, shipment: Option<Shipment>) -> Result<Order, OrderError> {
        admin_only(caller)?;
        for _ in 0..ATTEMPTS {
            let mut order = self.visible(caller, id).await?;
            if order.status == Status::Shipped {
                return Ok(order);
            }
            order.shipment.clone_from(&shipment);
            if self.save(&mut order, Status::Shipped, |o| vec![event(kind::ORDER_SHIPPED, o)]).await? {
                return Ok(order);
            }
        }
        Err(OrderError::KeepsChanging)
    }

    /// Refunds a paid, shipped or delivered order in full (admin); an order that had not
    /// shipped also gets its units back on the shelf. Like a cancel, the order changes first.
    pub async fn refund(&self, caller: &Caller, id: &str, reason: &str) -> Result<Order, OrderError> {
        admin_only(caller)?;
        for _ in 0..ATTEMPTS {
            let mut order = self.visible(caller, id).await?;
            match order.status {
                Status::Refunded => return Ok(order),
                Status::Paid | Status::Shipped | Status::Delivered => {}
                _ => return Err(OrderError::NotRefundable),
            }
            // Decided on the state this change is guarded by: a ship that lands first makes
            // the save stale, and the next round sees a shipped order.
            let restock = order.status == Status::Paid;
            order.cancel_reason = Some(requested(reason, "refunded"));
            let refunded =
                |o: &Order| vec![new_event(kind::ORDER_REFUNDED, SERVICE, &OrderEvent { restock, ..payload(o) })];
            if self.save(&mut order, Status::Refunded, refunded).await? {
                return Ok(self.give_back(caller, order, "refund", restock).await);
            }
        }
        Err(OrderError::KeepsChanging)
    }

    /// Payment settled an order's charge (its event): an order still waiting for the answer
    /// is paid or cancelled by it. Inventory commits or releases on the event this writes.
    ///
    /// The cart is left alone: only the checkout clears it, before it answers. Cleared from
    /// here, it could be cleared after the customer had the answer and started a new cart.
    pub async fn payment_settled(&self, order_id: &str, outcome: Settled) -> Result<(), OrderError> {
        for _ in 0..ATTEMPTS {
            let Some(mut order) = self.orders.get(order_id).await? else { return Ok(()) };
            if order.status != Status::Reserved {
                return Ok(());
            }
            let cancelled = |o: &Order| vec![event(kind::ORDER_CANCELLED, o)];
            let saved = match &outcome {
                Settled::Charged { amount, currency } => match charged_as_ordered(&order, *amount, currency) {
                    Ok(()) => {
                        order.payment = PaymentState::Succeeded;
                        self.save(&mut order, Status::Paid, |o| vec![event(kind::ORDER_PAID, o)]).await?
                    }
                    Err(mismatch) => {
                        tracing::error!(order_id, mismatch, "payment does not match the order; refunding");
                        order.payment = PaymentState::Succeeded;
                        order.cancel_reason = Some(CancelReason::PaymentMismatch(mismatch));
                        self.save(&mut order, Status::Cancelled, cancelled).await?
                    }
                },
                Settled::Declined(code) => {
                    order.payment = PaymentState::Failed;
                    order.cancel_reason = Some(CancelReason::PaymentDeclined(code.clone()));
                    self.save(&mut order, Status::Cancelled, cancelled).await?
                }
            };
            if saved {
                return Ok(());
            }
        }
        Err(OrderError::KeepsChanging)
    }

    /// Payment refunded (part of) an order's charge, `refunded` in all so far — asked by
    /// order itself, or done at the provider. Once the whole total is back, an order that
    /// still counts as paid follows: refunded, with the units of one that never shipped
    /// going back on the shelf (on `order.refunded`); any other records its payment refunded.
    pub async fn payment_refunded(&self, order_id: &str, refunded: i64, currency: &str) -> Result<(), OrderError> {
        for _ in 0..ATTEMPTS {
            let Some(mut order) = self.orders.get(order_id).await? else { return Ok(()) };
            if refunded < order.total() || currency != order.currency || order.payment == PaymentState::Refunded {
                return Ok(());
            }
            if !matches!(order.status, Status::Paid | Status::Shipped | Status::Delivered) {
                self.record_payment(order, PaymentState::Refunded).await;
                return Ok(());
            }
            tracing::warn!(order_id, "refunded at the payment provider; the order follows");
            let restock = order.status == Status::Paid;
            order.payment = PaymentState::Refunded;
            order.cancel_reason = Some(CancelReason::Requested("refunded at the payment provider".into()));
            let refunded =
                |o: &Order| vec![new_event(kind::ORDER_REFUNDED, SERVICE, &OrderEvent { restock, ..payload(o) })];
            if self.save(&mut order, Status::Refunded, refunded).await? {
                return Ok(());
            }
        }
        Err(OrderError::KeepsChanging)
    }

    /// Cancels checkouts that made no progress for `grace_secs`: their stock is released and
    /// any charge refunded by inventory and payment on `order.cancelled`. Returns how many.
    pub async fn recover(&self, grace_secs: i64) -> Result<usize, OrderError> {
        let mut cancelled = 0;
        for mut order in self.orders.stalled(now() - grace_secs).await? {
            order.cancel_reason = Some(CancelReason::CheckoutInterrupted);
            // `false`: it moved on meanwhile, nothing to recover.
            if self.save(&mut order, Status::Cancelled, |o| vec![event(kind::ORDER_CANCELLED, o)]).await? {
                tracing::warn!(order_id = %order.id, "stalled checkout cancelled");
                cancelled += 1;
            }
        }
        Ok(cancelled)
    }
}
