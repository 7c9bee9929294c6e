//! The rollup store contract, run against the embedded store and MongoDB: a scenario of
//! orders over four days — two vendors, two currencies, known customers, a paid order
//! cancelled, one refunded after shipping, a declined checkout — whose every report equals
//! the figures worked out by hand below, to the minor unit; the same with every event
//! applied twice and each day's events in another order.

use std::sync::Arc;

use shop_analytics::{
    domain::{Activity, Change},
    domain::{Day, Dim},
    facts::{Fact, Sale, SaleLine, activity_change, fact_key, order_change},
    reports::{Interval, Range, RankBy, Reports, Scope},
    storage::{MemoryRollupStore, MongoRollupStore, RollupStore, Searched},
};
use shop_test_support::{mongo_url, require, unique};

fn line(product: &str, vendor: &str, quantity: i64, unit: i64) -> SaleLine {
    let categories: &[&str] = match product {
        "mug" => &["cups", "kitchen"],
        "pot" => &["pots", "kitchen"],
        _ => &["tea"],
    };
    SaleLine {
        product_id: product.into(),
        vendor_id: vendor.into(),
        category_ids: categories.iter().map(|c| (*c).to_owned()).collect(),
        name: format!("The {product}"),
        quantity,
        amount: quantity * unit,
    }
}

fn sale(id: &str, user: &str, currency: &str, lines: Vec<SaleLine>, charged: bool) -> Sale {
    Sale { order_id: id.into(), user_id: user.into(), currency: currency.into(), lines, charged }
}

const D1: Day = Day(20_000);

/// (day offset, fact, sale) in the order they happened.
fn history() -> Vec<(i32, Fact, Sale)> {
    let o1 = sale("o1", "alice", "USD", vec![line("mug", "v1", 2, 1000), line("tea", "v2", 1, 500)], true);
    let o2 = sale("o2", "bob", "EUR", vec![line("mug", "v1", 1, 900)], true);
    let o3 = sale("o3", "alice", "USD", vec![line("pot", "v1", 1, 3000)], true);
    let o4 = sale("o4", "carol", "USD", vec![line("tea", "v2", 4, 500)], true);
    let o5 = sale("o5", "dave", "USD", vec![line("mug", "v1", 1, 1000)], false);
    let o6 = sale("o6", "bob", "EUR", vec![line("tea", "v2", 2, 450)], true);
    vec![
        (0, Fact::Placed, o1.clone()),
        (0, Fact::Paid, o1),
        (0, Fact::Paid, o2),
        (1, Fact::Paid, o3.clone()),
        (1, Fact::Cancelled, o3),
        (1, Fact::Paid, o4.clone()),
        (2, Fact::Shipped, o4.clone()),
        (2, Fact::Placed, o5.clone()),
        (2, Fact::Cancelled, o5),
        (2, Fact::Paid, o6),
        (3, Fact::Refunded, o4),
    ]
}

/// Applies the history; `twice_and_shuffled`: each event twice, each day's in reverse.
async fn feed(store: &Arc<dyn RollupStore>, twice_and_shuffled: bool) {
    let mut changes: Vec<_> = history()
        .into_iter()
        .map(|(day, fact, sale)| (day, order_change(&fact_key(&sale.order_id, fact), fact, &sale, D1.plus(day))))
        .collect();
    if twice_and_shuffled {
        changes.sort_by_key(|(day, c)| (*day, std::cmp::Reverse(c.event_id.clone())));
        let again = changes.clone();
        changes.extend(again);
    }
    for (_, change) in &changes {
        store.apply(change).await.unwrap();
    }
}

fn range() -> Range {
    Range::new(D1, D1.plus(3)).unwrap()
}

