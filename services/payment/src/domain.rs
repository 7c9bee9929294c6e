//! Payments: one per order, charged once, refunded up to what was captured. Card data never
//! enters the platform: clients send a token from the payment provider.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    /// The provider is being asked; the outcome is not known yet.
    Pending,
    Succeeded,
    Failed,
    PartiallyRefunded,
    Refunded,
}

impl PaymentStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed, Self::PartiallyRefunded, Self::Refunded]
            .into_iter()
            .find(|status| status.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub order_id: String,
    /// Who was charged (the order's owner); empty for an order cancelled before any charge.
    pub user_id: String,
    pub status: PaymentStatus,
    /// Minor units.
    pub amount: i64,
    pub currency: String,
    pub refunded: i64,
    /// Why a charge failed (`card_declined`, `insufficient_funds`).
    pub failure_code: Option<String>,
    pub provider_charge_id: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
}
