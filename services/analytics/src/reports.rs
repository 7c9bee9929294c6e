//! The reports, each a sum of daily rows over its range — so each costs the same however
//! many orders the shop has taken: a summary with the period before it, a series by day,
//! week or month, the top products and categories, and the customers.

use std::{collections::BTreeMap, sync::Arc};

use crate::{
    domain::{Activity, Counters, Day, Dim, SHOP},
    storage::{Query, RollupStore, Summed},
};

/// The longest range a report covers.
pub const MAX_DAYS: i32 = 731;

/// Days `from..=to` in the shop's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: Day,
    pub to: Day,
}

impl Range {
    /// A range of at most [`MAX_DAYS`] days; why not, otherwise.
    pub fn new(from: Day, to: Day) -> Result<Self, String> {
        if to < from {
            return Err("`to` is before `from`".into());
        }
        if to.0 - from.0 + 1 > MAX_DAYS {
            return Err(format!("a report covers at most {MAX_DAYS} days"));
        }
        Ok(Self { from, to })
    }

    /// As many days, just before this range.
    pub fn previous(self) -> Self {
        let days = self.to.0 - self.from.0 + 1;
        Self { from: self.from.plus(-days), to: self.from.plus(-1) }
    }
}

/// Whose figures: the shop's, or one vendor's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Shop,
    Vendor(String),
}

impl Scope {
    fn key(&self) -> &str {
        match self {
            Self::Shop => SHOP,
            Self::Vendor(id) => id,
        }
    }
}

/// Periods a series is summed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Day,
    Week,
    Month,
}

impl Interval {
    fn start(self, day: Day) -> Day {
        match self {
            Self::Day => day,
            Self::Week => day.week(),
            Self::Month => day.month(),
        }
    }

    fn next(self, start: Day) -> Day {
        match self {
            Self::Day => start.plus(1),
            Self::Week => start.plus(7),
            Self::Month => start.plus(32).month(),
        }
    }
}

/// What top lists rank by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankBy {
    Revenue,
    Units,
}

/// Figures of a range and of the period before it, per currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub current: BTreeMap<String, Counters>,
    pub previous: BTreeMap<String, Counters>,
    pub current_activity: Activity,
    pub previous_activity: Activity,
}

/// One entry of a top list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    pub id: String,
    pub currency: String,
    pub counters: Counters,
}

/// Visitors → product views → added to cart → checkouts started → orders paid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Funnel {
    pub visitors: i64,
    pub product_views: i64,
    pub added_to_cart: i64,
    pub checkouts_started: i64,
    pub orders_paid: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Customers {
    pub new: i64,
    pub returning: i64,
    /// With a paid order by the end of the range.
    pub customers: i64,
    /// With two or more by then.
    pub repeat: i64,
    pub previous_new: i64,
    pub previous_returning: i64,
}

pub struct Reports {
    pub store: Arc<dyn RollupStore>,
}

fn per_currency(rows: Vec<Summed>) -> BTreeMap<String, Counters> {
    let mut sums: BTreeMap<String, Counters> = BTreeMap::new();
    for row in rows {
        sums.entry(row.currency).or_default().add(&row.counters);
    }
    sums
}

impl Reports {
    async fn totals(&self, scope: &Scope, range: Range, by_day: bool) -> anyhow::Result<Vec<Summed>> {
        let query = Query { scope: Some(scope.key()), dim: Dim::Total, from: range.from, to: range.to, by_day };
        self.store.sum(&query).await
    }

    pub async fn activity(&self, scope: &Scope, range: Range) -> anyhow::Result<Activity> {
        let mut total = Activity::default();
        for (_, day) in self.store.activity(scope.key(), range.from, range.to).await? {
            total.add(&day);
        }
        Ok(total)
    }

    pub async fn summary(&self, scope: &Scope, range: Range) -> anyhow::Result<Summary> {
        let before = range.previous();
        Ok(Summary {
            current: per_currency(self.totals(scope, range, false).await?),
            previous: per_currency(self.totals(scope, before, false).await?),
            current_activity: self.activity(scope, range).await?,
            previous_activity: self.activity(scope, before).await?,
        })
    }

