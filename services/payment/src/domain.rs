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

/// A provider token, checked before it goes anywhere: `tok_` and 3–64 letters, digits or `_`.
/// Anything that looks like a card number is refused outright and never echoed back.
pub fn token(raw: &str) -> Result<&str, String> {
    let digits = raw.chars().filter(char::is_ascii_digit).count();
    if digits >= 12 && raw.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-') {
        return Err("card numbers are never accepted; send a payment provider token".into());
    }
    let body = raw.strip_prefix("tok_").ok_or_else(|| "must be a payment provider token (tok_…)".to_owned())?;
    if (3..=64).contains(&body.len()) && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(raw)
    } else {
        Err("must be a payment provider token (tok_…)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_pass_and_card_numbers_never_do() {
        assert!(token("tok_visa").is_ok());
        for card in ["4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242"] {
            let err = token(card).unwrap_err();
            assert!(!err.contains("4242"), "the number is not echoed");
            assert!(err.contains("card numbers are never accepted"));
        }
        assert!(token("tok_").is_err());
        assert!(token("visa").is_err());
    }
}
