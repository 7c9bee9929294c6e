//! What must hold after any commerce scenario: stock adds up (on hand + sold = initial,
//! nothing held), inventory's ledger agrees, every paid order has a succeeded charge of its
//! total, cancelled orders keep no money, and no charge lacks an order.

use std::time::Duration;

use shop_proto::payment::v1 as pb;

use super::{PaymentClient, Shop, orders_of, stock_settles};

/// After the dust settles: on_hand + sold = initial, nothing held, every paid order's
/// payment succeeded for its total (order's and payment's records agree), no order left
/// mid-checkout.
pub async fn invariants(shop: &Shop<'_>, vendor: &str, sku: &str, initial: i64) {
    let (api, admin) = (shop.api, shop.admin.as_str());
    let orders = orders_of(api, admin, sku).await;
    let sold: i64 = orders
        .iter()
        .filter(|o| matches!(o["status"].as_str(), Some("paid" | "shipped" | "delivered")))
        .map(|o| o["lines"][0]["quantity"].as_i64().unwrap())
        .sum();
    stock_settles(api, vendor, sku, (initial - sold, 0, initial - sold)).await;
    for order in &orders {
        let status = order["status"].as_str().unwrap();
        assert!(!matches!(status, "pending" | "reserved"), "order left mid-checkout: {order}");
        if status == "paid" {
            assert_eq!(order["payment"]["status"], "succeeded", "{order}");
            let line = &order["lines"][0];
            let expected = line["unit_price"]["amount"].as_i64().unwrap() * line["quantity"].as_i64().unwrap();
            assert_eq!(order["total"]["amount"].as_i64().unwrap(), expected, "{order}");
        }
        if status == "cancelled" {
            assert_ne!(order["payment"]["status"], "succeeded", "a cancelled order keeps no charge: {order}");
        }
    }
    payments_match(shop, sku).await;
    ledger_adds_up(shop, vendor, sku, initial - sold, sold).await;
    no_charge_without_an_order(shop).await;
}

/// A gRPC request carrying `token`.
pub fn with_token<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().expect("header"));
    request
}

/// Inventory's ledger of the SKU explains its stock: the entries add up to on hand and
/// reserved, nothing is held, and the units that left for good are the units sold.
async fn ledger_adds_up(shop: &Shop<'_>, vendor: &str, sku: &str, on_hand: i64, sold: i64) {
    use shop_proto::{common::v1::PageRequest, inventory::v1::GetLedgerRequest};
    let mut inventory = shop.inventory.clone();
    // The whole ledger, a page at a time.
    let (mut entries, mut cursor) = (Vec::new(), String::new());
    let held = loop {
        let page = PageRequest { per_page: 100, cursor: cursor.clone(), ..Default::default() };
        let request = with_token(GetLedgerRequest { sku: sku.to_owned(), page: Some(page) }, vendor);
        let ledger = inventory.get_ledger(request).await.expect("the owner reads the ledger").into_inner();
        entries.extend(ledger.entries);
        cursor = ledger.page.unwrap_or_default().next_cursor;
        if cursor.is_empty() {
            break ledger.held;
        }
    };
    assert_eq!(entries.iter().map(|e| e.on_hand_delta).sum::<i64>(), on_hand, "the ledger adds up to on hand");
    assert_eq!(entries.iter().map(|e| e.reserved_delta).sum::<i64>(), 0, "and to reserved");
    assert_eq!(held, 0, "no open reservation holds units");
    let left: i64 =
        entries.iter().filter(|e| matches!(e.reason.as_str(), "commit" | "return")).map(|e| -e.on_hand_delta).sum();
    assert_eq!(left, sold, "units committed (less those put back) = units sold");
}

/// Every charge payment ever took belongs to an order that exists.
async fn no_charge_without_an_order(shop: &Shop<'_>) {
    let mut client = payment_client(shop).await;
    for page in 1.. {
        let request = pb::ListPaymentsRequest {
            page: Some(shop_proto::common::v1::PageRequest { page, per_page: 100, ..Default::default() }),
        };
        let payments = client.list_payments(with_token(request, &shop.admin)).await.expect("admin lists payments");
        let payments = payments.into_inner().payments;
        for charged in payments.iter().filter(|p| p.status() != pb::PaymentStatus::Failed) {
            let order = shop.api.get(&format!("/api/v1/orders/{}", charged.order_id), Some(&shop.admin)).await;
            assert_eq!(order.status, 200, "a charge without an order: {charged:?}");
        }
        if payments.len() < 100 {
            return;
        }
    }
}

/// A client of payment's gRPC API.
pub(super) async fn payment_client(shop: &Shop<'_>) -> PaymentClient {
    shop.payment.clone()
}

/// What payment says of an order, asked with `token`.
pub(super) async fn payment_of(
    client: &PaymentClient,
    token: &str,
    order_id: &str,
) -> Result<pb::Payment, tonic::Status> {
    client
        .clone()
        .get_payment(with_token(pb::GetPaymentRequest { order_id: order_id.to_owned() }, token))
        .await
        .map(tonic::Response::into_inner)
}

/// Payment agrees with order: every paid order has one succeeded charge of its total, every
/// refunded order was refunded in full, and a cancelled order keeps no money.
async fn payments_match(shop: &Shop<'_>, sku: &str) {
    let (client, admin) = (payment_client(shop).await, shop.admin.as_str());
    for order in orders_of(shop.api, admin, sku).await {
        let id = order["id"].as_str().unwrap();
        let total = order["total"]["amount"].as_i64().unwrap();
        let settled = shop_test_support::eventually(Duration::from_secs(30), || async {
            let payment = payment_of(&client, admin, id).await;
            match order["status"].as_str().unwrap() {
                "paid" | "shipped" | "delivered" => payment.is_ok_and(|p| {
                    p.status() == pb::PaymentStatus::Succeeded && p.amount.is_some_and(|m| m.amount == total)
                }),
                "refunded" => payment.is_ok_and(|p| p.status() == pb::PaymentStatus::Refunded),
                "cancelled" => match payment {
                    Err(status) => status.code() == tonic::Code::NotFound,
                    Ok(p) => matches!(p.status(), pb::PaymentStatus::Failed | pb::PaymentStatus::Refunded),
                },
                _ => false,
            }
        })
        .await;
        assert!(settled, "payment disagrees with {order}: {:?}", payment_of(&client, admin, id).await);
    }
}
