//! What analytics counts: figures per day in the shop's time zone, per key — the shop, a
//! vendor, a product, a category — and currency. An order adds to the keys of its lines
//! on the day it was paid; a cancellation or refund is an adjustment dated the day it
//! happened, so a closed day's figures never change and every report is a sum of days.

use jiff::{Span, Timestamp, Unit, civil::Date, tz::TimeZone};
use serde::{Deserialize, Serialize};

/// A day in the shop's time zone, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Day(pub i32);

const EPOCH: Date = Date::constant(1970, 1, 1);

impl Day {
    pub fn of(date: Date) -> Self {
        Self(EPOCH.until((Unit::Day, date)).map_or(0, |s| s.get_days()))
    }

    pub fn date(self) -> Date {
        EPOCH.checked_add(Span::new().days(self.0)).unwrap_or(EPOCH)
    }

    /// `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Self> {
        let date: Date = s.parse().ok()?;
        (1970..=9000).contains(&date.year()).then(|| Self::of(date))
    }

    /// The Monday of its week.
    pub fn week(self) -> Self {
        Self(self.0 - i32::from(self.date().weekday().to_monday_zero_offset()))
    }

    /// The first of its month.
    pub fn month(self) -> Self {
        Self::of(self.date().first_of_month())
    }

    pub fn plus(self, days: i32) -> Self {
        Self(self.0 + days)
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.date())
    }
}

/// The shop's calendar: which day an instant falls on.
#[derive(Debug, Clone)]
pub struct Calendar {
    zone: TimeZone,
}

impl Calendar {
    /// The calendar of an IANA time zone (`Europe/Berlin`, `UTC`).
    pub fn new(zone: &str) -> anyhow::Result<Self> {
        let zone = TimeZone::get(zone).map_err(|e| anyhow::anyhow!("time zone {zone}: {e}"))?;
        Ok(Self { zone })
    }

    /// The day of `unix_ms`.
    pub fn day_of(&self, unix_ms: i64) -> Day {
        let at = Timestamp::from_millisecond(unix_ms).unwrap_or(Timestamp::UNIX_EPOCH);
        Day::of(self.zone.to_datetime(at).date())
    }

    /// When `day` begins (Unix ms).
    pub fn start_of(&self, day: Day) -> i64 {
        let midnight = day.date().to_datetime(jiff::civil::Time::midnight());
        self.zone.to_ambiguous_timestamp(midnight).compatible().map_or(0, |t| t.as_millisecond())
    }

    /// Today.
    pub fn today(&self) -> Day {
        Day::of(self.zone.to_datetime(Timestamp::now()).date())
    }
}

/// Figures of a key on a day (or summed over days), in minor units of its currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Orders paid.
    pub orders: i64,
    /// Units in them.
    pub units: i64,
    /// What they came to.
    pub gross: i64,
    pub refunded_orders: i64,
    /// Money given back for orders refunded (after shipping, or by an admin).
    pub refunds: i64,
    pub cancelled_orders: i64,
    /// Money given back for paid orders cancelled before shipping.
    pub cancellations: i64,
    /// Checkouts placed (whether or not they went through).
    pub placed: i64,
    /// Checkouts that did not go through (declined, out of stock).
    pub failed: i64,
    pub shipped: i64,
}

impl Counters {
    pub fn add(&mut self, o: &Self) {
        self.orders += o.orders;
        self.units += o.units;
        self.gross += o.gross;
        self.refunded_orders += o.refunded_orders;
        self.refunds += o.refunds;
        self.cancelled_orders += o.cancelled_orders;
        self.cancellations += o.cancellations;
        self.placed += o.placed;
        self.failed += o.failed;
        self.shipped += o.shipped;
    }

    pub fn plus(&self, o: &Self) -> Self {
        let mut sum = *self;
        sum.add(o);
        sum
    }

    pub fn minus(&self, o: &Self) -> Self {
        Self {
            orders: self.orders - o.orders,
            units: self.units - o.units,
            gross: self.gross - o.gross,
            refunded_orders: self.refunded_orders - o.refunded_orders,
            refunds: self.refunds - o.refunds,
            cancelled_orders: self.cancelled_orders - o.cancelled_orders,
            cancellations: self.cancellations - o.cancellations,
            placed: self.placed - o.placed,
            failed: self.failed - o.failed,
            shipped: self.shipped - o.shipped,
        }
    }

