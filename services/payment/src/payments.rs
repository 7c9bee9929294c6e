//! What payment does: charge an order once whatever the retries, refund up to what was
//! captured, and take the provider's signed callbacks.

use shop_service_kit::Refusal;
use std::{sync::Arc, time::Duration};

use shop_messaging::{kind, new_event};
use shop_proto::{common::v1::Money, events::v1::PaymentEvent};
use shop_service_kit::Paging;

use crate::{
    SERVICE,
    domain::{Payment, PaymentStatus},
    error::PaymentError,
    provider::{ChargeOutcome, Provider, ProviderError},
    storage::{PaymentStore, Refund, StoreError},
    webhook::ProviderEvent,
};

/// Failure code of an order cancelled before it was charged: it never will be.
pub const ORDER_CANCELLED: &str = "order_cancelled";

pub struct Payments {
    pub store: Arc<dyn PaymentStore>,
    pub provider: Arc<dyn Provider>,
    pub metrics: PaymentMetrics,
}

/// Charges by outcome (`shop_payment_charges_total`: succeeded, declined, refused — the
/// token was not chargeable — or failed — the provider could not be reached) and refunds
/// (`shop_payment_refunds_total`, by who asked: shop or provider).
#[derive(Clone)]
pub struct PaymentMetrics {
    charges: prometheus::IntCounterVec,
    refunds: prometheus::IntCounterVec,
}

impl PaymentMetrics {
    /// Registered in `registry`; none for figures nobody reads (unit tests).
    pub fn new(registry: Option<&prometheus::Registry>) -> prometheus::Result<Self> {
        use shop_platform::metrics::counter;
        let outcomes = ["succeeded", "declined", "refused", "failed"];
        Ok(Self {
            charges: counter(
                registry,
                "shop_payment_charges_total",
                "Charges asked of the provider, by outcome.",
                "outcome",
                &outcomes,
            )?,
            refunds: counter(
                registry,
                "shop_payment_refunds_total",
                "Refunds recorded, by who made them.",
                "by",
                &["shop", "provider"],
            )?,
        })
    }

    fn charged(&self, outcome: &str) {
        self.charges.with_label_values(&[outcome]).inc();
    }
}

fn event(kind: &str, p: &Payment, amount: i64) -> shop_messaging::Envelope {
    let payload = PaymentEvent {
        payment_id: p.order_id.clone(),
        order_id: p.order_id.clone(),
        amount: Some(Money { amount, currency: p.currency.clone() }),
        failure_code: p.failure_code.clone().unwrap_or_default(),
        refunded: Some(Money { amount: p.refunded, currency: p.currency.clone() }),
    };
    new_event(kind, SERVICE, &payload)
}

/// Who refunds: the shop (asking the provider), or the provider itself (one of its events
/// told of it).
#[derive(Debug, Clone, Copy)]
enum Refunder<'a> {
    Shop,
    Provider { event_id: &'a str },
}

impl Payments {
    /// Charges the order once: a retried or concurrent call gets the first outcome.
    pub async fn charge(
        &self,
        order_id: &str,
        payer: &str,
        amount: i64,
        currency: &str,
        token: &str,
    ) -> Result<Payment, PaymentError> {
        let pending = Payment {
            order_id: order_id.to_owned(),
            user_id: payer.to_owned(),
            status: PaymentStatus::Pending,
            amount,
            currency: currency.to_owned(),
            refunded: 0,
            failure_code: None,
            provider_charge_id: None,
            created_at: time::OffsetDateTime::now_utc().unix_timestamp(),
        };
        if !self.store.start(&pending).await? {
            let existing = self.settled(order_id).await?;
            if existing.failure_code.as_deref() == Some(ORDER_CANCELLED) {
                return Ok(existing);
            }
            if existing.user_id != payer {
                return Err(Refusal::Forbidden.into());
            }
            if existing.amount != amount || existing.currency != currency {
                return Err(PaymentError::Mismatch);
            }
            if existing.status != PaymentStatus::Pending {
                return Ok(existing);
            }
            // The first attempt never finished (its process died): the provider's own
            // idempotency makes asking again safe.
        }
        self.ask_provider(pending, token).await
    }

