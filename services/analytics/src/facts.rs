//! From an order's event to the figures it changes: the rows of every key its lines touch
//! (the shop, each vendor, each product, each category and its ancestors, per vendor too),
//! the customer it counts, and the products it names.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::{Activity, Change, Counters, Day, Dim, Key, Product, SHOP};

/// An order line as its events carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleLine {
    pub product_id: String,
    pub vendor_id: String,
    /// The product's category, then its ancestors.
    pub category_ids: Vec<String>,
    pub name: String,
    pub quantity: i64,
    /// The line's total, in minor units.
    pub amount: i64,
}

/// An order as its events carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sale {
    pub order_id: String,
    pub user_id: String,
    pub currency: String,
    pub lines: Vec<SaleLine>,
    /// Whether the customer was charged (a cancelled order's money goes back).
    pub charged: bool,
}

/// What happened to the order: each at most once in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    Placed,
    Paid,
    Shipped,
    Cancelled,
    Refunded,
}

impl Fact {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Placed => "placed",
            Self::Paid => "paid",
            Self::Shipped => "shipped",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
        }
    }
}

/// What a change is applied once as: the order and what happened to it, the same whether
/// it comes from the live event (whatever its id, however often delivered) or from a
/// rebuild reading the order back.
pub fn fact_key(order_id: &str, fact: Fact) -> String {
    format!("{ORDER_FACT}{order_id}:{}", fact.as_str())
}

/// How every order fact's key begins.
pub const ORDER_FACT: &str = "order:";

/// Units and money of one key in a sale.
#[derive(Default, Clone, Copy)]
struct Share {
    units: i64,
    amount: i64,
}

/// Every key the sale touches, with its share of the sale.
fn shares(sale: &Sale) -> BTreeMap<Key, Share> {
    let mut shares: BTreeMap<Key, Share> = BTreeMap::new();
    let key = |scope: &str, dim: Dim, id: &str| Key {
        scope: scope.to_owned(),
        dim,
        id: id.to_owned(),
        currency: sale.currency.clone(),
    };
    for line in &sale.lines {
        let mut keys = vec![
            key(SHOP, Dim::Total, ""),
            key(&line.vendor_id, Dim::Total, ""),
            key(&line.vendor_id, Dim::Product, &line.product_id),
        ];
        let categories: BTreeSet<&String> = line.category_ids.iter().collect();
        for category in categories {
            keys.push(key(SHOP, Dim::Category, category));
            keys.push(key(&line.vendor_id, Dim::Category, category));
        }
        for k in keys {
            let share = shares.entry(k).or_default();
            share.units += line.quantity;
            share.amount += line.amount;
        }
    }
    shares
}

/// What `fact` about `sale` on `day` changes, applied once as `key` (see [`fact_key`]).
pub fn order_change(key: &str, fact: Fact, sale: &Sale, day: Day) -> Change {
    let every_key = matches!(fact, Fact::Paid | Fact::Refunded) || (fact == Fact::Cancelled && sale.charged);
    let rows = shares(sale)
        .into_iter()
        .filter(|(key, _)| every_key || key.dim == Dim::Total)
        .map(|(key, share)| {
            let counted = match fact {
                Fact::Placed => Counters { placed: 1, ..Counters::default() },
                Fact::Paid => Counters { orders: 1, units: share.units, gross: share.amount, ..Counters::default() },
                Fact::Shipped => Counters { shipped: 1, ..Counters::default() },
                Fact::Cancelled if sale.charged => {
                    Counters { cancelled_orders: 1, cancellations: share.amount, ..Counters::default() }
                }
                Fact::Cancelled => Counters { failed: 1, ..Counters::default() },
                Fact::Refunded => Counters { refunded_orders: 1, refunds: share.amount, ..Counters::default() },
            };
            (key, counted)
        })
        .collect();
    let (customer, products) = if fact == Fact::Paid {
        let mut scopes: Vec<String> = sale.lines.iter().map(|l| l.vendor_id.clone()).collect();
        scopes.push(SHOP.to_owned());
        scopes.sort();
        scopes.dedup();
        let products = sale
            .lines
            .iter()
            .map(|l| Product { id: l.product_id.clone(), name: l.name.clone(), vendor_id: l.vendor_id.clone() })
            .collect();
        (Some((sale.user_id.clone(), scopes)), products)
    } else {
        (None, Vec::new())
    };
    Change { rows, customer, products, ..Change::new(key, day) }
}

