//! A customer who can reach the services' gRPC ports tries what the REST API would never
//! let them do: charge their own order a cent, refund a shipped order, hold or sell a
//! vendor's stock under a made-up order, put sold units back, read a vendor's drafts,
//! guess passwords without a limit — and, through REST alone, hold a SKU's whole stock with
//! a payment token that can never be charged. Every attempt is refused and changes nothing:
//! stock, payments and orders read the same afterwards, and the invariants hold.

use serde_json::json;
use shop_proto::{
    catalog::v1::{GetProductsRequest, catalog_service_client::CatalogServiceClient},
    common::v1::Money,
    identity::v1::{LoginRequest, identity_service_client::IdentityServiceClient},
    inventory::v1::{
        CommitRequest, ReleaseRequest, ReservationLine, ReserveRequest,
        inventory_service_client::InventoryServiceClient,
    },
    payment::v1::{ChargeRequest, RefundRequest},
};
use tonic::Code;

use super::{
    PaymentClient, Shop, add_to_cart, checkout, customer, invariants,
    invariants::{payment_of, with_token},
    key, product_with_stock, stock, vendor,
};
use crate::services::Services;

/// The code a refused call got.
fn refused<T: std::fmt::Debug>(what: &str, answer: Result<T, tonic::Status>) -> Code {
    match answer {
        Ok(reply) => panic!("{what} was let through: {reply:?}"),
        Err(status) => status.code(),
    }
}

/// The status of an order, as its buyer sees it.
async fn order_status(shop: &Shop<'_>, buyer: &str, id: &str) -> String {
    let order = shop.api.get(&format!("/api/v1/orders/{id}"), Some(buyer)).await;
    assert_eq!(order.status, 200, "{}", order.text);
    order.body["status"].as_str().unwrap().to_owned()
}

