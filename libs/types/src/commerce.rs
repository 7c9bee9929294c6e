//! What a customer buys and pays with: SKUs, quantities, order ids, payment tokens and the
//! keys that make a checkout safe to retry.

use std::fmt;

crate::uuid_id!(
    /// An order's id (a UUIDv7, so ids sort by creation).
    OrderId
);

/// A stock-keeping unit: 1–64 letters, digits, `-`, `_` or `.`; unique across the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sku(String);

impl Sku {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err("must be 1-64 characters of letters, digits, '-', '_' or '.'".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Units of one SKU in one cart or order line: 1 to [`Quantity::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(i64);

impl Quantity {
    /// Most units of one SKU a customer can order at once.
    pub const MAX: i64 = 100;

    pub fn parse(n: i64) -> Result<Self, String> {
        if (1..=Self::MAX).contains(&n) { Ok(Self(n)) } else { Err(format!("must be from 1 to {}", Self::MAX)) }
    }

    pub const fn get(self) -> i64 {
        self.0
    }
}

/// A payment provider's token for a card the provider holds: `tok_` and 3–64 letters,
/// digits or `_`. Card data never enters the platform: anything that looks like a card
/// number is refused, and the refusal never repeats what was sent.
#[derive(Clone, PartialEq, Eq)]
pub struct PaymentToken(String);

impl PaymentToken {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if looks_like_card_number(raw) {
            return Err("card numbers are never accepted; send a payment provider token".into());
        }
        let body = raw.strip_prefix("tok_").ok_or_else(Self::expected)?;
        if (3..=64).contains(&body.len()) && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Self::expected())
        }
    }

    fn expected() -> String {
        "must be a payment provider token (tok_…); card data is never accepted".into()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Tokens are credentials of a kind: they stay out of logs.
impl fmt::Debug for PaymentToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PaymentToken(***)")
    }
}

/// A run of 12 or more digits (spaces and dashes between them allowed), as card numbers are.
fn looks_like_card_number(raw: &str) -> bool {
    let mut run = 0;
    for c in raw.chars() {
        match c {
            '0'..='9' => {
                run += 1;
                if run >= 12 {
                    return true;
                }
            }
            ' ' | '-' => {}
            _ => run = 0,
        }
    }
    false
}

/// The client's key for one checkout (the `Idempotency-Key` header): 1–255 visible ASCII
/// characters. The same key again is the same request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if (1..=Self::MAX_LEN).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!("1 to {} visible ASCII characters", Self::MAX_LEN))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_pass_and_card_numbers_never_do() {
        assert!(PaymentToken::parse("tok_visa").is_ok());
        for card in ["4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242", "tok_4242424242424242"] {
            let err = PaymentToken::parse(card).unwrap_err();
            assert!(!err.contains("4242"), "the number is not echoed");
            assert!(err.contains("card numbers are never accepted"), "{card}");
        }
        for bad in ["tok_", "tok_x", "visa", "tok_a b", &format!("tok_{}", "a".repeat(65))] {
            assert!(PaymentToken::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{:?}", PaymentToken::parse("tok_visa").unwrap()).contains("visa"));
    }

    #[test]
    fn quantities_are_whole_units_within_the_limit() {
        assert_eq!(Quantity::parse(1).unwrap().get(), 1);
        assert!(Quantity::parse(Quantity::MAX).is_ok());
        for bad in [0, -1, Quantity::MAX + 1] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn idempotency_keys_are_visible_ascii() {
        assert!(IdempotencyKey::parse("abc-123").is_ok());
        for bad in ["", "a b", "ключ", &"k".repeat(256)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn skus_are_short_and_plain() {
        assert!(Sku::parse("TEE-RED.L_1").is_ok());
        for bad in ["", "a b", "x/y", &"s".repeat(65)] {
            assert!(Sku::parse(bad).is_err(), "{bad}");
        }
    }
}
