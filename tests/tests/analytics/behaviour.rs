//! Storefront behaviour through `POST /api/v1/events`: batches counted once, visitors once a
//! day, nothing counted of a refused batch or for a browser that declines tracking, a flood
//! from one address limited; the funnel (the shop's and a vendor's) and the searches that
//! found nothing read back as sent.

use serde_json::{Value, json};
use shop_e2e::{Api, commerce::customer};

use super::report;

async fn send(api: &Api, batch: Value, headers: &[(&str, &str)]) -> shop_e2e::Reply {
    api.send_with(reqwest::Method::POST, "/api/v1/events", None, Some(batch), headers).await
}

fn batch(visitor: &str, id: &str, events: Value) -> Value {
    json!({"visitor_id": visitor, "batch_id": id, "events": events})
}

/// The funnel of today (the last 30 days: only today has any), as [visitors, views, added,
/// checkouts started, orders paid].
async fn funnel(api: &Api, token: &str) -> Value {
    let f = report(api, token, "funnel", "").await;
    let c = &f["current"];
    json!([c["visitors"], c["product_views"], c["added_to_cart"], c["checkouts_started"], c["orders_paid"]])
}

pub async fn behaviour_is_counted_once_and_nothing_personal_is_kept(api: &Api, admin: &str, seller: &str, other: &str) {
    let product = report(api, seller, "top-products", "").await["items"][0]["id"].as_str().unwrap().to_owned();
    let shop_before = funnel(api, admin).await;
    let orders_paid = shop_before[4].clone();
    assert_eq!(shop_before, json!([0, 0, 0, 0, orders_paid]), "nothing seen in the storefront yet");

    let (a, b, c) = ("visitor-aaaaaaaaaaaaaaaa", "visitor-bbbbbbbbbbbbbbbb", "visitor-cccccccccccccccc");
    let first = batch(
        a,
        "batch-a-000000000001",
        json!([
            {"type": "product_viewed", "product_id": product},
            {"type": "search_performed", "query": "Green  Tea", "results": 0},
            {"type": "search_performed", "query": "kettle", "results": 3},
            {"type": "search_performed", "query": "ada@example.com", "results": 0},
            {"type": "added_to_cart", "product_id": product},
            {"type": "checkout_started"},
        ]),
    );
    for _ in 0..2 {
        let sent = send(api, first.clone(), &[]).await;
        assert_eq!(sent.status, 204, "{}", sent.text);
    }
    let again = batch(a, "batch-a-000000000002", json!([{"type": "product_viewed", "product_id": product}]));
    assert_eq!(send(api, again, &[]).await.status, 204);
    let other_visitor = batch(
        b,
        "batch-b-000000000001",
        json!([
            {"type": "product_viewed", "product_id": product},
            {"type": "search_performed", "query": "green tea", "results": 0},
        ]),
    );
    assert_eq!(send(api, other_visitor, &[]).await.status, 204);
    // Browsers that decline tracking: answered alike, counted nowhere.
    for header in [("dnt", "1"), ("sec-gpc", "1")] {
        let declined = batch(c, "batch-c-000000000001", json!([{"type": "product_viewed", "product_id": product}]));
        assert_eq!(send(api, declined, &[header]).await.status, 204);
    }
    let long = "x".repeat(101);
    let many: Vec<Value> = (0..51).map(|_| json!({"type": "checkout_started"})).collect();
    // Over 16 KiB.
    let huge: Vec<Value> =
        (0..200).map(|_| json!({"type": "search_performed", "query": "y".repeat(100), "results": 1})).collect();
    let refused = [
        batch(c, "batch-c-000000000002", json!([{"type": "checkout_started"}, {"type": "page_scrolled"}])),
        batch(c, "batch-c-000000000003", json!([{"type": "product_viewed"}])),
        batch(c, "batch-c-000000000004", json!([{"type": "search_performed", "query": long, "results": 1}])),
        batch(c, "batch-c-000000000005", json!(many)),
        batch(c, "batch-c-000000000006", json!(huge)),
        batch(c, "batch-c-000000000007", json!([])),
        batch("short", "batch-c-000000000008", json!([{"type": "checkout_started"}])),
        batch(c, "batch-c-000000000009", json!([{"type": "checkout_started", "email": "ada@example.com"}])),
        json!({"visitor_id": c, "events": [{"type": "checkout_started"}]}),
        json!("not a batch"),
    ];
    for body in refused {
        let reply = send(api, body.clone(), &[]).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.text);
    }
    assert_eq!(funnel(api, admin).await, json!([2, 3, 1, 1, orders_paid]), "each batch once, each visitor once a day");
    let theirs = funnel(api, seller).await;
    assert_eq!(theirs, json!([2, 3, 1, 0, theirs[4]]), "the vendor's visitors and views of its product");
    let none = funnel(api, other).await;
    assert_eq!(none, json!([0, 0, 0, 0, none[4]]), "none of another vendor's");

    let searches = report(api, admin, "searches", "").await;
    assert_eq!((&searches["searches"], &searches["without_results"]), (&json!(4), &json!(3)), "{searches}");
    assert_eq!(searches["not_found"], json!([{"query": "green tea", "searches": 2, "without_results": 2}]));
    assert!(!searches.to_string().contains("ada@"), "an address is counted, not kept: {searches}");
    assert_eq!(api.get("/api/v1/admin/analytics/searches", Some(seller)).await.status, 403, "admins only");
    let shopper = customer(api).await;
    assert_eq!(api.get("/api/v1/admin/analytics/funnel", Some(&shopper)).await.status, 403);

    // A flood from one address is limited.
    let mut limited = false;
    for i in 0..40 {
        let flood = batch(c, &format!("batch-flood-{i:08}"), json!([{"type": "checkout_started"}]));
        let reply = send(api, flood, &[]).await;
        if reply.status == 429 {
            limited = true;
            break;
        }
        assert_eq!(reply.status, 204, "{}", reply.text);
    }
    assert!(limited, "a flood of batches is limited");
}
