//! What order hears from other services: payment's outcome for an order, for checkouts
//! that did not hear it themselves, and refunds — including those made at the provider.

use std::sync::Arc;

use async_trait::async_trait;
use shop_messaging::Envelope;
use shop_messaging::kind;
use shop_proto::events::v1::PaymentEvent;
use shop_service_kit::Consumer;

use crate::{checkout::Checkout, lifecycle::Settled};

/// The event types [`PaymentOutcomes`] reads.
pub const PAYMENT_OUTCOMES: [&str; 3] = [kind::PAYMENT_SUCCEEDED, kind::PAYMENT_FAILED, kind::PAYMENT_REFUNDED];

pub struct PaymentOutcomes(pub Arc<Checkout>);

#[async_trait]
impl Consumer for PaymentOutcomes {
    type Event = PaymentEvent;

    async fn consume(&self, about: &Envelope, payment: PaymentEvent) -> anyhow::Result<()> {
        let kind = about.r#type.as_str();
        if kind == kind::PAYMENT_REFUNDED {
            let refunded = payment.refunded.unwrap_or_default();
            return Ok(self.0.payment_refunded(&payment.order_id, refunded.amount, &refunded.currency).await?);
        }
        let outcome = if kind == kind::PAYMENT_SUCCEEDED {
            let taken = payment.amount.unwrap_or_default();
            Settled::Charged { amount: taken.amount, currency: taken.currency }
        } else {
            Settled::Declined(payment.failure_code)
        };
        Ok(self.0.payment_settled(&payment.order_id, outcome).await?)
    }
}
