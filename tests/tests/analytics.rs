//! Analytics in the fleet, through the gateway: a scenario of known orders published as
//! order events with fixed times (two vendors, two currencies, a paid order cancelled, one
//! refunded after shipping, a declined checkout; every event twice, each day's in reverse)
//! reads back through every report exactly as worked out by hand, on the shop's calendar
//! (Europe/Berlin); a vendor sees only its own figures, a customer none; a real checkout is
//! counted for the shop, its vendor and its category with its parent; and after the
//! analytics database is dropped, a rebuild from the orders gives the same figures back.

use std::time::Duration;

use serde_json::{Value, json};
use shop_e2e::{
    Api,
    commerce::{self, add_to_cart, checkout, customer, key, product_in},
    fleet::{Fleet, Options},
};
use shop_test_support::eventually;

#[path = "analytics/behaviour.rs"]
mod behaviour;
#[path = "analytics/export.rs"]
mod export;
#[path = "analytics/scenario.rs"]
mod scenario;
use scenario::publish_scenario;

const RANGE: &str = "from=2025-03-03&to=2025-03-06";

async fn report(api: &Api, token: &str, path: &str, query: &str) -> Value {
    let reply = api.get(&format!("/api/v1/admin/analytics/{path}?{query}"), Some(token)).await;
    assert_eq!(reply.status, 200, "{path}?{query}: {}", reply.text);
    reply.body
}

fn currency<'a>(summary: &'a Value, code: &str) -> &'a Value {
    summary["currencies"].as_array().unwrap().iter().find(|c| c["currency"] == code).unwrap_or(&Value::Null)
}

