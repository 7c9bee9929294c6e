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
    /// The product's vendor and categories (its own, then those above it) at checkout.
    pub vendor_id: String,
    pub category_ids: Vec<String>,
}

pub use shop_types::Address;
use shop_types::{IdempotencyKey, PaymentToken};

/// A checkout as the customer asked for it, every part checked.
pub struct PlaceOrder {
    pub key: IdempotencyKey,
    pub shipping: Address,
    pub token: PaymentToken,
}

/// Where the order's payment stands, as order knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentState {
    /// Not charged yet, or the charge's outcome is not known yet.
    Pending,
    Succeeded,
    Failed,
    Refunded,
}

impl PaymentState {
    const ALL: [Self; 4] = [Self::Pending, Self::Succeeded, Self::Failed, Self::Refunded];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Why an order was cancelled or refunded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelReason {
    /// Inventory could not reserve every line.
    OutOfStock,
    /// The provider declined the charge, with its code (`card_declined`, …).
    PaymentDeclined(String),
    /// The checkout stalled (a service failed mid-way) and was cancelled.
    CheckoutInterrupted,
    /// Cancelled or refunded on request, in the requester's words.
    Requested(String),
    /// Payment said it took another amount or currency than the order's total (what it
    /// said, in words); the charge is refunded and the order flagged for a person to look.
    PaymentMismatch(String),
}

impl CancelReason {
    /// Every kind there is.
    pub const KINDS: [&str; 5] =
        ["out_of_stock", "payment_declined", "checkout_interrupted", "requested", "payment_mismatch"];

    /// The kind, as stored.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::OutOfStock => "out_of_stock",
            Self::PaymentDeclined(_) => "payment_declined",
            Self::CheckoutInterrupted => "checkout_interrupted",
            Self::Requested(_) => "requested",
            Self::PaymentMismatch(_) => "payment_mismatch",
        }
    }

    /// What qualifies the kind (the decline code, the requester's words), as stored.
    pub fn detail(&self) -> &str {
        match self {
            Self::PaymentDeclined(detail) | Self::Requested(detail) | Self::PaymentMismatch(detail) => detail,
            Self::OutOfStock | Self::CheckoutInterrupted => "",
        }
    }

    /// Reads back what [`CancelReason::kind`] and [`CancelReason::detail`] stored.
    pub fn from_parts(kind: &str, detail: String) -> Option<Self> {
        Some(match kind {
            "out_of_stock" => Self::OutOfStock,
            "payment_declined" => Self::PaymentDeclined(detail),
            "checkout_interrupted" => Self::CheckoutInterrupted,
            "requested" => Self::Requested(detail),
            "payment_mismatch" => Self::PaymentMismatch(detail),
            _ => return None,
        })
    }

    /// As clients read it: `out_of_stock`, `payment_declined:card_declined`, or the words.
    pub fn describe(&self) -> String {
        match self {
            Self::PaymentDeclined(code) => format!("payment_declined:{code}"),
            Self::Requested(words) => words.clone(),
            other => other.kind().to_owned(),
        }
    }
}

/// Whether what payment says it took for `order` is the order's total, in its currency;
/// if not, why not (for [`CancelReason::PaymentMismatch`]).
pub fn charged_as_ordered(order: &Order, amount: i64, currency: &str) -> Result<(), String> {
    if amount == order.total() && currency == order.currency {
        Ok(())
    } else {
        Err(format!("charged {amount} {currency} for a total of {} {}", order.total(), order.currency))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: String,
    /// How it travels, once shipped (when the shop said).
    pub shipment: Option<Shipment>,
    pub user_id: String,
    pub status: Status,
    pub lines: Vec<OrderLine>,
    pub currency: String,
    pub shipping: Address,
    pub payment: PaymentState,
    pub cancel_reason: Option<CancelReason>,
    /// Unique per user; a repeat of the same request returns this order.
    pub idempotency_key: String,
    /// Digest of the request body, to tell a repeat from a different request.
    pub request_hash: String,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
    /// When it entered each status, oldest first (Unix seconds): the dates of its sale,
    /// cancellation or refund, read back by a rebuild of the shop's figures.
    pub history: Vec<(Status, i64)>,
    pub version: u64,
}

/// Who carries a shipped order, and its tracking number.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
}

impl Shipment {
    /// The longest carrier name or tracking number.
    pub const MAX_LEN: usize = 64;

    /// A shipment as the shop describes it: both parts optional (none when both are
    /// empty), each one line of at most [`Shipment::MAX_LEN`] characters.
    pub fn parse(carrier: &str, tracking_number: &str) -> Result<Option<Self>, (&'static str, String)> {
        let carrier = shop_types::line(carrier, Self::MAX_LEN, true).map_err(|e| ("carrier", e))?;
        let tracking_number =
            shop_types::line(tracking_number, Self::MAX_LEN, true).map_err(|e| ("tracking_number", e))?;
        if carrier.is_empty() && tracking_number.is_empty() {
            return Ok(None);
        }
        Ok(Some(Self { carrier, tracking_number }))
    }
}

impl Order {
    pub fn total(&self) -> i64 {
        self.lines.iter().map(|l| l.unit_price.saturating_mul(l.quantity)).fold(0, i64::saturating_add)
    }

    /// Moves to `to` if the state machine allows it.
    pub fn advance(&mut self, to: Status, now: i64) -> Result<(), IllegalTransition> {
        self.status = transition(self.status, to)?;
        self.updated_at = now;
        self.history.push((to, now));
        self.version += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Status::*, *};

    #[test]
    fn cancel_reasons_read_back_as_written() {
        for reason in [
            CancelReason::OutOfStock,
            CancelReason::PaymentDeclined("card_declined".into()),
            CancelReason::CheckoutInterrupted,
            CancelReason::Requested("out_of_stock".into()),
            CancelReason::PaymentMismatch("charged 1 USD for a total of 13598 USD".into()),
        ] {
            assert_eq!(CancelReason::from_parts(reason.kind(), reason.detail().to_owned()), Some(reason));
        }
    }

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
