//! The embedded store: every figure in memory under one lock, so a change is applied whole;
//! rows kept per (scope, dimension), then per (id, currency), as running totals by day, so
//! a report's sum costs one subtraction per key whatever the length of its range.

use std::{
    collections::{BTreeMap, HashMap, HashSet, VecDeque},
    sync::Mutex,
};

use async_trait::async_trait;
use shop_platform::lock;

use super::{MAX_SEARCHES_A_DAY, Query, RollupStore, Searched, Summed, group, most_searched, running::Running};
use crate::{
    domain::{Activity, Change, Day, Dim, Product, Rebuild, customer_order},
    facts::ORDER_FACT,
};

/// Event ids remembered; the oldest are forgotten first (redeliveries come within seconds).
const APPLIED_CAPACITY: usize = 500_000;

type Days<T> = BTreeMap<Day, T>;
/// (id, currency) → its running totals.
type Keyed = HashMap<(String, String), Running>;

#[derive(Default)]
struct Figures {
    rows: HashMap<(String, Dim), Keyed>,
    activity: HashMap<String, Days<Activity>>,
    /// (scope, user) → (first day, last day, orders).
    customers: HashMap<(String, String), (Day, Day, i64)>,
    products: HashMap<String, Product>,
    /// Per day, (scope, visitor key): each visitor counted once a day per scope.
    visits: BTreeMap<Day, HashSet<(String, String)>>,
    /// Per day: search → (times, times it found nothing).
    searches: BTreeMap<Day, HashMap<String, (i64, i64)>>,
    applied: HashSet<String>,
    applied_order: VecDeque<String>,
}

#[derive(Default)]
pub struct MemoryRollupStore {
    figures: Mutex<Figures>,
    rebuild: Mutex<Option<Rebuild>>,
}

impl Figures {
    fn remember(&mut self, event_id: &str) -> bool {
        if !self.applied.insert(event_id.to_owned()) {
            return false;
        }
        self.applied_order.push_back(event_id.to_owned());
        while self.applied_order.len() > APPLIED_CAPACITY {
            if let Some(oldest) = self.applied_order.pop_front() {
                self.applied.remove(&oldest);
            }
        }
        true
    }
}

#[async_trait]
impl RollupStore for MemoryRollupStore {
    async fn apply(&self, change: &Change) -> anyhow::Result<bool> {
        let mut f = lock(&self.figures);
        if !f.remember(&change.event_id) {
            return Ok(false);
        }
        let day = change.day;
        for (key, counters) in &change.rows {
            let keyed = f.rows.entry((key.scope.clone(), key.dim)).or_default();
            keyed.entry((key.id.clone(), key.currency.clone())).or_default().add(day, counters);
        }
        for (scope, activity) in &change.activity {
            f.activity.entry(scope.clone()).or_default().entry(day).or_default().add(activity);
        }
        if let Some((user, scopes)) = &change.customer {
            for scope in scopes {
                let key = (scope.clone(), user.clone());
                let (known, counted) = customer_order(f.customers.get(&key).copied(), day);
                f.customers.insert(key, known);
                f.activity.entry(scope.clone()).or_default().entry(day).or_default().add(&counted);
            }
        }
        for product in &change.products {
            f.products.insert(product.id.clone(), product.clone());
        }
        if let Some((visitor, scopes)) = &change.visitor {
            // Only today's and yesterday's visits can come again.
            f.visits = f.visits.split_off(&day.plus(-1));
            for scope in scopes {
                if f.visits.entry(day).or_default().insert((scope.clone(), visitor.clone())) {
                    f.activity.entry(scope.clone()).or_default().entry(day).or_default().visitors += 1;
                }
            }
        }
        let searched = f.searches.entry(day).or_default();
        for (query, empty) in &change.searches {
            if searched.len() < MAX_SEARCHES_A_DAY || searched.contains_key(query) {
                let counted = searched.entry(query.clone()).or_default();
                (counted.0, counted.1) = (counted.0 + 1, counted.1 + i64::from(*empty));
            }
        }
        Ok(true)
    }

    async fn sum(&self, q: &Query<'_>) -> anyhow::Result<Vec<Summed>> {
        let f = lock(&self.figures);
        let mut rows = Vec::new();
        for ((scope, dim), keyed) in &f.rows {
            if *dim != q.dim || q.scope.is_some_and(|s| s != scope) {
                continue;
            }
            for ((id, currency), running) in keyed {
                if q.by_day {
                    for (day, counters) in running.days(q.from, q.to) {
                        rows.push((scope.clone(), id.clone(), currency.clone(), day, counters));
                    }
                } else if let Some(total) = running.sum(q.from, q.to) {
                    rows.push((scope.clone(), id.clone(), currency.clone(), q.from, total));
                }
            }
        }
        drop(f);
        Ok(group(rows, q.by_day))
    }

    async fn activity(&self, scope: &str, from: Day, to: Day) -> anyhow::Result<Vec<(Day, Activity)>> {
        let f = lock(&self.figures);
        Ok(f.activity.get(scope).map(|days| days.range(from..=to).map(|(d, a)| (*d, *a)).collect()).unwrap_or_default())
    }

    async fn searches(&self, from: Day, to: Day, limit: usize, empty_only: bool) -> anyhow::Result<Vec<Searched>> {
        let f = lock(&self.figures);
        let counts = f.searches.range(from..=to).flat_map(|(_, day)| day.iter().map(|(q, (t, e))| (q.clone(), *t, *e)));
        Ok(most_searched(counts.collect::<Vec<_>>(), limit, empty_only))
    }

    async fn products(&self, ids: &[String]) -> anyhow::Result<Vec<Product>> {
        let f = lock(&self.figures);
        Ok(ids.iter().filter_map(|id| f.products.get(id).cloned()).collect())
    }

    async fn clear_orders(&self) -> anyhow::Result<()> {
        let mut f = lock(&self.figures);
        (f.rows, f.customers) = (HashMap::new(), HashMap::new());
        f.applied.retain(|key| !key.starts_with(ORDER_FACT));
        f.applied_order.retain(|key| !key.starts_with(ORDER_FACT));
        for a in f.activity.values_mut().flat_map(BTreeMap::values_mut) {
            (a.new_customers, a.returning_customers, a.repeat_customers) = (0, 0, 0);
        }
        Ok(())
    }

    async fn rebuild(&self) -> anyhow::Result<Option<Rebuild>> {
        Ok(lock(&self.rebuild).clone())
    }

    async fn note_rebuild(&self, rebuild: &Rebuild) -> anyhow::Result<()> {
        *lock(&self.rebuild) = Some(rebuild.clone());
        Ok(())
    }
}