    /// Gross less what was given back.
    pub fn net(&self) -> i64 {
        self.gross - self.refunds - self.cancellations
    }

    /// Average order value (gross per paid order, rounded half up); 0 without orders.
    pub fn aov(&self) -> i64 {
        if self.orders == 0 { 0 } else { (2 * self.gross + self.orders).div_euclid(2 * self.orders) }
    }

    /// The fields by name, as stores write them.
    pub fn fields(&self) -> [(&'static str, i64); 10] {
        [
            ("orders", self.orders),
            ("units", self.units),
            ("gross", self.gross),
            ("refunded_orders", self.refunded_orders),
            ("refunds", self.refunds),
            ("cancelled_orders", self.cancelled_orders),
            ("cancellations", self.cancellations),
            ("placed", self.placed),
            ("failed", self.failed),
            ("shipped", self.shipped),
        ]
    }
}

/// Figures of a scope on a day that have no currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// Accounts registered (the shop's scope only).
    pub signups: i64,
    /// Low-stock alerts raised.
    pub stock_low: i64,
    /// Customers whose first paid order (in the scope) was on the day.
    pub new_customers: i64,
    /// Customers who had ordered on an earlier day and ordered again on the day.
    pub returning_customers: i64,
    /// Customers whose second paid order was on the day (from then on, repeat customers).
    pub repeat_customers: i64,
    /// Storefront visitors (each once a day), and what they did.
    pub visitors: i64,
    pub product_views: i64,
    pub added_to_cart: i64,
    pub checkouts_started: i64,
    /// Searches, and those that found nothing (the shop's scope only).
    pub searches: i64,
    pub empty_searches: i64,
}

impl Activity {
    pub fn add(&mut self, o: &Self) {
        self.signups += o.signups;
        self.stock_low += o.stock_low;
        self.new_customers += o.new_customers;
        self.returning_customers += o.returning_customers;
        self.repeat_customers += o.repeat_customers;
        self.visitors += o.visitors;
        self.product_views += o.product_views;
        self.added_to_cart += o.added_to_cart;
        self.checkouts_started += o.checkouts_started;
        self.searches += o.searches;
        self.empty_searches += o.empty_searches;
    }

    pub fn fields(&self) -> [(&'static str, i64); 11] {
        [
            ("signups", self.signups),
            ("stock_low", self.stock_low),
            ("new_customers", self.new_customers),
            ("returning_customers", self.returning_customers),
            ("repeat_customers", self.repeat_customers),
            ("visitors", self.visitors),
            ("product_views", self.product_views),
            ("added_to_cart", self.added_to_cart),
            ("checkouts_started", self.checkouts_started),
            ("searches", self.searches),
            ("empty_searches", self.empty_searches),
        ]
    }

    /// The same figures from their names (absent: 0).
    pub fn from_fields(get: impl Fn(&str) -> i64) -> Self {
        Self {
            signups: get("signups"),
            stock_low: get("stock_low"),
            new_customers: get("new_customers"),
            returning_customers: get("returning_customers"),
            repeat_customers: get("repeat_customers"),
            visitors: get("visitors"),
            product_views: get("product_views"),
            added_to_cart: get("added_to_cart"),
            checkouts_started: get("checkouts_started"),
            searches: get("searches"),
            empty_searches: get("empty_searches"),
        }
    }
}

/// What a row of figures is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dim {
    /// Everything the scope sold.
    Total,
    Product,
    Category,
}

impl Dim {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Total => "total",
            Self::Product => "product",
            Self::Category => "category",
        }
    }
}

/// The shop's scope: figures of every vendor together.
pub const SHOP: &str = "";

/// A row's key: whose figures (`scope`: the shop, or a vendor's id), of what, in which
/// currency. A product's row is in its vendor's scope only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub scope: String,
    pub dim: Dim,
    /// The product or category id; empty for a total.
    pub id: String,
    pub currency: String,
}

/// A product as reports name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub vendor_id: String,
}