    /// Waits briefly for a concurrent first attempt to settle.
    async fn settled(&self, order_id: &str) -> Result<Payment, PaymentError> {
        let mut last = None;
        for _ in 0..100 {
            let payment = self.store.get(order_id).await?.ok_or(PaymentError::NotFound)?;
            if payment.status != PaymentStatus::Pending {
                return Ok(payment);
            }
            last = Some(payment);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        last.ok_or(PaymentError::NotFound)
    }

    async fn ask_provider(&self, pending: Payment, token: &str) -> Result<Payment, PaymentError> {
        let outcome = self.provider.charge(&pending.order_id, token, pending.amount, &pending.currency).await;
        self.metrics.charged(match &outcome {
            Ok(ChargeOutcome::Succeeded { .. }) => "succeeded",
            Ok(ChargeOutcome::Declined { .. }) => "declined",
            Err(ProviderError::Refused(_)) => "refused",
            Err(ProviderError::Unavailable) => "failed",
        });
        let (settled, kind) = match outcome {
            Ok(ChargeOutcome::Succeeded { charge_id }) => (
                Payment { status: PaymentStatus::Succeeded, provider_charge_id: Some(charge_id), ..pending },
                kind::PAYMENT_SUCCEEDED,
            ),
            Ok(ChargeOutcome::Declined { code }) => {
                (Payment { status: PaymentStatus::Failed, failure_code: Some(code), ..pending }, kind::PAYMENT_FAILED)
            }
            Err(ProviderError::Refused(reason)) => {
                tracing::info!(order_id = %pending.order_id, reason, "charge refused by the provider");
                (
                    Payment { status: PaymentStatus::Failed, failure_code: Some("invalid_token".into()), ..pending },
                    kind::PAYMENT_FAILED,
                )
            }
            Err(ProviderError::Unavailable) => return Err(PaymentError::ProviderUnavailable),
        };
        match self.store.settle(&settled, &[event(kind, &settled, settled.amount)]).await {
            Ok(()) => Ok(settled),
            // A concurrent attempt settled it first: its outcome stands.
            Err(StoreError::Stale) => {
                let stored = self.settled(&settled.order_id).await?;
                if stored.failure_code.as_deref() == Some(ORDER_CANCELLED)
                    && let (PaymentStatus::Succeeded, Some(charge)) = (settled.status, &settled.provider_charge_id)
                {
                    // The order was cancelled while the provider was charging it: give it back.
                    let key = format!("{ORDER_CANCELLED}:{}", settled.order_id);
                    self.provider
                        .refund(&key, charge, settled.amount)
                        .await
                        .map_err(|_| PaymentError::ProviderUnavailable)?;
                    tracing::warn!(order_id = %settled.order_id, "late charge of a cancelled order refunded");
                }
                Ok(stored)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The order was cancelled: a charge that went through is refunded in full, and one
    /// that never started never will (a later attempt is refused). Idempotent.
    pub async fn order_cancelled(&self, order_id: &str) -> Result<(), PaymentError> {
        let void = Payment {
            order_id: order_id.to_owned(),
            user_id: String::new(),
            status: PaymentStatus::Failed,
            amount: 0,
            currency: String::new(),
            refunded: 0,
            failure_code: Some(ORDER_CANCELLED.to_owned()),
            provider_charge_id: None,
            created_at: time::OffsetDateTime::now_utc().unix_timestamp(),
        };
        if self.store.start(&void).await? {
            return Ok(());
        }
        let payment = self.settled(order_id).await?;
        match payment.status {
            PaymentStatus::Succeeded | PaymentStatus::PartiallyRefunded => {
                self.refund(order_id, None, &format!("{ORDER_CANCELLED}:{order_id}")).await.map(drop)
            }
            // The attempt died (or is slow) with the provider: settle it from what the
            // provider knows now; a charge that lands later is refunded as it settles.
            PaymentStatus::Pending => {
                let outcome = self.provider.lookup(order_id).await.map_err(|_| PaymentError::ProviderUnavailable)?;
                let settled = match outcome {
                    Some(ChargeOutcome::Succeeded { charge_id }) => {
                        Payment { status: PaymentStatus::Succeeded, provider_charge_id: Some(charge_id), ..payment }
                    }
                    Some(ChargeOutcome::Declined { code }) => {
                        Payment { status: PaymentStatus::Failed, failure_code: Some(code), ..payment }
                    }
                    None => Payment {
                        status: PaymentStatus::Failed,
                        failure_code: Some(ORDER_CANCELLED.to_owned()),
                        ..payment
                    },
                };
                match self.store.settle(&settled, &[]).await {
                    Ok(()) | Err(StoreError::Stale) => {}
                    Err(err) => return Err(err.into()),
                }
                Box::pin(self.order_cancelled(order_id)).await
            }
            PaymentStatus::Failed | PaymentStatus::Refunded => Ok(()),
        }
    }

    /// A page of every payment, oldest first (for admins and audits).
    pub async fn list(&self, paging: Paging) -> Result<shop_service_kit::Page<Payment>, PaymentError> {
        Ok(self.store.list(paging).await?)
    }

    /// Applies a verified provider callback once: a refund made at the provider is recorded;
    /// other kinds are only logged. A replay changes nothing.
    /// Takes a provider's event once: a refund made at the provider (`charge.refunded`) is
    /// recorded — the provider is not asked to refund again — in the same transaction as
    /// the event's id, so a replay changes nothing and a failure leaves it to be sent again.
    pub async fn webhook(&self, event: &ProviderEvent) -> Result<(), PaymentError> {
        match (event.kind.as_str(), &event.data.order_id, event.data.amount) {
            ("charge.refunded", Some(order), Some(amount)) => {
                self.refunded(order, Some(amount), &event.id, Refunder::Provider { event_id: &event.id }).await?;
            }
            _ if self.store.first_webhook(&event.id).await? => {
                tracing::info!(event_id = %event.id, kind = %event.kind, "webhook recorded");
            }
            _ => tracing::info!(event_id = %event.id, "webhook replay ignored"),
        }
        Ok(())
    }

    pub async fn payment(&self, order_id: &str) -> Result<Payment, PaymentError> {
        self.store.get(order_id).await?.ok_or(PaymentError::NotFound)
    }

    /// Refunds `amount` (all that is left when `None`), once per `key` of this payment (the
    /// same key on another order's payment is another refund).
    pub async fn refund(&self, order_id: &str, amount: Option<i64>, key: &str) -> Result<Payment, PaymentError> {
        self.refunded(order_id, amount, key, Refunder::Shop).await
    }

    /// Records a refund of `amount` once per `key`; the shop's own refunds are asked of the
    /// provider first, the provider's are only recorded (with the event that told of them).
    async fn refunded(
        &self,
        order_id: &str,
        amount: Option<i64>,
        key: &str,
        by: Refunder<'_>,
    ) -> Result<Payment, PaymentError> {
        let scoped = format!("{order_id}:{key}");
        let key = scoped.as_str();
        let by_label = if matches!(by, Refunder::Shop) { "shop" } else { "provider" };
        for _ in 0..5 {
            // A repeat of a refund already made (a retry, a replayed event) changes nothing.
            if self.store.refund_applied(key).await? {
                return self.payment(order_id).await;
            }
            let payment = self.payment(order_id).await?;
            if !matches!(
                payment.status,
                PaymentStatus::Succeeded | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
            ) {
                return Err(PaymentError::NotRefundable);
            }
            let left = payment.amount - payment.refunded;
            let amount = amount.unwrap_or(left);
            if amount <= 0 || amount > left {
                if left == 0 && amount == 0 {
                    return Ok(payment);
                }
                return Err(PaymentError::RefundTooLarge(left));
            }
            let webhook = match by {
                Refunder::Shop => {
                    let charge = payment.provider_charge_id.clone().unwrap_or_default();
                    self.provider.refund(key, &charge, amount).await.map_err(|_| PaymentError::ProviderUnavailable)?;
                    None
                }
                Refunder::Provider { event_id } => Some(event_id),
            };
            let refunded = Payment { refunded: payment.refunded + amount, ..payment.clone() };
            match self
                .store
                .refund(
                    &Refund { order_id, key, amount, read_refunded: payment.refunded, webhook },
                    &[event(kind::PAYMENT_REFUNDED, &refunded, amount)],
                )
                .await
            {
                Ok(_) => {
                    self.metrics.refunds.with_label_values(&[by_label]).inc();
                    return self.payment(order_id).await;
                }
                Err(StoreError::Stale) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(PaymentError::Conflict)
    }
}