    /// Every period of the range (its first and last cut to the range), oldest first.
    pub async fn series(
        &self,
        scope: &Scope,
        range: Range,
        interval: Interval,
    ) -> anyhow::Result<Vec<(Day, BTreeMap<String, Counters>)>> {
        let mut periods: BTreeMap<Day, BTreeMap<String, Counters>> = BTreeMap::new();
        let mut start = interval.start(range.from);
        while start <= range.to {
            periods.insert(start.max(range.from), BTreeMap::new());
            start = interval.next(start);
        }
        for row in self.totals(scope, range, true).await? {
            let Some(day) = row.day else { continue };
            let period = interval.start(day).max(range.from);
            periods.entry(period).or_default().entry(row.currency).or_default().add(&row.counters);
        }
        Ok(periods.into_iter().collect())
    }

    /// The best `limit` of `dim` per currency: products (of every vendor, for the shop) or
    /// categories.
    pub async fn top(
        &self,
        scope: &Scope,
        dim: Dim,
        range: Range,
        by: RankBy,
        limit: usize,
    ) -> anyhow::Result<Vec<Ranked>> {
        let scope = match (scope, dim) {
            (Scope::Shop, Dim::Product) => None,
            (scope, _) => Some(scope.key()),
        };
        let query = Query { scope, dim, from: range.from, to: range.to, by_day: false };
        let mut ranked: Vec<Ranked> = self
            .store
            .sum(&query)
            .await?
            .into_iter()
            .map(|r| Ranked { id: r.id, currency: r.currency, counters: r.counters })
            .collect();
        let value = |r: &Ranked| match by {
            RankBy::Revenue => r.counters.net(),
            RankBy::Units => r.counters.units,
        };
        ranked.sort_by(|a, b| a.currency.cmp(&b.currency).then(value(b).cmp(&value(a))).then(a.id.cmp(&b.id)));
        let mut kept: BTreeMap<String, usize> = BTreeMap::new();
        ranked.retain(|r| {
            let n = kept.entry(r.currency.clone()).or_default();
            *n += 1;
            *n <= limit
        });
        Ok(ranked)
    }

    /// The funnel of a range: its steps as counted, and the orders paid (every currency).
    pub async fn funnel(&self, scope: &Scope, range: Range) -> anyhow::Result<Funnel> {
        let seen = self.activity(scope, range).await?;
        let paid = self.totals(scope, range, false).await?.iter().map(|r| r.counters.orders).sum();
        Ok(Funnel {
            visitors: seen.visitors,
            product_views: seen.product_views,
            added_to_cart: seen.added_to_cart,
            checkouts_started: if *scope == Scope::Shop { seen.checkouts_started } else { 0 },
            orders_paid: paid,
        })
    }

    pub async fn customers(&self, scope: &Scope, range: Range) -> anyhow::Result<Customers> {
        let now = self.activity(scope, range).await?;
        let before = self.activity(scope, range.previous()).await?;
        // Every customer ever counted, up to the range's end: a sum over days, not orders.
        let ever = self.activity(scope, Range { from: Day(0), to: range.to }).await?;
        Ok(Customers {
            new: now.new_customers,
            returning: now.returning_customers,
            customers: ever.new_customers,
            repeat: ever.repeat_customers,
            previous_new: before.new_customers,
            previous_returning: before.returning_customers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_bounded_and_know_their_previous_period() {
        let (from, to) = (Day::parse("2025-03-01").unwrap(), Day::parse("2025-03-31").unwrap());
        let range = Range::new(from, to).unwrap();
        let before = range.previous();
        assert_eq!((before.from.to_string(), before.to.to_string()), ("2025-01-29".into(), "2025-02-28".into()));
        assert!(Range::new(to, from).is_err());
        assert!(Range::new(from, from.plus(MAX_DAYS)).is_err());
        assert!(Range::new(from, from.plus(MAX_DAYS - 1)).is_ok());
    }

    #[test]
    fn periods_start_on_mondays_and_firsts() {
        let day = Day::parse("2025-03-05").unwrap();
        assert_eq!(Interval::Week.next(Interval::Week.start(day)).to_string(), "2025-03-10");
        assert_eq!(Interval::Month.next(Interval::Month.start(day)).to_string(), "2025-04-01");
        let jan31 = Day::parse("2025-01-31").unwrap();
        assert_eq!(Interval::Month.next(jan31.month()).to_string(), "2025-02-01");
    }
}
