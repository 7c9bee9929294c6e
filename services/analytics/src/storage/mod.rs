//! Analytics storage: rows of figures per (key, day), activity per (scope, day), what is
//! known of each customer per scope, product names, and the ids of the events applied. A
//! MongoDB and an embedded implementation held to one contract (`tests/store_contract.rs`).
//!
//! An event's change is applied whole or not at all, at most once: its id is recorded in
//! the same step (one lock, one transaction) as its figures.

mod memory;
mod mongo;
mod running;

use async_trait::async_trait;

pub use memory::MemoryRollupStore;
pub use mongo::MongoRollupStore;

use crate::domain::{Activity, Change, Counters, Day, Dim, Product, Rebuild};

/// Which rows to sum, over the days `from..=to`.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    /// Only this scope's rows (the shop's: [`crate::domain::SHOP`]); none: every scope.
    pub scope: Option<&'a str>,
    pub dim: Dim,
    pub from: Day,
    pub to: Day,
    /// Sums per day (for a series) rather than over the whole range.
    pub by_day: bool,
}

/// Rows summed per (scope, id, currency) — and day, when asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summed {
    pub scope: String,
    pub id: String,
    pub currency: String,
    pub day: Option<Day>,
    pub counters: Counters,
}

#[async_trait]
pub trait RollupStore: Send + Sync + 'static {
    /// Applies `change` unless its event was applied already: whether it was now.
    async fn apply(&self, change: &Change) -> anyhow::Result<bool>;
    /// The rows `query` names, summed.
    async fn sum(&self, query: &Query<'_>) -> anyhow::Result<Vec<Summed>>;
    /// A scope's activity per day of `from..=to` (days without any left out), oldest first.
    async fn activity(&self, scope: &str, from: Day, to: Day) -> anyhow::Result<Vec<(Day, Activity)>>;
    /// The products known among `ids`.
    async fn products(&self, ids: &[String]) -> anyhow::Result<Vec<Product>>;
    /// Forgets every figure that comes from orders, and which orders' facts were counted (a
    /// rebuild counts them all again). Sign-ups and low-stock alerts stay: orders cannot
    /// tell them again.
    async fn clear_orders(&self) -> anyhow::Result<()>;
    /// The last rebuild's progress, as noted (kept through [`RollupStore::clear_orders`]).
    async fn rebuild(&self) -> anyhow::Result<Option<Rebuild>>;
    async fn note_rebuild(&self, rebuild: &Rebuild) -> anyhow::Result<()>;
}

/// Groups `rows` (scope, id, currency, day, counters) the way `query` asks.
pub(crate) fn group(
    rows: impl IntoIterator<Item = (String, String, String, Day, Counters)>,
    by_day: bool,
) -> Vec<Summed> {
    let mut sums: std::collections::BTreeMap<(String, String, String, Option<Day>), Counters> = Default::default();
    for (scope, id, currency, day, counters) in rows {
        sums.entry((scope, id, currency, by_day.then_some(day))).or_default().add(&counters);
    }
    sums.into_iter()
        .map(|((scope, id, currency, day), counters)| Summed { scope, id, currency, day, counters })
        .collect()
}
