//! The orders of a range as CSV through the gateway: the admin's every order, a vendor's
//! its own, another vendor's none, a customer's 403.

use shop_e2e::{Api, commerce::customer};

async fn csv(api: &Api, token: &str, query: &str) -> (u16, String) {
    let reply = api.get(&format!("/api/v1/admin/analytics/orders.csv?{query}"), Some(token)).await;
    (reply.status, reply.text)
}

/// The fleet's orders of today are the seller's three: cancelled, paid, refunded after
/// shipping (in the order they were placed).
pub async fn orders_are_exported_as_each_caller_may_see_them(api: &Api, admin: &str, seller: &str, other: &str) {
    let (status, all) = csv(api, admin, "").await;
    assert_eq!(status, 200, "{all}");
    let rows: Vec<Vec<&str>> = all.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0],
        [
            "order_id",
            "placed_at",
            "status",
            "customer_id",
            "currency",
            "units",
            "total",
            "paid_at",
            "shipped_at",
            "cancelled_at",
            "refunded_at"
        ]
    );
    let seen: Vec<(&str, &str, &str)> = rows[1..].iter().map(|r| (r[2], r[5], r[6])).collect();
    assert_eq!(seen, [("cancelled", "2", "3998"), ("paid", "1", "1999"), ("refunded", "1", "1999")], "{all}");
    let refunded = &rows[3];
    assert!(
        refunded[7..].iter().enumerate().all(|(i, at)| (i == 2) != at.ends_with('Z')),
        "paid, shipped, refunded: {refunded:?}"
    );
    assert!(rows[1][9].ends_with('Z') && rows[1][7].ends_with('Z'), "paid, then cancelled: {:?}", rows[1]);
    assert_eq!(csv(api, seller, "").await, (200, all.clone()), "the seller's own orders are all of them");
    let (status, none) = csv(api, other, "").await;
    assert_eq!((status, none.lines().count()), (200, 1), "another vendor: the header only");
    let (_, before) = csv(api, admin, "from=2025-03-03&to=2025-03-06").await;
    assert_eq!(before.lines().count(), 1, "no orders then (the scenario's were events only)");
    assert_eq!(csv(api, &customer(api).await, "").await.0, 403);
    assert_eq!(csv(api, admin, "from=2025-03-31&to=2025-03-01").await.0, 400);
}
