//! Inventory domain: stock per SKU and reservations held for orders.

/// Stock of one SKU. `available = on_hand - reserved` is kept as its own counter so one
/// guarded increment can take units without ever going below zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stock {
    pub sku: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    /// At or under this many available units the SKU is "low".
    pub low_stock_threshold: i64,
    /// The vendor owning the product the SKU belongs to (as catalog announced it).
    pub vendor_id: String,
}

/// What the stock's rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockRefusal {
    #[error("not enough stock of {0}")]
    OutOfStock(String),
    #[error("on hand cannot go below the {0} units reserved")]
    BelowReserved(i64),
    #[error("the reservation was released")]
    Released,
    #[error("no reservation for this order")]
    NoReservation,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub sku: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservationState {
    /// Units are held until `expires_at`.
    Held,
    /// Units left the shelf (the order was paid).
    Committed,
    /// Units went back to available (or were never taken).
    Released,
}

impl ReservationState {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Committed => "committed",
            Self::Released => "released",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub order_id: String,
    pub lines: Vec<Line>,
    pub state: ReservationState,
    /// Unix seconds.
    pub expires_at: i64,
}

/// One change of stock, with why and for which order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Unique per entry (a repeated step records its entry once).
    pub id: String,
    /// When, in Unix microseconds.
    pub at: i64,
    pub sku: String,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
    /// `set`, `restock`, `reserve`, `commit`, `release`.
    pub reason: String,
    pub order_id: Option<String>,
}

/// Checks reservation lines: 1..=100 of them, quantities 1..=10,000, each SKU once.
pub fn lines(raw: &[(String, i64)]) -> Result<Vec<Line>, String> {
    if raw.is_empty() || raw.len() > 100 {
        return Err("an order reserves 1 to 100 lines".into());
    }
    let mut out: Vec<Line> = Vec::new();
    for (sku, quantity) in raw {
        if !(1..=10_000).contains(quantity) {
            return Err(format!("quantity of {sku} must be from 1 to 10000"));
        }
        if out.iter().any(|l| &l.sku == sku) {
            return Err(format!("{sku} appears twice"));
        }
        out.push(Line { sku: sku.clone(), quantity: *quantity });
    }
    // A fixed order: concurrent reservations take units in the same sequence.
    out.sort_by(|a, b| a.sku.cmp(&b.sku));
    Ok(out)
}

/// Now, in Unix microseconds (when ledger entries happen).
pub fn now_micros() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// Most units a SKU's numbers (on hand, thresholds, a restock) may hold.
pub const MAX_UNITS: i64 = 1_000_000_000;

/// A count of units as given: 0 to [`MAX_UNITS`].
pub fn units(n: i64) -> Result<i64, String> {
    if (0..=MAX_UNITS).contains(&n) { Ok(n) } else { Err(format!("must be from 0 to {MAX_UNITS}")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservation_lines_are_bounded_unique_and_ordered() {
        let ok = lines(&[("B".into(), 1), ("A".into(), 2)]).unwrap();
        assert_eq!(ok.iter().map(|l| l.sku.as_str()).collect::<Vec<_>>(), ["A", "B"]);
        assert!(lines(&[]).is_err());
        assert!(lines(&[("A".into(), 0)]).is_err());
        assert!(lines(&[("A".into(), 10_001)]).is_err());
        assert!(lines(&[("A".into(), 1), ("A".into(), 1)]).is_err());
    }
}
