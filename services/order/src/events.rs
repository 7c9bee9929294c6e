//! What order hears from other services: payment's outcome for an order, for checkouts
//! that did not hear it themselves.

use std::sync::Arc;

use async_trait::async_trait;
use shop_messaging::kind;
use shop_proto::events::v1::PaymentEvent;
use shop_service_kit::Consumer;

use crate::checkout::Checkout;

/// The event types [`PaymentOutcomes`] reads.
pub const PAYMENT_OUTCOMES: [&str; 2] = [kind::PAYMENT_SUCCEEDED, kind::PAYMENT_FAILED];

pub struct PaymentOutcomes(pub Arc<Checkout>);

#[async_trait]
impl Consumer for PaymentOutcomes {
    type Event = PaymentEvent;

    async fn consume(&self, kind: &str, payment: PaymentEvent) -> anyhow::Result<()> {
        let succeeded = kind == kind::PAYMENT_SUCCEEDED;
        Ok(self.0.payment_settled(&payment.order_id, succeeded, &payment.failure_code).await?)
    }
}