/// Every report of the scenario, as worked out by hand.
async fn reports_read_as_worked_out(api: &Api, admin: &str, vendors: &[(String, String)]) {
    let summary = report(api, admin, "summary", RANGE).await;
    assert_eq!(
        (summary["previous_from"].as_str(), summary["previous_to"].as_str()),
        (Some("2025-02-27"), Some("2025-03-02"))
    );
    let usd = &currency(&summary, "USD")["current"];
    assert_eq!(
        usd,
        &json!({"currency": "USD", "orders": 3, "units": 8, "gross": 7500, "refunded_orders": 1, "refunds": 2000,
            "cancelled_orders": 1, "cancellations": 3000, "net": 2500, "average_order_value": 2500,
            "placed": 2, "failed": 1, "shipped": 1})
    );
    assert_eq!(currency(&summary, "USD")["change"]["net"], Value::Null, "no previous period to compare");
    let eur = &currency(&summary, "EUR")["current"];
    assert_eq!((&eur["orders"], &eur["gross"], &eur["average_order_value"]), (&json!(2), &json!(1800), &json!(900)));
    assert_eq!(
        (&summary["activity"]["new_customers"], &summary["activity"]["returning_customers"]),
        (&json!(3), &json!(2))
    );

    let series = report(api, admin, "series", RANGE).await;
    let usd_days: Vec<(String, Value)> = series["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let usd = p["figures"].as_array().unwrap().iter().find(|f| f["currency"] == "USD").cloned();
            let usd = usd.unwrap_or(Value::Null);
            (
                p["start"].as_str().unwrap().to_owned(),
                json!([usd["orders"], usd["gross"], usd["cancellations"], usd["refunds"]]),
            )
        })
        .collect();
    let expected = [
        ("2025-03-03", json!([1, 2500, 0, 0])),
        ("2025-03-04", json!([2, 5000, 3000, 0])),
        // Shipped, and a declined checkout: no money moved.
        ("2025-03-05", json!([0, 0, 0, 0])),
        ("2025-03-06", json!([0, 0, 0, 2000])),
    ];
    assert_eq!(usd_days, expected.map(|(d, v)| (d.to_owned(), v)));
    let weeks = report(api, admin, "series", &format!("{RANGE}&interval=week")).await;
    assert_eq!(weeks["points"].as_array().unwrap().len(), 1, "2025-03-03 is a Monday: one week");

    let top = report(api, admin, "top-products", RANGE).await;
    let usd: Vec<(&str, &str, i64)> = top["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["currency"] == "USD")
        .map(|i| (i["id"].as_str().unwrap(), i["name"].as_str().unwrap(), i["net"].as_i64().unwrap()))
        .collect();
    assert_eq!(usd, [("mug", "The mug", 2000), ("tea", "The tea", 500), ("pot", "The pot", 0)]);
    let by_units = report(api, admin, "top-products", &format!("{RANGE}&by=units&limit=1")).await;
    let first: Vec<(&str, i64)> = by_units["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["currency"].as_str().unwrap(), i["units"].as_i64().unwrap()))
        .collect();
    assert_eq!(first, [("EUR", 2), ("USD", 5)], "one per currency: tea in both");
    let categories = report(api, admin, "top-categories", RANGE).await;
    let usd: Vec<(&str, i64)> = categories["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["currency"] == "USD")
        .map(|i| (i["id"].as_str().unwrap(), i["net"].as_i64().unwrap()))
        .collect();
    assert_eq!(usd, [("cups", 2000), ("kitchen", 2000), ("tea", 500), ("pots", 0)]);
    let customers = report(api, admin, "customers", RANGE).await;
    assert_eq!(
        (
            &customers["new_customers"],
            &customers["returning_customers"],
            &customers["customers"],
            &customers["repeat_customers"]
        ),
        (&json!(3), &json!(2), &json!(3), &json!(2))
    );
    assert_eq!(customers["repeat_rate"], 66.66);

    // A vendor's own figures, whoever asks for them.
    let (v1_id, v1_token) = &vendors[0];
    let own = report(api, v1_token, "summary", RANGE).await;
    let usd = &currency(&own, "USD")["current"];
    assert_eq!(
        (&usd["orders"], &usd["units"], &usd["gross"], &usd["cancellations"], &usd["net"]),
        (&json!(2), &json!(3), &json!(5000), &json!(3000), &json!(2000))
    );
    let as_admin = report(api, admin, "summary", &format!("{RANGE}&vendor_id={v1_id}")).await;
    assert_eq!(as_admin, own, "an admin reads a vendor's figures as the vendor does");
    let (v2_id, v2_token) = &vendors[1];
    let snooping = report(api, v2_token, "summary", &format!("{RANGE}&vendor_id={v1_id}")).await;
    assert_eq!(currency(&snooping, "USD")["current"]["net"], 500, "a vendor naming another gets its own");
    let theirs = report(api, v2_token, "top-products", RANGE).await;
    assert!(
        theirs["items"].as_array().unwrap().iter().all(|i| i["id"] == "tea" && i["vendor_id"] == v2_id.as_str()),
        "{theirs}"
    );
    let v1_customers = report(api, v1_token, "customers", RANGE).await;
    assert_eq!((&v1_customers["new_customers"], &v1_customers["repeat_customers"]), (&json!(2), &json!(1)));
}

/// Who may read what, and what a bad request gets.
async fn doors(api: &Api) {
    let shopper = customer(api).await;
    for path in ["summary", "series", "top-products", "top-categories", "customers"] {
        let url = format!("/api/v1/admin/analytics/{path}?{RANGE}");
        assert_eq!(api.get(&url, Some(&shopper)).await.status, 403, "{path}: a customer");
        assert_eq!(api.get(&url, None).await.status, 401, "{path}: nobody");
    }
    let admin = api.login(shop_e2e::fleet::ADMIN_EMAIL, shop_e2e::fleet::ADMIN_PASSWORD).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for query in [
        "from=2025-03-31&to=2025-03-01",
        "from=2025-02-30",
        "from=yesterday",
        "from=2020-01-01&to=2025-01-01",
        "interval=hour",
        "by=price",
        "limit=101",
        "limit=0",
        "nonsense=1",
    ] {
        let path = if query.starts_with("interval") {
            "series"
        } else if query.starts_with("by") || query.starts_with("limit") {
            "top-products"
        } else {
            "summary"
        };
        let reply = api.get(&format!("/api/v1/admin/analytics/{path}?{query}"), Some(&admin)).await;
        assert_eq!(reply.status, 400, "{path}?{query}: {}", reply.text);
    }
    let today = report(api, &admin, "summary", "").await;
    assert!(today["to"].is_string() && today["from"].is_string(), "the last 30 days by default: {today}");
}

/// A real checkout: counted for the shop, its vendor, its category and the parent of it;
/// its cancellation an adjustment on the same day. Then two more orders, one shipped and
/// refunded: the seller's token.
async fn a_real_checkout_is_counted(api: &Api, admin: &str) -> String {
    let parent = api
        .post("/api/v1/categories", Some(admin), json!({"name": "Analytics Kitchen", "slug": "analytics-kitchen"}))
        .await;
    assert_eq!(parent.status, 201, "{}", parent.text);
    let parent_id = parent.body["id"].as_str().unwrap().to_owned();
    let child = json!({"name": "Analytics Kettles", "slug": "analytics-kettles", "parent_id": parent_id});
    let child = api.post("/api/v1/categories", Some(admin), child).await;
    assert_eq!(child.status, 201, "{}", child.text);
    let child_id = child.body["id"].as_str().unwrap().to_owned();
    let seller = commerce::vendor(api, admin).await;
    let sku = product_in(api, &seller, 1999, 10, Some(&child_id)).await;
    let buyer = customer(api).await;
    add_to_cart(api, &buyer, &sku, 2).await;
    let placed = checkout(api, &buyer, &key(), "tok_visa").await;
    assert_eq!(placed.status, 201, "{}", placed.text);
    let counted = eventually(Duration::from_secs(30), || async {
        let own = report(api, &seller, "summary", "").await;
        currency(&own, "USD")["current"]["gross"] == 3998
    })
    .await;
    assert!(counted, "the vendor's sale is counted: {}", report(api, &seller, "summary", "").await);
    // Names of categories made moments ago are read from catalog within seconds.
    let named = eventually(Duration::from_secs(10), || async {
        let items = report(api, admin, "top-categories", "limit=100").await;
        items["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["name"].as_str().unwrap().starts_with("Analytics "))
            .count()
            == 2
    })
    .await;
    let categories = report(api, admin, "top-categories", "limit=100").await;
    assert!(named, "{categories}");
    for id in [&child_id, &parent_id] {
        let found = categories["items"].as_array().unwrap().iter().find(|i| i["id"] == id.as_str());
        let found = found.unwrap_or_else(|| panic!("category {id} in {categories}"));
        assert_eq!(found["gross"], 3998, "{found}");
        assert!(found["name"].as_str().unwrap().starts_with("Analytics "), "named from catalog: {found}");
    }
    let id = placed.body["id"].as_str().unwrap();
    let cancelled = api.post(&format!("/api/v1/orders/{id}/cancel"), Some(&buyer), json!({})).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    let adjusted = eventually(Duration::from_secs(30), || async {
        let own = report(api, &seller, "summary", "").await;
        let usd = &currency(&own, "USD")["current"];
        usd["cancellations"] == 3998 && usd["net"] == 0
    })
    .await;
    assert!(adjusted, "the cancellation is an adjustment: {}", report(api, &seller, "summary", "").await);
    for refund in [false, true] {
        add_to_cart(api, &buyer, &sku, 1).await;
        let placed = checkout(api, &buyer, &key(), "tok_visa").await;
        assert_eq!(placed.status, 201, "{}", placed.text);
        if refund {
            let id = placed.body["id"].as_str().unwrap();
            let shipped = api.post(&format!("/api/v1/admin/orders/{id}/ship"), Some(admin), json!({})).await;
            assert_eq!(shipped.status, 200, "{}", shipped.text);
            let refunded = api.post(&format!("/api/v1/admin/orders/{id}/refund"), Some(admin), json!({})).await;
            assert_eq!(refunded.status, 200, "{}", refunded.text);
        }
    }
    let settled = eventually(Duration::from_secs(30), || async {
        let summary = report(api, &seller, "summary", "").await;
        let usd = &currency(&summary, "USD")["current"];
        usd["orders"] == 3 && usd["refunds"] == 1999 && usd["shipped"] == 1
    })
    .await;
    assert!(settled, "{}", report(api, &seller, "summary", "").await);
    seller
}

/// Every report of the seller, and the shop's summary, of the last 30 days.
async fn live_figures(api: &Api, admin: &str, seller: &str) -> Vec<Value> {
    let mut figures = Vec::new();
    for path in ["summary", "series", "top-products", "top-categories", "customers"] {
        figures.push(report(api, seller, path, "").await);
    }
    figures.push(report(api, admin, "summary", "").await);
    figures
}

/// Rebuilds, and waits for it to finish: its status.
async fn rebuild(api: &Api, admin: &str) -> Value {
    let started = api.post("/api/v1/admin/analytics/rebuild", Some(admin), json!({})).await;
    assert_eq!(started.status, 202, "{}", started.text);
    let done = eventually(Duration::from_secs(60), || async {
        let status = api.get("/api/v1/admin/analytics/rebuild", Some(admin)).await.body;
        status["running"] == false && status["finished_at"].is_string()
    })
    .await;
    let status = api.get("/api/v1/admin/analytics/rebuild", Some(admin)).await.body;
    assert!(done && status["error"].is_null(), "{status}");
    status
}

/// A rebuild while the figures are there gives them back as they were; so does one after
/// the analytics database was dropped and the service restarted — but for sign-ups and
/// low-stock alerts, which orders cannot tell again.
async fn a_rebuild_recovers_the_figures(fleet: &mut Fleet, admin: &str, seller: &str) {
    let customer = customer(&fleet.api).await;
    let before = live_figures(&fleet.api, admin, seller).await;
    let status = rebuild(&fleet.api, admin).await;
    assert!(status["orders"].as_i64().unwrap() >= 3 && status["facts"].as_i64().unwrap() >= 9, "{status}");
    assert_eq!(live_figures(&fleet.api, admin, seller).await, before, "rebuilt over live figures: the same");
    let db = shop_storage::connect(&shop_test_support::mongo_url(), &format!("{}_analytics", fleet.run)).await.unwrap();
    db.drop().await.unwrap();
    fleet.restart("analytics").await;
    let api = &fleet.api;
    let lost = report(api, seller, "summary", "").await;
    assert!(lost["currencies"].as_array().unwrap().is_empty(), "the figures are gone: {lost}");
    let never = api.get("/api/v1/admin/analytics/rebuild", Some(admin)).await;
    assert_eq!((never.status, &never.body["started"]), (200, &json!(false)), "{}", never.text);
    assert_eq!(api.post("/api/v1/admin/analytics/rebuild", Some(&customer), json!({})).await.status, 403);
    assert_eq!(api.post("/api/v1/admin/analytics/rebuild", Some(seller), json!({})).await.status, 403);
    rebuild(api, admin).await;
    let without_activity = |mut figures: Vec<Value>| {
        for summary in figures.iter_mut().filter(|f| f.get("activity").is_some()) {
            summary["activity"]["signups"] = json!(0);
            summary["activity"]["stock_low_alerts"] = json!(0);
        }
        figures
    };
    let rebuilt = live_figures(api, admin, seller).await;
    for (now, then) in rebuilt.iter().zip(without_activity(before)) {
        assert_eq!(now.to_string(), then.to_string(), "rebuilt figures equal the live ones");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shops_figures_read_as_worked_out_by_hand_for_admins_and_each_vendor() {
    let _one = Fleet::exclusive().await;
    let options = Options {
        no_demo_data: true,
        env: vec![("analytics", "SHOP_TIME_ZONE", "Europe/Berlin".to_owned())],
        ..Options::default()
    };
    let mut fleet = Fleet::start(options).await;
    let admin = fleet.admin().await;
    let api = &fleet.api;
    let mut vendors = Vec::new();
    for _ in 0..2 {
        let token = commerce::vendor(api, &admin).await;
        let id = api.get("/api/v1/me", Some(&token)).await.body["id"].as_str().unwrap().to_owned();
        vendors.push((id, token));
    }
    let ids: Vec<String> = vendors.iter().map(|(id, _)| id.clone()).collect();
    publish_scenario(&ids).await;
    let settled = eventually(Duration::from_secs(30), || async {
        let s = report(api, &admin, "summary", RANGE).await;
        currency(&s, "USD")["current"]["refunds"] == 2000 && currency(&s, "EUR")["current"]["orders"] == 2
    })
    .await;
    assert!(settled, "the scenario arrived: {}", report(api, &admin, "summary", RANGE).await);
    // Every event came twice: give the repeats time to (not) count.
    tokio::time::sleep(Duration::from_secs(2)).await;
    reports_read_as_worked_out(api, &admin, &vendors).await;
    doors(api).await;
    let seller = a_real_checkout_is_counted(api, &admin).await;
    behaviour::behaviour_is_counted_once_and_nothing_personal_is_kept(api, &admin, &seller, &vendors[1].1).await;
    export::orders_are_exported_as_each_caller_may_see_them(api, &admin, &seller, &vendors[1].1).await;
    a_rebuild_recovers_the_figures(&mut fleet, &admin, &seller).await;
    fleet.stop(&[]);
}