/// Every row of the attack table, on whichever shop `shop` is (`services` is where its
/// gRPC ports are).
pub async fn a_customer_at_the_grpc_ports_changes_nothing(shop: &Shop<'_>, services: &Services) {
    let (api, admin) = (shop.api, shop.admin.as_str());
    let seller = vendor(api, admin).await;
    let sku = product_with_stock(api, &seller, 13598, 6).await;
    let (mallory, victim) = (customer(api).await, customer(api).await);
    let mut placed = Vec::new();
    for buyer in [&mallory, &victim] {
        add_to_cart(api, buyer, &sku, 1).await;
        let order = checkout(api, buyer, &key(), "tok_visa").await;
        assert_eq!(order.status, 201, "{}", order.text);
        placed.push(order.body["id"].as_str().unwrap().to_owned());
    }
    let (own, theirs) = (placed[0].clone(), placed[1].clone());
    let shipped = api.post(&format!("/api/v1/admin/orders/{own}/ship"), Some(admin), json!({})).await;
    assert_eq!(shipped.status, 200, "{}", shipped.text);
    let stock_before = stock(api, &seller, &sku).await;
    assert_eq!(stock_before, (4, 0, 4));
    let payments_before =
        (payment_of(&shop.payment, admin, &own).await, payment_of(&shop.payment, admin, &theirs).await);
    let made_up = uuid::Uuid::now_v7().to_string();

    // Charge one's own order (or anyone's, or none) a cent.
    let payment = PaymentClient::new(services.bare("payment"));
    for order in [&own, &theirs, &made_up] {
        let cent = ChargeRequest {
            order_id: order.clone(),
            amount: Some(Money { amount: 1, currency: "USD".into() }),
            payment_token: "tok_visa".into(),
        };
        let answer = payment.clone().charge(with_token(cent, &mallory)).await;
        assert_eq!(refused("a 1-cent charge", answer), Code::PermissionDenied);
    }
    // Refund a shipped order at payment, behind order's back.
    let refund =
        RefundRequest { order_id: own.clone(), amount: None, idempotency_key: key(), reason: "changed my mind".into() };
    let answer = payment.clone().refund(with_token(refund, &mallory)).await;
    assert_eq!(refused("a refund at payment", answer), Code::PermissionDenied);

    // Hold every unit under a made-up order, then sell them; put sold units back.
    let inventory = InventoryServiceClient::new(services.bare("inventory"));
    let line = ReservationLine { sku: sku.clone(), quantity: stock_before.2 };
    let hold = ReserveRequest { order_id: made_up.clone(), lines: vec![line], ttl_seconds: 3600 };
    let answer = inventory.clone().reserve(with_token(hold, &mallory)).await;
    assert_eq!(refused("a reservation", answer), Code::PermissionDenied);
    let commit = CommitRequest { order_id: made_up.clone() };
    assert_eq!(
        refused("a commit", inventory.clone().commit(with_token(commit, &mallory)).await),
        Code::PermissionDenied
    );
    for order in [&own, &theirs] {
        let release = ReleaseRequest { order_id: order.clone(), reason: "returned".into() };
        let answer = inventory.clone().release(with_token(release, &mallory)).await;
        assert_eq!(refused("a release", answer), Code::PermissionDenied);
    }

    // Read a vendor's draft through batch pricing, with no token or a customer's.
    let draft = json!({"name": "Secret Prototype Kettle", "description": "not yet announced", "status": "draft",
        "variants": [{"sku": format!("{sku}-D"), "price": {"amount": 99900, "currency": "USD"}}]});
    let created = api.post("/api/v1/products", Some(&seller), draft).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let catalog = CatalogServiceClient::new(services.bare("catalog"));
    let ask = || GetProductsRequest { skus: vec![format!("{sku}-D")] };
    assert_eq!(refused("batch pricing", catalog.clone().get_products(ask()).await), Code::Unauthenticated);
    let answer = catalog.clone().get_products(with_token(ask(), &mallory)).await;
    assert_eq!(refused("batch pricing", answer), Code::PermissionDenied);
    // Nor through the cart, which asks catalog on the customer's behalf.
    let added = api.post("/api/v1/cart/items", Some(&mallory), json!({"sku": format!("{sku}-D"), "quantity": 1})).await;
    assert_eq!(added.status, 404, "a draft is unknown to customers: {}", added.text);
    assert!(!added.text.contains("Prototype") && !added.text.contains("99900"), "{}", added.text);

    // Guess passwords at identity's own door: not one attempt is even looked at.
    let identity = IdentityServiceClient::new(services.bare("identity"));
    for attempt in 0..30 {
        let guess = LoginRequest { email: "admin@shop.local".into(), password: format!("guess number {attempt}") };
        let answer = identity.clone().login(guess).await;
        assert_eq!(refused("a login at identity", answer), Code::Unauthenticated);
    }

    // Through REST alone: a cart with the SKU's whole stock and a token that can never be
    // charged holds nothing, not even for a moment; another buyer still gets a unit.
    let hoarder = customer(api).await;
    add_to_cart(api, &hoarder, &sku, stock_before.2).await;
    let hoard = checkout(api, &hoarder, &key(), "tok_x").await;
    assert_eq!(hoard.status, 400, "{}", hoard.text);
    assert_eq!(stock(api, &seller, &sku).await, stock_before, "nothing was held");

    // Nothing changed.
    assert_eq!(order_status(shop, &mallory, &own).await, "shipped");
    assert_eq!(order_status(shop, &victim, &theirs).await, "paid");
    let payments_after =
        (payment_of(&shop.payment, admin, &own).await, payment_of(&shop.payment, admin, &theirs).await);
    assert_eq!(format!("{payments_before:?}"), format!("{payments_after:?}"), "payments are as they were");
    assert!(payment_of(&shop.payment, admin, &made_up).await.is_err(), "no payment for a made-up order");
    let buyer = customer(api).await;
    add_to_cart(api, &buyer, &sku, 1).await;
    assert_eq!(checkout(api, &buyer, &key(), "tok_visa").await.status, 201);
    invariants(shop, &seller, &sku, 6).await;
}
