//! Order's business figures: orders placed, paid and cancelled (by reason), revenue by
//! currency, and how long checkouts take (by outcome).

use std::time::Duration;

use prometheus::{HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Registry};
use shop_platform::metrics::counter;

use crate::{
    domain::{CancelReason, Order, Status},
    error::OrderError,
};

/// Checkout outcomes, as `shop_checkout_duration_seconds{outcome}` counts them.
const OUTCOMES: [&str; 5] = ["paid", "cancelled", "unfinished", "refused", "failed"];
/// Checkout takes seconds at worst (a slow provider): buckets up to 30 s.
const CHECKOUT_BUCKETS: &[f64] = &[0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Clone)]
pub struct OrderMetrics {
    placed: IntCounter,
    paid: IntCounter,
    cancelled: IntCounterVec,
    revenue: IntCounterVec,
    checkout: HistogramVec,
}

impl OrderMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let placed = IntCounter::new("shop_orders_placed_total", "Orders placed (a checkout begun).")?;
        let paid = IntCounter::new("shop_orders_paid_total", "Orders paid.")?;
        registry.register(Box::new(placed.clone()))?;
        registry.register(Box::new(paid.clone()))?;
        let checkout = HistogramVec::new(
            HistogramOpts::new("shop_checkout_duration_seconds", "Time to answer a checkout, by outcome.")
                .buckets(CHECKOUT_BUCKETS.to_vec()),
            &["outcome"],
        )?;
        registry.register(Box::new(checkout.clone()))?;
        for outcome in OUTCOMES {
            checkout.with_label_values(&[outcome]);
        }
        let cancelled = counter(
            Some(registry),
            "shop_orders_cancelled_total",
            "Orders cancelled, by the kind of reason.",
            "reason",
            &CancelReason::KINDS,
        )?;
        let revenue = counter(
            Some(registry),
            "shop_revenue_minor_units_total",
            "Totals of paid orders, in minor units (cents), by currency.",
            "currency",
            &[],
        )?;
        Ok(Self { placed, paid, cancelled, revenue, checkout })
    }

    /// A new order was stored.
    pub fn placed(&self) {
        self.placed.inc();
    }

    /// `order` was stored in its new status.
    pub fn moved(&self, order: &Order) {
        match order.status {
            Status::Paid => {
                self.paid.inc();
                let total = u64::try_from(order.total()).unwrap_or(0);
                self.revenue.with_label_values(&[order.currency.as_str()]).inc_by(total);
            }
            Status::Cancelled => {
                let reason = order.cancel_reason.as_ref().map_or("unknown", CancelReason::kind);
                self.cancelled.with_label_values(&[reason]).inc();
            }
            _ => {}
        }
    }

    /// A checkout request was answered with `result` after `elapsed`.
    pub fn checkout(&self, result: &Result<Order, OrderError>, elapsed: Duration) {
        use shop_platform::ErrorKind;
        let outcome = match result {
            Ok(order) if order.status == Status::Paid => "paid",
            Ok(order) if order.status == Status::Cancelled => "cancelled",
            Ok(_) => "unfinished",
            // The checkout ran and its order was cancelled (and told so).
            Err(OrderError::OutOfStock | OrderError::PaymentDeclined | OrderError::CheckoutCancelled) => "cancelled",
            Err(OrderError::Unexpected(_) | OrderError::PaymentUnconfirmed | OrderError::RefundIncomplete) => "failed",
            Err(OrderError::Upstream(e)) if matches!(e.kind, ErrorKind::Unavailable | ErrorKind::Internal) => "failed",
            Err(_) => "refused",
        };
        self.checkout.with_label_values(&[outcome]).observe(elapsed.as_secs_f64());
    }
}
