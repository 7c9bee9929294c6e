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

/// Different searches kept a day (beyond them, new ones are counted in the figures but their
/// words are not kept).
pub const MAX_SEARCHES_A_DAY: usize = 10_000;

/// A search as reports show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Searched {
    pub query: String,
    pub times: i64,
    pub empty: i64,
}

/// The most searches `limit` of `counts`, most made first (ties by the words).
pub(crate) fn most_searched(
    counts: impl IntoIterator<Item = (String, i64, i64)>,
    limit: usize,
    empty_only: bool,
) -> Vec<Searched> {
    let mut sums: std::collections::HashMap<String, (i64, i64)> = Default::default();
    for (query, times, empty) in counts {
        let sum = sums.entry(query).or_default();
        (sum.0, sum.1) = (sum.0 + times, sum.1 + empty);
    }
    let mut found: Vec<Searched> = sums
        .into_iter()
        .filter(|(_, (_, empty))| !empty_only || *empty > 0)
        .map(|(query, (times, empty))| Searched { query, times, empty })
        .collect();
    found.sort_by(|a, b| {
        let key = |s: &Searched| if empty_only { s.empty } else { s.times };
        key(b).cmp(&key(a)).then(a.query.cmp(&b.query))
    });
    found.truncate(limit);
    found
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
    /// Searches of `from..=to` by how often they were made: (search, times, times it found
    /// nothing), most made first, at most `limit`; `empty_only`: only those that ever found
    /// nothing.
    async fn searches(&self, from: Day, to: Day, limit: usize, empty_only: bool) -> anyhow::Result<Vec<Searched>>;
    /// The products known among `ids`.
    async fn products(&self, ids: &[String]) -> anyhow::Result<Vec<Product>>;
    /// Forgets every figure that comes from orders, and which orders' facts were counted (a
    /// rebuild counts them all again). Sign-ups, low-stock alerts, what visitors did and the
    /// products' names stay: orders cannot tell them again.
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
