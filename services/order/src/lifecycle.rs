//! After checkout: cancel (its owner before shipping, or an admin), ship and refund (an
//! admin), and the orders whose checkout stalled, finished from payment's events or
//! cancelled after a grace period.

use shop_auth::Caller;
use shop_platform::{ApiError, ErrorKind};
use shop_proto::{
    common::v1::Money,
    inventory::v1::ReleaseRequest,
    payment::v1::{PaymentStatus, RefundRequest},
};
use tonic::Request;

use crate::{
    checkout::{Checkout, event, now, store},
    domain::{Order, Status},
};

/// Attempts at a change that keeps meeting concurrent ones.
const ATTEMPTS: usize = 5;

fn conflict(code: &str, message: &str) -> ApiError {
    ApiError::new(ErrorKind::Conflict, message).with_code(code)
}

fn admin_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::new(ErrorKind::PermissionDenied, "this needs the admin role"))
    }
}

impl Checkout {
    /// The order, if `caller` owns it or is an admin; another user's order is "not found".
    pub async fn visible(&self, caller: &Caller, id: &str) -> Result<Order, ApiError> {
        let order = self.orders.get(id).await.map_err(store)?;
        order.filter(|o| o.user_id == caller.user_id || caller.is_admin()).ok_or_else(|| ApiError::not_found("order"))
    }

    /// Refunds what is left of the order's payment (once per `purpose`).
    async fn refund_payment(&self, caller: &Caller, order: &Order, purpose: &str) -> Result<(), ApiError> {
        let refund = RefundRequest {
            order_id: order.id.clone(),
            amount: None::<Money>,
            reason: purpose.to_owned(),
            idempotency_key: format!("{purpose}:{}", order.id),
        };
        let payment = self.payment.clone().refund(caller.authorize(Request::new(refund))).await?.into_inner();
        if payment.status() == PaymentStatus::Refunded {
            Ok(())
        } else {
            Err(ApiError::new(ErrorKind::Unavailable, "the refund did not complete; try again"))
        }
    }

    /// Puts the order's units back on the shelf (it never left the warehouse).
    async fn put_back(&self, caller: &Caller, order: &Order, reason: &str) -> Result<(), ApiError> {
        let release = ReleaseRequest { order_id: order.id.clone(), reason: reason.to_owned() };
        self.inventory.clone().release(caller.authorize(Request::new(release))).await?;
        Ok(())
    }

    /// Cancels a paid order before it ships: refunds it and puts its units back.
    pub async fn cancel(&self, caller: &Caller, id: &str, reason: &str) -> Result<Order, ApiError> {
        for _ in 0..ATTEMPTS {
            let mut order = self.visible(caller, id).await?;
            match order.status {
                Status::Cancelled => return Ok(order),
                Status::Pending | Status::Reserved => {
                    return Err(conflict("checkout_in_progress", "the checkout of this order is still running"));
                }
                Status::Shipped | Status::Delivered | Status::Refunded => {
                    return Err(conflict("not_cancellable", "a shipped order can no longer be cancelled"));
                }
                Status::Paid => {}
            }
            self.refund_payment(caller, &order, "cancel").await?;
            self.put_back(caller, &order, "cancelled").await?;
            order.payment_status = "refunded".into();
            order.cancel_reason = Some(if reason.is_empty() { "cancelled".into() } else { reason.to_owned() });
            if self.save(&mut order, Status::Cancelled, |o| vec![event("order.cancelled", o)]).await? {
                return Ok(order);
            }
        }
        Err(conflict("conflict", "the order keeps changing; try again"))
    }

    /// Marks a paid order shipped (admin). Shipping it again changes nothing.
    pub async fn ship(&self, caller: &Caller, id: &str) -> Result<Order, ApiError> {
        admin_only(caller)?;
        for _ in 0..ATTEMPTS {
            let mut order = self.visible(caller, id).await?;
            if order.status == Status::Shipped {
                return Ok(order);
            }
            if self.save(&mut order, Status::Shipped, |o| vec![event("order.shipped", o)]).await? {
                return Ok(order);
            }
        }
        Err(conflict("conflict", "the order keeps changing; try again"))
    }

    /// Refunds a paid, shipped or delivered order in full (admin); an order that had not
    /// shipped also gets its units back on the shelf.
    pub async fn refund(&self, caller: &Caller, id: &str, reason: &str) -> Result<Order, ApiError> {
        admin_only(caller)?;
        for _ in 0..ATTEMPTS {
            let mut order = self.visible(caller, id).await?;
            match order.status {
                Status::Refunded => return Ok(order),
                Status::Paid | Status::Shipped | Status::Delivered => {}
                _ => return Err(conflict("not_refundable", "only a paid order can be refunded")),
            }
            self.refund_payment(caller, &order, "refund").await?;
            if order.status == Status::Paid {
                self.put_back(caller, &order, "refunded").await?;
            }
            order.payment_status = "refunded".into();
            order.cancel_reason = Some(if reason.is_empty() { "refunded".into() } else { reason.to_owned() });
            if self.save(&mut order, Status::Refunded, |o| vec![event("order.refunded", o)]).await? {
                return Ok(order);
            }
        }
        Err(conflict("conflict", "the order keeps changing; try again"))
    }

    /// Payment settled an order's charge (its event): an order still waiting for the answer
    /// is paid or cancelled by it. Inventory commits or releases on the event this writes.
    pub async fn payment_settled(&self, order_id: &str, succeeded: bool, code: &str) -> anyhow::Result<()> {
        for _ in 0..ATTEMPTS {
            let Some(mut order) = self.orders.get(order_id).await? else { return Ok(()) };
            if order.status != Status::Reserved {
                return Ok(());
            }
            let saved = if succeeded {
                order.payment_status = "succeeded".into();
                let saved = self.save(&mut order, Status::Paid, |o| vec![event("order.paid", o)]).await?;
                if saved {
                    self.carts.clear(&order.user_id).await?;
                }
                saved
            } else {
                order.payment_status = "failed".into();
                order.cancel_reason = Some(format!("payment_declined:{code}"));
                self.save(&mut order, Status::Cancelled, |o| vec![event("order.cancelled", o)]).await?
            };
            if saved {
                return Ok(());
            }
        }
        anyhow::bail!("order {order_id} keeps changing")
    }

    /// Cancels checkouts that made no progress for `grace_secs`: their stock is released and
    /// any charge refunded by inventory and payment on `order.cancelled`. Returns how many.
    pub async fn recover(&self, grace_secs: i64) -> anyhow::Result<usize> {
        let mut cancelled = 0;
        for mut order in self.orders.stalled(now() - grace_secs).await? {
            order.cancel_reason = Some("checkout_interrupted".into());
            match self.save(&mut order, Status::Cancelled, |o| vec![event("order.cancelled", o)]).await {
                Ok(true) => {
                    tracing::warn!(order_id = %order.id, "stalled checkout cancelled");
                    cancelled += 1;
                }
                // It moved on meanwhile: nothing to recover.
                Ok(false) => {}
                Err(err) => return Err(anyhow::anyhow!("{err}")),
            }
        }
        Ok(cancelled)
    }
}