async fn reports_equal_the_figures_worked_out_by_hand(store: Arc<dyn RollupStore>, twice: bool) {
    feed(&store, twice).await;
    let reports = Reports { store: store.clone() };
    let shop = reports.summary(&Scope::Shop, range()).await.unwrap();
    let usd = shop.current["USD"];
    assert_eq!((usd.orders, usd.units, usd.gross), (3, 8, 7500), "o1, o3, o4");
    assert_eq!((usd.cancelled_orders, usd.cancellations, usd.refunded_orders, usd.refunds), (1, 3000, 1, 2000));
    assert_eq!((usd.net(), usd.aov(), usd.placed, usd.failed, usd.shipped), (2500, 2500, 2, 1, 1));
    let eur = shop.current["EUR"];
    assert_eq!((eur.orders, eur.units, eur.gross, eur.net(), eur.aov()), (2, 3, 1800, 1800, 900));
    assert!(shop.previous.is_empty(), "nothing before the first day");
    assert_eq!((shop.current_activity.new_customers, shop.current_activity.returning_customers), (3, 2));

    let v1 = reports.summary(&Scope::Vendor("v1".into()), range()).await.unwrap();
    let (usd, eur) = (v1.current["USD"], v1.current["EUR"]);
    assert_eq!((usd.orders, usd.units, usd.gross, usd.cancellations, usd.net()), (2, 3, 5000, 3000, 2000));
    assert_eq!((eur.orders, eur.gross), (1, 900));
    let v2 = reports.summary(&Scope::Vendor("v2".into()), range()).await.unwrap();
    let usd = v2.current["USD"];
    assert_eq!((usd.orders, usd.units, usd.gross, usd.refunds, usd.net()), (2, 5, 2500, 2000, 500));
    assert_eq!(v2.current["EUR"].gross, 900);

    // A later period: its previous period is the scenario's.
    let later = Range::new(D1.plus(4), D1.plus(7)).unwrap();
    let after = reports.summary(&Scope::Shop, later).await.unwrap();
    assert!(after.current.is_empty());
    assert_eq!(after.previous["USD"].net(), 2500);

    let days = reports.series(&Scope::Shop, range(), Interval::Day).await.unwrap();
    let usd: Vec<(i64, i64, i64, i64, i64)> = days
        .iter()
        .map(|(_, sums)| sums.get("USD").map(|c| (c.orders, c.gross, c.cancellations, c.refunds, c.shipped)))
        .map(Option::unwrap_or_default)
        .collect();
    assert_eq!(usd, [(1, 2500, 0, 0, 0), (2, 5000, 3000, 0, 0), (0, 0, 0, 0, 1), (0, 0, 0, 2000, 0)]);
    assert_eq!(days.iter().map(|(d, _)| *d).collect::<Vec<_>>(), [D1, D1.plus(1), D1.plus(2), D1.plus(3)]);
    let month = reports.series(&Scope::Shop, range(), Interval::Month).await.unwrap();
    let total: i64 = month.iter().filter_map(|(_, s)| s.get("USD")).map(|c| c.net()).sum();
    assert_eq!(total, 2500, "months sum to the range");

    let top = reports.top(&Scope::Shop, Dim::Product, range(), RankBy::Revenue, 10).await.unwrap();
    let usd: Vec<(&str, i64)> =
        top.iter().filter(|r| r.currency == "USD").map(|r| (r.id.as_str(), r.counters.net())).collect();
    assert_eq!(usd, [("mug", 2000), ("tea", 500), ("pot", 0)]);
    let by_units = reports.top(&Scope::Shop, Dim::Product, range(), RankBy::Units, 2).await.unwrap();
    let usd: Vec<(&str, i64)> =
        by_units.iter().filter(|r| r.currency == "USD").map(|r| (r.id.as_str(), r.counters.units)).collect();
    assert_eq!(usd, [("tea", 5), ("mug", 2)], "at most the limit");
    let theirs = reports.top(&Scope::Vendor("v2".into()), Dim::Product, range(), RankBy::Revenue, 10).await.unwrap();
    assert!(theirs.iter().all(|r| r.id == "tea"), "a vendor's top products are its own: {theirs:?}");
    let names = store.products(&["mug".into(), "nope".into()]).await.unwrap();
    assert_eq!((names.len(), names[0].name.as_str(), names[0].vendor_id.as_str()), (1, "The mug", "v1"));

    let categories = reports.top(&Scope::Shop, Dim::Category, range(), RankBy::Revenue, 10).await.unwrap();
    let usd: Vec<(&str, i64, i64)> = categories
        .iter()
        .filter(|r| r.currency == "USD")
        .map(|r| (r.id.as_str(), r.counters.orders, r.counters.net()))
        .collect();
    assert_eq!(usd, [("cups", 1, 2000), ("kitchen", 2, 2000), ("tea", 2, 500), ("pots", 1, 0)]);

    let customers = reports.customers(&Scope::Shop, range()).await.unwrap();
    assert_eq!((customers.new, customers.returning, customers.customers, customers.repeat), (3, 2, 3, 2));
    let theirs = reports.customers(&Scope::Vendor("v1".into()), range()).await.unwrap();
    assert_eq!((theirs.new, theirs.returning, theirs.customers, theirs.repeat), (2, 1, 2, 1));
    let first_day = reports.customers(&Scope::Shop, Range::new(D1, D1).unwrap()).await.unwrap();
    assert_eq!((first_day.new, first_day.customers, first_day.repeat), (2, 2, 0));

    let signup = activity_change("signup:u", D1, &[""], Activity { signups: 1, ..Activity::default() });
    store.apply(&signup).await.unwrap();
    store.clear_orders().await.unwrap();
    let cleared = reports.summary(&Scope::Shop, range()).await.unwrap();
    assert!(cleared.current.is_empty(), "the figures of orders are gone");
    assert_eq!((cleared.current_activity.signups, cleared.current_activity.new_customers), (1, 0), "sign-ups stay");
    assert!(!store.apply(&signup).await.unwrap(), "and so does what was counted of them");
    feed(&store, false).await;
    let again = reports.summary(&Scope::Shop, range()).await.unwrap();
    assert_eq!((again.current["USD"].net(), again.current_activity.new_customers), (2500, 3), "counted again");
}

