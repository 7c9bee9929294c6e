//! Analytics in the fleet, through the gateway: a scenario of known orders published as
//! order events with fixed times (two vendors, two currencies, a paid order cancelled, one
//! refunded after shipping, a declined checkout; every event twice, each day's in reverse)
//! reads back through every report exactly as worked out by hand, on the shop's calendar
//! (Europe/Berlin); a vendor sees only its own figures, a customer none; and a real
//! checkout is counted for the shop, its vendor and its category with its parent.

use std::time::Duration;

use serde_json::{Value, json};
use shop_e2e::{
    Api,
    commerce::{self, add_to_cart, checkout, customer, key, product_in},
    fleet::{Fleet, Options},
};
use shop_messaging::{BusSettings, EventBus, RabbitBus, kind, new_event};
use shop_proto::{
    Timestamp,
    common::v1::Money,
    events::v1::{OrderEvent, OrderLineRef},
};
use shop_test_support::eventually;

/// (product, vendor index, quantity, unit price).
type Line = (&'static str, usize, i64, i64);

fn event(order: &str, user: &str, currency: &str, lines: &[Line], vendors: &[String], charged: bool) -> OrderEvent {
    let lines: Vec<OrderLineRef> = lines
        .iter()
        .map(|(product, vendor, quantity, unit)| OrderLineRef {
            sku: product.to_uppercase(),
            quantity: *quantity,
            product_id: (*product).to_owned(),
            vendor_id: vendors[*vendor].clone(),
            category_ids: match *product {
                "mug" => vec!["cups".into(), "kitchen".into()],
                "pot" => vec!["pots".into(), "kitchen".into()],
                _ => vec!["tea".into()],
            },
            name: format!("The {product}"),
            amount: quantity * unit,
        })
        .collect();
    let total = lines.iter().map(|l| l.amount).sum();
    OrderEvent {
        // An id of the order's shape that order does not know: other consumers skip it.
        order_id: format!("00000000-0000-7000-8000-00000000000{}", &order[1..]),
        user_id: user.into(),
        lines,
        total: Some(Money { amount: total, currency: currency.into() }),
        charged,
        ..OrderEvent::default()
    }
}

/// Seconds of 2025-03-03 00:00 in Berlin (23:00 UTC the day before), plus `day` days and
/// `hour` hours.
fn at(day: i64, hour: i64) -> Timestamp {
    Timestamp { seconds: 1_740_956_400 + day * 86_400 + hour * 3600, nanos: 0 }
}

/// The scenario's events, each day's in reverse, every one published twice.
async fn publish_scenario(vendors: &[String]) {
    let v = vendors;
    let o1 = event("o1", "alice", "USD", &[("mug", 0, 2, 1000), ("tea", 1, 1, 500)], v, true);
    let o2 = event("o2", "bob", "EUR", &[("mug", 0, 1, 900)], v, true);
    let o3 = event("o3", "alice", "USD", &[("pot", 0, 1, 3000)], v, true);
    let o4 = event("o4", "carol", "USD", &[("tea", 1, 4, 500)], v, true);
    let o5 = event("o5", "dave", "USD", &[("mug", 0, 1, 1000)], v, false);
    let o6 = event("o6", "bob", "EUR", &[("tea", 1, 2, 450)], v, true);
    let happened = [
        // 23:30 in Berlin on the first day is still that day (22:30 UTC).
        vec![
            (kind::ORDER_PLACED, &o1, at(0, 9)),
            (kind::ORDER_PAID, &o1, at(0, 9)),
            (kind::ORDER_PAID, &o2, at(0, 23)),
        ],
        vec![
            (kind::ORDER_PAID, &o3, at(1, 8)),
            (kind::ORDER_CANCELLED, &o3, at(1, 9)),
            (kind::ORDER_PAID, &o4, at(1, 10)),
        ],
        vec![
            (kind::ORDER_SHIPPED, &o4, at(2, 1)),
            (kind::ORDER_PLACED, &o5, at(2, 2)),
            (kind::ORDER_CANCELLED, &o5, at(2, 2)),
            (kind::ORDER_PAID, &o6, at(2, 3)),
        ],
        vec![(kind::ORDER_REFUNDED, &o4, at(3, 12))],
    ];
    let bus = RabbitBus::new(&shop_test_support::amqp_url(), BusSettings::default());
    let mut envelopes = Vec::new();
    for day in happened {
        for (kind, order, when) in day.into_iter().rev() {
            envelopes.push(new_event(kind, "order", &OrderEvent { at: Some(when), ..order.clone() }));
        }
    }
    for envelope in envelopes.iter().chain(&envelopes) {
        bus.publish(envelope).await.unwrap();
    }
}

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
/// its cancellation an adjustment on the same day.
async fn a_real_checkout_is_counted(api: &Api, admin: &str) {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shops_figures_read_as_worked_out_by_hand_for_admins_and_each_vendor() {
    let _one = Fleet::exclusive().await;
    let options = Options {
        no_demo_data: true,
        env: vec![("analytics", "SHOP_TIME_ZONE", "Europe/Berlin".to_owned())],
        ..Options::default()
    };
    let fleet = Fleet::start(options).await;
    let (api, admin) = (&fleet.api, fleet.admin().await);
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
    a_real_checkout_is_counted(api, &admin).await;
    fleet.stop(&[]);
}
