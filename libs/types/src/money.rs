//! Money in integer minor units with an ISO-4217 currency; never floats.

use std::fmt;

/// A three-letter upper-case ISO-4217 code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Currency(String);

impl Currency {
    pub fn parse(code: &str) -> Result<Self, String> {
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code.to_owned()))
        } else {
            Err("must be a three-letter ISO-4217 code such as USD".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A non-negative amount in minor units (cents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    pub amount: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: i64, currency: Currency) -> Result<Self, String> {
        if amount < 0 {
            return Err("must not be negative".into());
        }
        Ok(Self { amount, currency })
    }

    /// A positive amount (what can be charged).
    pub fn positive(amount: i64, currency: &str) -> Result<Self, String> {
        let currency = Currency::parse(currency)?;
        if amount <= 0 {
            return Err("must be a positive amount".into());
        }
        Ok(Self { amount, currency })
    }

    /// `self × quantity`, saturating.
    pub fn times(&self, quantity: i64) -> Self {
        Self { amount: self.amount.saturating_mul(quantity), currency: self.currency.clone() }
    }

    /// The sum of `amounts`, all in one currency (the rule for a cart and an order): `None`
    /// for no amounts, an error when currencies differ.
    pub fn sum<'a>(amounts: impl IntoIterator<Item = &'a Self>) -> Result<Option<Self>, MixedCurrencies> {
        let mut total: Option<Self> = None;
        for m in amounts {
            total = Some(match total {
                None => m.clone(),
                Some(t) if t.currency == m.currency => Self { amount: t.amount.saturating_add(m.amount), ..t },
                Some(_) => return Err(MixedCurrencies),
            });
        }
        Ok(total)
    }
}

/// Amounts in different currencies were to be added up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MixedCurrencies;

impl fmt::Display for MixedCurrencies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the amounts are in different currencies")
    }
}

impl std::error::Error for MixedCurrencies {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes_are_three_upper_case_letters() {
        assert!(Currency::parse("USD").is_ok());
        for bad in ["usd", "US", "USDX", "U$D", ""] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn money_is_never_negative() {
        let usd = Currency::parse("USD").unwrap();
        assert!(Money::new(-1, usd.clone()).is_err());
        assert_eq!(Money::new(1999, usd).unwrap().amount, 1999);
        assert!(Money::positive(0, "USD").is_err());
    }

    #[test]
    fn sums_stay_in_one_currency() {
        let usd = |a| Money::new(a, Currency::parse("USD").unwrap()).unwrap();
        let eur = Money::new(1, Currency::parse("EUR").unwrap()).unwrap();
        assert_eq!(Money::sum([&usd(1), &usd(2)]).unwrap(), Some(usd(3)));
        assert_eq!(Money::sum([]).unwrap(), None);
        assert_eq!(Money::sum([&usd(1), &eur]), Err(MixedCurrencies));
    }
}