/// An activity of each of `scopes` on `day` (a sign-up, a low-stock alert), as the event `event_id`.
pub fn activity_change(event_id: &str, day: Day, scopes: &[&str], activity: Activity) -> Change {
    Change { activity: scopes.iter().map(|s| ((*s).to_owned(), activity)).collect(), ..Change::new(event_id, day) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(product: &str, vendor: &str, categories: &[&str], quantity: i64, amount: i64) -> SaleLine {
        SaleLine {
            product_id: product.into(),
            vendor_id: vendor.into(),
            category_ids: categories.iter().map(|c| (*c).to_owned()).collect(),
            name: product.to_uppercase(),
            quantity,
            amount,
        }
    }

    fn sale() -> Sale {
        Sale {
            order_id: "o1".into(),
            user_id: "u1".into(),
            currency: "EUR".into(),
            lines: vec![
                line("mug", "v1", &["cups", "kitchen"], 2, 900),
                line("pot", "v1", &["pots", "kitchen"], 1, 2500),
                line("tea", "v2", &["tea"], 3, 1800),
            ],
            charged: true,
        }
    }

    fn row<'a>(change: &'a Change, scope: &str, dim: Dim, id: &str) -> &'a Counters {
        let found = change.rows.iter().find(|(k, _)| k.scope == scope && k.dim == dim && k.id == id);
        &found.unwrap_or_else(|| panic!("no row {scope}/{dim:?}/{id}")).1
    }

    #[test]
    fn a_paid_order_adds_to_every_key_its_lines_touch() {
        let change = order_change("e1", Fact::Paid, &sale(), Day(10));
        let shop = row(&change, SHOP, Dim::Total, "");
        assert_eq!((shop.orders, shop.units, shop.gross), (1, 6, 5200));
        let v1 = row(&change, "v1", Dim::Total, "");
        assert_eq!((v1.orders, v1.units, v1.gross), (1, 3, 3400));
        let kitchen = row(&change, SHOP, Dim::Category, "kitchen");
        assert_eq!((kitchen.orders, kitchen.units, kitchen.gross), (1, 3, 3400), "an ancestor counts the order once");
        assert_eq!(row(&change, "v2", Dim::Product, "tea").gross, 1800);
        assert_eq!(change.rows.len(), 3 + 3 + 4 + 4, "totals, products, categories of the shop and of each vendor");
        assert_eq!(change.customer, Some(("u1".into(), vec![String::new(), "v1".into(), "v2".into()])));
    }

    #[test]
    fn cancellations_and_refunds_are_dated_adjustments() {
        let cancelled = order_change("e2", Fact::Cancelled, &sale(), Day(12));
        let shop = row(&cancelled, SHOP, Dim::Total, "");
        assert_eq!((shop.cancelled_orders, shop.cancellations, shop.orders), (1, 5200, 0));
        let refunded = order_change("e3", Fact::Refunded, &sale(), Day(12));
        assert_eq!(row(&refunded, "v2", Dim::Category, "tea").refunds, 1800);
        let declined = order_change("e4", Fact::Cancelled, &Sale { charged: false, ..sale() }, Day(12));
        assert!(declined.rows.iter().all(|(k, c)| k.dim == Dim::Total && c.failed == 1 && c.cancellations == 0));
        assert!(declined.customer.is_none());
    }
}
