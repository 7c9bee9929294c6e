//! Embedded payment store: one lock over everything.

use std::{
    collections::{HashMap, HashSet},
    sync::{Mutex, MutexGuard, PoisonError},
};

use async_trait::async_trait;
use shop_messaging::{Envelope, outbox::MemoryOutbox};

use super::{PaymentStore, StoreError, refunded_status};
use crate::domain::{Payment, PaymentStatus};

#[derive(Default)]
struct State {
    payments: HashMap<String, Payment>,
    refund_keys: HashSet<String>,
    webhooks: HashSet<String>,
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
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
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

    async fn list(&self, offset: u64, limit: u64) -> Result<(Vec<Payment>, u64), StoreError> {
        let mut all: Vec<Payment> = self.state().payments.values().cloned().collect();
        all.sort_by(|a, b| (a.created_at, &a.order_id).cmp(&(b.created_at, &b.order_id)));
        let total = all.len() as u64;
        let page = all
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok((page.collect(), total))
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

    async fn refund(
        &self,
        order_id: &str,
        key: &str,
        amount: i64,
        read_refunded: i64,
        events: &[Envelope],
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        if state.refund_keys.contains(key) {
            return Ok(false);
        }
        let payment = state.payments.get_mut(order_id).ok_or(StoreError::Stale)?;
        if payment.refunded != read_refunded || payment.refunded + amount > payment.amount {
            return Err(StoreError::Stale);
        }
        payment.refunded += amount;
        payment.status = refunded_status(payment.amount, payment.refunded);
        state.refund_keys.insert(key.to_owned());
        self.outbox.add(events.iter().cloned());
        Ok(true)
    }

    async fn first_webhook(&self, event_id: &str) -> Result<bool, StoreError> {
        Ok(self.state().webhooks.insert(event_id.to_owned()))
    }
}
