//! Embedded payment store: one lock over everything.

use std::{
    collections::{HashMap, HashSet},
    sync::{Mutex, MutexGuard},
    time::Instant,
};

use async_trait::async_trait;
use shop_messaging::{Envelope, outbox::MemoryOutbox};
use shop_service_kit::{Page, Paging};

use super::{PaymentStore, Refund, StoreError, refunded_status};
use crate::domain::{Payment, PaymentStatus};

#[derive(Default)]
struct State {
    payments: HashMap<String, Payment>,
    refund_keys: HashSet<String>,
    /// Provider event ids taken, with when: forgotten after [`super::WEBHOOK_RETENTION`].
    webhooks: HashMap<String, Instant>,
}

pub struct MemoryPaymentStore {
    state: Mutex<State>,
    outbox: MemoryOutbox,
}

impl MemoryPaymentStore {
    pub fn new(outbox: MemoryOutbox) -> Self {
        Self { state: Mutex::default(), outbox }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        shop_platform::lock(&self.state)
    }
}

#[async_trait]
impl PaymentStore for MemoryPaymentStore {
    async fn start(&self, payment: &Payment) -> Result<bool, StoreError> {
        let mut state = self.state();
        if state.payments.contains_key(&payment.order_id) {
            return Ok(false);
        }
        state.payments.insert(payment.order_id.clone(), payment.clone());
        Ok(true)
    }

    async fn get(&self, order_id: &str) -> Result<Option<Payment>, StoreError> {
        Ok(self.state().payments.get(order_id).cloned())
    }

    async fn list(&self, page: Paging) -> Result<Page<Payment>, StoreError> {
        let all: Vec<Payment> = self.state().payments.values().cloned().collect();
        Ok(page.of(all, |p| (Some(p.created_at), p.order_id.clone()), false))
    }

    async fn settle(&self, payment: &Payment, events: &[Envelope]) -> Result<(), StoreError> {
        let mut state = self.state();
        let stored = state.payments.get_mut(&payment.order_id).ok_or(StoreError::Stale)?;
        if stored.status != PaymentStatus::Pending {
            return Err(StoreError::Stale);
        }
        *stored = payment.clone();
        self.outbox.add(events.iter().cloned());
        Ok(())
    }

    async fn refund(&self, refund: &Refund<'_>, events: &[Envelope]) -> Result<bool, StoreError> {
        let Refund { order_id, key, amount, read_refunded, webhook } = *refund;
        let mut state = self.state();
        if state.refund_keys.contains(key) || webhook.is_some_and(|id| state.webhooks.contains_key(id)) {
            return Ok(false);
        }
        let payment = state.payments.get_mut(order_id).ok_or(StoreError::Stale)?;
        if payment.refunded != read_refunded || payment.refunded + amount > payment.amount {
            return Err(StoreError::Stale);
        }
        payment.refunded += amount;
        payment.status = refunded_status(payment.amount, payment.refunded);
        state.refund_keys.insert(key.to_owned());
        if let Some(id) = webhook {
            remember(&mut state.webhooks, id);
        }
        self.outbox.add(events.iter().cloned());
        Ok(true)
    }

    async fn refund_applied(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.state().refund_keys.contains(key))
    }

    async fn first_webhook(&self, event_id: &str) -> Result<bool, StoreError> {
        let webhooks = &mut self.state().webhooks;
        if webhooks.contains_key(event_id) {
            return Ok(false);
        }
        remember(webhooks, event_id);
        Ok(true)
    }
}

/// Records a provider event id, forgetting those past their retention.
fn remember(webhooks: &mut HashMap<String, Instant>, id: &str) {
    let now = Instant::now();
    webhooks.retain(|_, at| now.duration_since(*at) < super::WEBHOOK_RETENTION);
    webhooks.insert(id.to_owned(), now);
}