async fn a_change_is_applied_once(store: Arc<dyn RollupStore>) {
    let change = order_change("same", Fact::Paid, &history()[1].2, D1);
    assert!(store.apply(&change).await.unwrap());
    assert!(!store.apply(&change).await.unwrap(), "the second delivery adds nothing");
    // Many deliveries at once: one applies.
    let tries = (0..8).map(|_| {
        let (store, change) = (store.clone(), order_change("racing", Fact::Paid, &history()[1].2, D1));
        tokio::spawn(async move { store.apply(&change).await.unwrap() })
    });
    let mut applied = 0;
    for t in tries {
        applied += usize::from(t.await.unwrap());
    }
    assert_eq!(applied, 1);
    let summary = Reports { store }.summary(&Scope::Shop, Range::new(D1, D1).unwrap()).await.unwrap();
    assert_eq!(summary.current["USD"].orders, 2);
}

async fn visitors_count_once_a_day_and_batches_once(store: Arc<dyn RollupStore>) {
    let visit = |key: &str, visitor: &str, day: Day, searches: Vec<(String, bool)>| Change {
        activity: vec![(
            String::new(),
            Activity { product_views: 1, searches: searches.len() as i64, ..Activity::default() },
        )],
        visitor: Some((visitor.to_owned(), vec![String::new(), "v1".to_owned()])),
        searches,
        ..Change::new(key, day)
    };
    let green = || vec![("green tea".to_owned(), true)];
    assert!(store.apply(&visit("visit:1", "a", D1, green())).await.unwrap());
    assert!(!store.apply(&visit("visit:1", "a", D1, green())).await.unwrap(), "a batch once");
    store.apply(&visit("visit:2", "a", D1, vec![("kettle".to_owned(), false)])).await.unwrap();
    store.apply(&visit("visit:3", "b", D1, green())).await.unwrap();
    store.apply(&visit("visit:4", "a", D1.plus(1), vec![])).await.unwrap();
    let reports = Reports { store: store.clone() };
    let seen = reports.activity(&Scope::Shop, Range::new(D1, D1).unwrap()).await.unwrap();
    assert_eq!((seen.visitors, seen.product_views, seen.searches), (2, 3, 3), "a and b on the first day");
    let vendor = reports.activity(&Scope::Vendor("v1".into()), range()).await.unwrap();
    assert_eq!(vendor.visitors, 3, "a twice (two days), b once");
    let not_found = store.searches(D1, D1.plus(3), 10, true).await.unwrap();
    assert_eq!(not_found, [Searched { query: "green tea".into(), times: 2, empty: 2 }]);
    let top = store.searches(D1, D1.plus(3), 1, false).await.unwrap();
    assert_eq!(top, [Searched { query: "green tea".into(), times: 2, empty: 2 }], "at most the limit");
    store.clear_orders().await.unwrap();
    assert_eq!(store.searches(D1, D1, 10, false).await.unwrap().len(), 2, "a rebuild keeps what visitors did");
}

mod memory {
    use super::*;

    fn store() -> Arc<dyn RollupStore> {
        Arc::new(MemoryRollupStore::default())
    }

    shop_test_support::contract_tests!(
        reports_equal_the_figures_worked_out_by_hand(store(), false),
        a_change_is_applied_once(store()),
        visitors_count_once_a_day_and_batches_once(store()),
    );

    #[tokio::test]
    async fn the_same_with_every_event_twice_and_out_of_order_within_its_day() {
        super::reports_equal_the_figures_worked_out_by_hand(store(), true).await;
    }
}

mod mongo {
    use super::*;

    async fn store() -> Arc<dyn RollupStore> {
        require("MongoDB", &mongo_url());
        shop_storage::serialize_transactions();
        let db = shop_storage::connect(&mongo_url(), &unique("analytics")).await.unwrap();
        Arc::new(MongoRollupStore::open(&db).await.unwrap())
    }

    shop_test_support::contract_tests!(
        reports_equal_the_figures_worked_out_by_hand(store().await, false),
        a_change_is_applied_once(store().await),
        visitors_count_once_a_day_and_batches_once(store().await),
    );

    #[tokio::test]
    async fn the_same_with_every_event_twice_and_out_of_order_within_its_day() {
        super::reports_equal_the_figures_worked_out_by_hand(store().await, true).await;
    }
}
