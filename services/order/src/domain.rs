//! Orders and the one function that decides which status may follow which.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Reserved,
    Paid,
    Shipped,
    Delivered,
    Cancelled,
    Refunded,
}

impl Status {
    pub const ALL: [Self; 7] =
        [Self::Pending, Self::Reserved, Self::Paid, Self::Shipped, Self::Delivered, Self::Cancelled, Self::Refunded];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Reserved => "reserved",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the checkout saga is still running for an order in this status.
    pub const fn in_checkout(self) -> bool {
        matches!(self, Self::Pending | Self::Reserved)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an order cannot go from {from} to {to}")]
pub struct IllegalTransition {
    pub from: &'static str,
    pub to: &'static str,
}

/// The order state machine: `pending → reserved → paid → shipped → delivered`, with
/// `cancelled` (before shipping) and `refunded` (after payment) as terminal side exits.
pub fn transition(from: Status, to: Status) -> Result<Status, IllegalTransition> {
    use Status::{Cancelled, Delivered, Paid, Pending, Refunded, Reserved, Shipped};
    let legal = matches!(
        (from, to),
        (Pending, Reserved | Cancelled)
            | (Reserved, Paid | Cancelled)
            | (Paid, Shipped | Cancelled | Refunded)
            | (Shipped, Delivered | Refunded)
            | (Delivered, Refunded)
    );
    if legal { Ok(to) } else { Err(IllegalTransition { from: from.as_str(), to: to.as_str() }) }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub sku: String,
    pub product_id: String,
    pub name: String,
    pub quantity: i64,
    /// Minor units, as catalog priced it at checkout.
    pub unit_price: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: String,
    pub user_id: String,
    pub status: Status,
    pub lines: Vec<OrderLine>,
    pub currency: String,
    pub shipping: Address,
    /// `pending`, `succeeded`, `failed`, `refunded`.
    pub payment_status: String,
    pub cancel_reason: Option<String>,
    /// Unique per user; a repeat of the same request returns this order.
    pub idempotency_key: String,
    /// Digest of the request body, to tell a repeat from a different request.
    pub request_hash: String,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
    pub version: u64,
}

impl Order {
    pub fn total(&self) -> i64 {
        self.lines.iter().map(|l| l.unit_price.saturating_mul(l.quantity)).fold(0, i64::saturating_add)
    }

    /// Moves to `to` if the state machine allows it.
    pub fn advance(&mut self, to: Status, now: i64) -> Result<(), IllegalTransition> {
        self.status = transition(self.status, to)?;
        self.updated_at = now;
        self.version += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Status::*, *};

    #[test]
    fn only_the_documented_transitions_are_legal() {
        let legal = [
            (Pending, Reserved),
            (Pending, Cancelled),
            (Reserved, Paid),
            (Reserved, Cancelled),
            (Paid, Shipped),
            (Paid, Cancelled),
            (Paid, Refunded),
            (Shipped, Delivered),
            (Shipped, Refunded),
            (Delivered, Refunded),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(transition(from, to).is_ok(), legal.contains(&(from, to)), "{from:?} → {to:?}");
            }
        }
    }
}