/// Everything one fact changes, applied at most once (by its key: what happened, not the
/// id of the event that said so).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub event_id: String,
    pub day: Day,
    /// Added to each key's row of the day.
    pub rows: Vec<(Key, Counters)>,
    /// Added to each scope's activity of the day.
    pub activity: Vec<(String, Activity)>,
    /// A paid order's customer, in each scope it bought in: counted new, returning or
    /// repeat there.
    pub customer: Option<(String, Vec<String>)>,
    /// Products named (the newest name wins).
    pub products: Vec<Product>,
    /// A storefront visitor (hashed, see `crate::behaviour`) seen on the day, in each of these
    /// scopes: counted once a day in each.
    pub visitor: Option<(String, Vec<String>)>,
    /// Searches as kept (see `crate::behaviour::kept_query`), and whether each found nothing.
    pub searches: Vec<(String, bool)>,
}

impl Change {
    /// A change that changes nothing yet, applied once as `key`, on `day`.
    pub fn new(key: &str, day: Day) -> Self {
        Self {
            event_id: key.to_owned(),
            day,
            rows: Vec::new(),
            activity: Vec::new(),
            customer: None,
            products: Vec::new(),
            visitor: None,
            searches: Vec::new(),
        }
    }
}

/// How the last rebuild of the figures went, or goes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rebuild {
    /// Unix ms.
    pub started_at: i64,
    /// Unix ms of its last progress; a rebuild whose replica died stops making any.
    pub updated_at: i64,
    pub finished_at: Option<i64>,
    pub orders: i64,
    pub facts: i64,
    pub error: Option<String>,
    pub started_by: String,
}

/// How a customer's order changes the customer figures of a scope, given what is known of
/// the customer there: (first day, last day, orders) before it.
pub fn customer_order(known: Option<(Day, Day, i64)>, day: Day) -> ((Day, Day, i64), Activity) {
    let mut counted = Activity::default();
    let Some((first, last, orders)) = known else {
        counted.new_customers = 1;
        return ((day, day, 1), counted);
    };
    if orders == 1 {
        counted.repeat_customers = 1;
    }
    if day > last {
        counted.returning_customers = 1;
    }
    ((first.min(day), last.max(day), orders + 1), counted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_weeks_and_months() {
        let day = Day::parse("2025-03-30").unwrap();
        assert_eq!(day.to_string(), "2025-03-30");
        assert_eq!(day.week().to_string(), "2025-03-24", "a Sunday's week began on Monday");
        assert_eq!(day.month().to_string(), "2025-03-01");
        assert_eq!(Day::parse("2025-02-30"), None);
        assert_eq!(Day::parse("yesterday"), None);
    }

    #[test]
    fn an_instant_falls_on_the_shops_day() {
        // 2025-03-30 23:30 UTC is already the 31st in Berlin (summer time, +2).
        let ms = 1_743_377_400_000;
        assert_eq!(Calendar::new("UTC").unwrap().day_of(ms).to_string(), "2025-03-30");
        assert_eq!(Calendar::new("Europe/Berlin").unwrap().day_of(ms).to_string(), "2025-03-31");
        assert!(Calendar::new("Mars/Olympus").is_err());
    }

    #[test]
    fn average_order_value_rounds_half_up() {
        let c = Counters { orders: 3, gross: 1000, ..Counters::default() };
        assert_eq!(c.aov(), 333);
        let c = Counters { orders: 2, gross: 1001, ..Counters::default() };
        assert_eq!(c.aov(), 501);
        assert_eq!(Counters::default().aov(), 0);
    }

    #[test]
    fn customers_are_new_once_returning_per_day_and_repeat_at_their_second_order() {
        let (d1, d2) = (Day(100), Day(101));
        let (known, c) = customer_order(None, d1);
        assert_eq!((c.new_customers, c.returning_customers, c.repeat_customers), (1, 0, 0));
        let (known, c) = customer_order(Some(known), d1);
        assert_eq!((c.new_customers, c.returning_customers, c.repeat_customers), (0, 0, 1), "second order, same day");
        let (known, c) = customer_order(Some(known), d2);
        assert_eq!((c.new_customers, c.returning_customers, c.repeat_customers), (0, 1, 0));
        let (_, c) = customer_order(Some(known), d2);
        assert_eq!(c, Activity::default(), "returning once a day");
    }
}
