//! Payment providers. The sandbox behaves like a real provider's test mode: fixed test
//! tokens decide the outcome, charges are idempotent per key, and latency and transient
//! failures can be dialled in for tests.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use async_trait::async_trait;

/// What a provider said about a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeded { charge_id: String },
    Declined { code: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the payment provider is unavailable")]
    Unavailable,
    #[error("the payment provider refused the request: {0}")]
    Refused(String),
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// Charges `amount`; a repeat with the same `key` returns the first outcome.
    async fn charge(&self, key: &str, token: &str, amount: i64, currency: &str)
    -> Result<ChargeOutcome, ProviderError>;
    async fn refund(&self, key: &str, charge_id: &str, amount: i64) -> Result<String, ProviderError>;
    /// How the charge made with `key` ended, if one was made.
    async fn lookup(&self, key: &str) -> Result<Option<ChargeOutcome>, ProviderError>;
}

/// The sandbox provider: `tok_visa` succeeds, `tok_chargeDeclined` and
/// `tok_insufficientFunds` are declined; any other token is refused.
pub struct Sandbox {
    latency: Duration,
    /// Chance (0..1) that a call fails as if the provider were down.
    failure_rate: f64,
    charges: Mutex<HashMap<String, ChargeOutcome>>,
    refunds: Mutex<HashMap<String, String>>,
    calls: Mutex<u64>,
}

impl Sandbox {
    pub fn new(latency: Duration, failure_rate: f64) -> Self {
        Self {
            latency,
            failure_rate: failure_rate.clamp(0.0, 1.0),
            charges: Mutex::default(),
            refunds: Mutex::default(),
            calls: Mutex::default(),
        }
    }

    /// Deterministic "randomness": every n-th call fails for a failure rate of 1/n.
    fn flaky(&self) -> bool {
        let mut calls = shop_platform::lock(&self.calls);
        *calls += 1;
        if self.failure_rate <= 0.0 {
            return false;
        }
        let every = (1.0 / self.failure_rate).round().max(1.0) as u64;
        (*calls).is_multiple_of(every)
    }

    async fn call(&self) -> Result<(), ProviderError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        if self.flaky() { Err(ProviderError::Unavailable) } else { Ok(()) }
    }
}

#[async_trait]
impl Provider for Sandbox {
    async fn charge(
        &self,
        key: &str,
        token: &str,
        amount: i64,
        _currency: &str,
    ) -> Result<ChargeOutcome, ProviderError> {
        self.call().await?;
        let mut charges = shop_platform::lock(&self.charges);
        if let Some(first) = charges.get(key) {
            return Ok(first.clone());
        }
        let outcome = match token {
            "tok_visa" if amount > 0 => {
                ChargeOutcome::Succeeded { charge_id: format!("ch_{}", uuid::Uuid::now_v7().simple()) }
            }
            "tok_visa" => return Err(ProviderError::Refused("amount must be positive".into())),
            "tok_chargeDeclined" => ChargeOutcome::Declined { code: "card_declined".into() },
            "tok_insufficientFunds" => ChargeOutcome::Declined { code: "insufficient_funds".into() },
            _ => return Err(ProviderError::Refused("unknown test token".into())),
        };
        charges.insert(key.to_owned(), outcome.clone());
        Ok(outcome)
    }

    async fn refund(&self, key: &str, _charge_id: &str, _amount: i64) -> Result<String, ProviderError> {
        self.call().await?;
        let mut refunds = shop_platform::lock(&self.refunds);
        Ok(refunds.entry(key.to_owned()).or_insert_with(|| format!("re_{}", uuid::Uuid::now_v7().simple())).clone())
    }

    async fn lookup(&self, key: &str) -> Result<Option<ChargeOutcome>, ProviderError> {
        self.call().await?;
        Ok(shop_platform::lock(&self.charges).get(key).cloned())
    }
}
