//! Commerce scenarios run the same way against the all-in-one platform and the fleet:
//! checkout, compensation, idempotency, no oversell, and who may see which order. After
//! each, the stock and payment invariants are checked.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};

use shop_proto::payment::v1 as pb;

mod attacks;
mod invariants;

pub use attacks::a_customer_at_the_grpc_ports_changes_nothing;
pub use invariants::{invariants, with_token};
use invariants::{payment_client, payment_of};

use shop_service_kit::Upstream;

use crate::{Api, Reply, services::Services};

/// The shop under test: its gateway, an admin's token, and payment's and inventory's gRPC
/// APIs reached as the gateway reaches them (to check their side of every order).
pub struct Shop<'a> {
    pub api: &'a Api,
    pub admin: String,
    pub payment: PaymentClient,
    pub inventory: InventoryClient,
}

impl<'a> Shop<'a> {
    pub fn new(api: &'a Api, admin: String, services: &Services) -> Self {
        let payment = PaymentClient::new(services.channel_as("gateway", "payment"));
        let inventory = InventoryClient::new(services.channel_as("gateway", "inventory"));
        Self { api, admin, payment, inventory }
    }
}

/// A visible-ASCII idempotency key nobody used before.
pub fn key() -> String {
    shop_test_support::unique("checkout")
}

fn address() -> Value {
    json!({"name": "Ada Lovelace", "phone": "+1 555 0100", "line1": "1 Test Street", "city": "Springfield",
        "postal_code": "12345", "country": "US"})
}

/// Signs in; the access token.
pub async fn token(api: &Api, email: &str, password: &str) -> String {
    let login = api.login(email, password).await;
    assert_eq!(login.status, 200, "{}", login.text);
    login.body["access_token"].as_str().unwrap().to_owned()
}

/// A fresh customer's access token.
pub async fn customer(api: &Api) -> String {
    let (_, _, session) = api.register_customer().await;
    session["access_token"].as_str().unwrap().to_owned()
}

/// A fresh vendor: a customer promoted by the admin, signed in again for the new role.
pub async fn vendor(api: &Api, admin: &str) -> String {
    let (email, password, session) = api.register_customer().await;
    let id = session["user"]["id"].as_str().unwrap();
    let promoted = api.patch(&format!("/api/v1/admin/users/{id}"), Some(admin), json!({"role": "vendor"})).await;
    assert_eq!(promoted.status, 200, "{}", promoted.text);
    token(api, &email, &password).await
}

/// An active product of `vendor` with one SKU priced `amount` cents and `units` on hand.
pub async fn product_with_stock(api: &Api, vendor: &str, amount: i64, units: i64) -> String {
    product_in(api, vendor, amount, units, None).await
}

/// The same, in `category` when given.
pub async fn product_in(api: &Api, vendor: &str, amount: i64, units: i64, category: Option<&str>) -> String {
    let sku = format!("C-{}", &uuid::Uuid::now_v7().simple().to_string()[16..]).to_uppercase();
    let mut product = json!({"name": "Checkout Test Kettle", "description": "for checkout tests", "status": "active",
        "variants": [{"sku": sku, "price": {"amount": amount, "currency": "USD"}}]});
    if let Some(category) = category {
        product["category_id"] = json!(category);
    }
    // A 503 is tried again, as a client would (a stand-in transaction failed: nothing written).
    let mut created = api.post("/api/v1/products", Some(vendor), product.clone()).await;
    for _ in 0..5 {
        if created.status != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        created = api.post("/api/v1/products", Some(vendor), product.clone()).await;
    }
    assert_eq!(created.status, 201, "{}", created.text);
    // Inventory learns the SKU and its owner from catalog's event.
    let path = format!("/api/v1/inventory/{sku}");
    let adopted = shop_test_support::eventually(Duration::from_secs(60), || async {
        api.get(&path, Some(vendor)).await.status == 200
    })
    .await;
    assert!(adopted, "inventory never learned {sku}");
    let set = api.send(reqwest::Method::PUT, &path, Some(vendor), Some(json!({"on_hand": units}))).await;
    assert_eq!(set.status, 200, "{}", set.text);
    sku
}

pub async fn add_to_cart(api: &Api, customer: &str, sku: &str, quantity: i64) {
    let added = api.post("/api/v1/cart/items", Some(customer), json!({"sku": sku, "quantity": quantity})).await;
    assert_eq!(added.status, 200, "{}", added.text);
}

pub async fn checkout(api: &Api, customer: &str, key: &str, payment_token: &str) -> Reply {
    let body = json!({"shipping_address": address(), "payment_token": payment_token});
    api.send_with(reqwest::Method::POST, "/api/v1/orders", Some(customer), Some(body), &[("idempotency-key", key)])
        .await
}

/// `(on_hand, reserved, available)` of a SKU, as its vendor sees it.
pub async fn stock(api: &Api, vendor: &str, sku: &str) -> (i64, i64, i64) {
    let s = api.get(&format!("/api/v1/inventory/{sku}"), Some(vendor)).await;
    assert_eq!(s.status, 200, "{}", s.text);
    (s.body["on_hand"].as_i64().unwrap(), s.body["reserved"].as_i64().unwrap(), s.body["available"].as_i64().unwrap())
}

/// Waits until the SKU's stock reads `expected`.
pub async fn stock_settles(api: &Api, vendor: &str, sku: &str, expected: (i64, i64, i64)) {
    let settled =
        shop_test_support::eventually(Duration::from_secs(30), || async { stock(api, vendor, sku).await == expected })
            .await;
    assert!(settled, "stock of {sku} is {:?}, expected {expected:?}", stock(api, vendor, sku).await);
}

/// Every order of the SKU the admin can see, by status.
pub async fn orders_of(api: &Api, admin: &str, sku: &str) -> Vec<Value> {
    let mut found = Vec::new();
    for page in 1.. {
        let reply = api.get(&format!("/api/v1/admin/orders?per_page=100&page={page}"), Some(admin)).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let items = reply.body["items"].as_array().unwrap().clone();
        found.extend(items.iter().filter(|o| o["lines"][0]["sku"] == sku).cloned());
        if items.len() < 100 {
            return found;
        }
    }
    unreachable!()
}

/// Checkout, order history, who sees what, cancel with refund, ship, refund.
pub async fn checkout_and_lifecycle(shop: &Shop<'_>) {
    let (api, admin) = (shop.api, shop.admin.as_str());
    let vendor = vendor(api, admin).await;
    let sku = product_with_stock(api, &vendor, 2500, 5).await;
    let (alice, mallory) = (customer(api).await, customer(api).await);

    add_to_cart(api, &alice, &sku, 2).await;
    let placed = checkout(api, &alice, &key(), "tok_visa").await;
    assert_eq!(placed.status, 201, "{}", placed.text);
    assert_eq!(placed.body["status"], "paid");
    assert_eq!(placed.body["total"], json!({"amount": 5000, "currency": "USD"}));
    assert_eq!(placed.body["payment"]["status"], "succeeded");
    assert_eq!(placed.body["shipping_address"]["city"], "Springfield");
    let cart = api.get("/api/v1/cart", Some(&alice)).await;
    assert_eq!(cart.body["lines"], json!([]), "the cart is emptied once paid");
    stock_settles(api, &vendor, &sku, (3, 0, 3)).await;

    let path = format!("/api/v1/orders/{}", placed.body["id"].as_str().unwrap());
    assert_eq!(api.get(&path, Some(&alice)).await.body["id"], placed.body["id"]);
    let mine = api.get("/api/v1/orders", Some(&alice)).await;
    assert_eq!(mine.body["total"], 1);
    // Another user learns nothing about the order, and can do nothing to it.
    assert_eq!(api.get(&path, Some(&mallory)).await.status, 404);
    assert_eq!(api.post(&format!("{path}/cancel"), Some(&mallory), json!({})).await.status, 404);
    assert_eq!(api.get("/api/v1/orders", Some(&mallory)).await.body["total"], 0);
    assert_eq!(api.get("/api/v1/admin/orders", Some(&mallory)).await.status, 403);
    let ship = format!("/api/v1/admin/orders/{}/ship", placed.body["id"].as_str().unwrap());
    assert_eq!(api.post(&ship, Some(&alice), json!({})).await.status, 403, "only an admin ships");
    assert_eq!(api.get(&path, None).await.status, 401);
    // Nor through payment's own API: its payment is not found for them, and cannot be charged again.
    let id = placed.body["id"].as_str().unwrap();
    let mut payment = payment_client(shop).await;
    let theirs = payment_of(&payment, &mallory, id).await;
    assert_eq!(theirs.map(|p| p.status).unwrap_err().code(), tonic::Code::NotFound);
    let charge = pb::ChargeRequest {
        order_id: id.to_owned(),
        amount: Some(shop_proto::common::v1::Money { amount: 5000, currency: "USD".into() }),
        payment_token: "tok_visa".into(),
    };
    let hijack = payment.charge(with_token(charge, &mallory)).await;
    assert_eq!(hijack.map(|_| ()).unwrap_err().code(), tonic::Code::PermissionDenied);

    // A review is a verified purchase only for whom order says bought the product.
    let reviews = format!("/api/v1/products/{}/reviews", placed.body["lines"][0]["product_id"].as_str().unwrap());
    let review = json!({"rating": 5, "comment": "boils fast"});
    let bought = api.post(&reviews, Some(&alice), review.clone()).await;
    assert_eq!(bought.status, 201, "{}", bought.text);
    assert_eq!(bought.body["verified_purchase"], true);
    let hearsay = api.post(&reviews, Some(&mallory), review).await;
    assert_eq!(hearsay.status, 201, "{}", hearsay.text);
    assert_eq!(hearsay.body["verified_purchase"], false);

    let cancelled = api.post(&format!("{path}/cancel"), Some(&alice), json!({"reason": "changed my mind"})).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(cancelled.body["payment"]["status"], "refunded");
    assert_eq!(api.post(&format!("{path}/cancel"), Some(&alice), json!({})).await.body["status"], "cancelled");
    stock_settles(api, &vendor, &sku, (5, 0, 5)).await;

    add_to_cart(api, &alice, &sku, 1).await;
    let second = checkout(api, &alice, &key(), "tok_visa").await;
    assert_eq!(second.status, 201, "{}", second.text);
    let id = second.body["id"].as_str().unwrap();
    let shipped = api.post(&format!("/api/v1/admin/orders/{id}/ship"), Some(admin), json!({})).await;
    assert_eq!(shipped.status, 200, "{}", shipped.text);
    assert_eq!(shipped.body["status"], "shipped");
    let late = api.post(&format!("/api/v1/orders/{id}/cancel"), Some(&alice), json!({})).await;
    assert_eq!((late.status, late.body["code"].as_str()), (409, Some("not_cancellable")));
    let refunded = api.post(&format!("/api/v1/admin/orders/{id}/refund"), Some(admin), json!({})).await;
    assert_eq!(refunded.status, 200, "{}", refunded.text);
    assert_eq!(refunded.body["status"], "refunded");
    assert_eq!(refunded.body["payment"]["status"], "refunded");
    let again = api.post(&format!("/api/v1/admin/orders/{id}/ship"), Some(admin), json!({})).await;
    assert_eq!(again.status, 409, "a refunded order does not ship");
    let listed = api.get("/api/v1/admin/orders?status=refunded&per_page=100", Some(admin)).await;
    assert!(listed.body["items"].as_array().unwrap().iter().any(|o| o["id"] == id));
    // The shipped unit left the warehouse for good.
    stock_settles(api, &vendor, &sku, (4, 0, 4)).await;
}

/// A declined card: 402, the stock back, the order cancelled with its reason, the cart kept.
pub async fn declined_payment_is_compensated(shop: &Shop<'_>) {
    let (api, admin) = (shop.api, shop.admin.as_str());
    let vendor = vendor(api, admin).await;
    let sku = product_with_stock(api, &vendor, 1200, 3).await;
    let buyer = customer(api).await;
    add_to_cart(api, &buyer, &sku, 2).await;
    for card in ["tok_chargeDeclined", "tok_insufficientFunds"] {
        let declined = checkout(api, &buyer, &key(), card).await;
        assert_eq!(declined.status, 402, "{}", declined.text);
        assert_eq!(declined.body["code"], "payment_declined");
        stock_settles(api, &vendor, &sku, (3, 0, 3)).await;
    }
    let mine = api.get("/api/v1/orders", Some(&buyer)).await;
    let statuses: Vec<&str> =
        mine.body["items"].as_array().unwrap().iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["cancelled", "cancelled"]);
    assert!(mine.body["items"][0]["cancel_reason"].as_str().unwrap().starts_with("payment_declined"));
    assert_eq!(api.get("/api/v1/cart", Some(&buyer)).await.body["lines"][0]["quantity"], 2, "the cart is kept");
    let paid = checkout(api, &buyer, &key(), "tok_visa").await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    invariants(shop, &vendor, &sku, 3).await;
}

/// Twenty concurrent checkouts with one key: one order, one charge, twenty equal answers;
/// the key with another body is refused, and bad input is refused before anything happens.
pub async fn one_key_one_order(shop: &Shop<'_>) {
    let (api, admin) = (shop.api, shop.admin.as_str());
    let vendor = vendor(api, admin).await;
    let sku = product_with_stock(api, &vendor, 999, 10).await;
    let buyer = customer(api).await;
    add_to_cart(api, &buyer, &sku, 1).await;
    let key = key();
    let replies = futures::future::join_all((0..20).map(|_| checkout(api, &buyer, &key, "tok_visa"))).await;
    for reply in &replies {
        assert_eq!(reply.status, 201, "{}", reply.text);
        assert_eq!(reply.body, replies[0].body, "every repeat gets the first answer");
    }
    assert_eq!(api.get("/api/v1/orders", Some(&buyer)).await.body["total"], 1, "one order");
    stock_settles(api, &vendor, &sku, (9, 0, 9)).await;

    let other = json!({"shipping_address": {"name": "Ada Lovelace", "line1": "2 Other Road", "city": "Shelbyville",
        "postal_code": "54321", "country": "US"}, "payment_token": "tok_visa"});
    let reused = api
        .send_with(reqwest::Method::POST, "/api/v1/orders", Some(&buyer), Some(other), &[("idempotency-key", &key)])
        .await;
    assert_eq!((reused.status, reused.body["code"].as_str()), (422, Some("idempotency_key_reused")), "{}", reused.text);

    add_to_cart(api, &buyer, &sku, 1).await;
    let body = json!({"shipping_address": address(), "payment_token": "tok_visa"});
    let keyless = api.post("/api/v1/orders", Some(&buyer), body).await;
    assert_eq!(keyless.status, 400, "{}", keyless.text);
    let card = checkout(api, &buyer, &crate::commerce::key(), "4242424242424242").await;
    assert_eq!(card.status, 400, "card numbers are never accepted: {}", card.text);
    assert!(!card.text.contains("4242424242424242"), "and never echoed");
    let malformed = checkout(api, &buyer, &crate::commerce::key(), "tok_x").await;
    assert_eq!(malformed.status, 400, "a token payment would refuse is refused first: {}", malformed.text);
    assert_eq!(malformed.body["errors"][0]["field"], "payment_token");
    assert_eq!(stock(api, &vendor, &sku).await.1, 0, "nothing was reserved for it");
    let mass = json!({"shipping_address": address(), "payment_token": "tok_visa", "total": 1});
    let assigned = api
        .send_with(reqwest::Method::POST, "/api/v1/orders", Some(&buyer), Some(mass), &[("idempotency-key", "k-mass")])
        .await;
    assert_eq!(assigned.status, 400, "the total is never the client's");
    let empty = checkout(api, &customer(api).await, &crate::commerce::key(), "tok_visa").await;
    assert_eq!((empty.status, empty.body["code"].as_str()), (422, Some("cart_empty")));
    invariants(shop, &vendor, &sku, 10).await;
}

/// `buyers` customers race for ten units: exactly ten paid orders, the rest out of stock,
/// nothing left held.
pub async fn no_oversell(shop: &Shop<'_>, buyers: usize) {
    let (api, admin) = (shop.api, shop.admin.as_str());
    let vendor = vendor(api, admin).await;
    let sku = product_with_stock(api, &vendor, 4999, 10).await;
    // Sign-ups are not what races here: a few at a time.
    let customers: Vec<String> =
        futures::stream::iter((0..buyers).map(|_| customer(api))).buffer_unordered(8).collect().await;
    futures::stream::iter(customers.iter().map(|c| add_to_cart(api, c, &sku, 1)))
        .buffer_unordered(16)
        .collect::<()>()
        .await;
    let replies = futures::future::join_all(customers.iter().map(|c| async move {
        let key = key();
        checkout(api, c, &key, "tok_visa").await
    }))
    .await;
    let paid = replies.iter().filter(|r| r.status == 201 && r.body["status"] == "paid").count();
    let short = replies.iter().filter(|r| r.status == 409 && r.body["code"] == "out_of_stock").count();
    let odd: Vec<&str> =
        replies.iter().filter(|r| r.status != 201 && r.status != 409).map(|r| r.text.as_str()).collect();
    assert!(odd.is_empty(), "{} unexpected answers, such as {:?}", odd.len(), odd.first());
    assert_eq!((paid, short), (10, buyers - 10));
    stock_settles(api, &vendor, &sku, (0, 0, 0)).await;
    invariants(shop, &vendor, &sku, 10).await;
}

type PaymentClient = pb::payment_service_client::PaymentServiceClient<Upstream>;
type InventoryClient = shop_proto::inventory::v1::inventory_service_client::InventoryServiceClient<Upstream>;

/// Paid orders of one unit each, of one vendor's SKU, by one customer.
struct Paid {
    seller: String,
    sku: String,
    buyer: String,
    ids: Vec<String>,
}

async fn paid_orders(shop: &Shop<'_>, orders: i64) -> Paid {
    let api = shop.api;
    let seller = vendor(api, &shop.admin).await;
    let sku = product_with_stock(api, &seller, 1250, orders).await;
    let buyer = customer(api).await;
    let mut ids = Vec::new();
    for _ in 0..orders {
        add_to_cart(api, &buyer, &sku, 1).await;
        let placed = checkout(api, &buyer, &key(), "tok_visa").await;
        assert_eq!(placed.status, 201, "{}", placed.text);
        ids.push(placed.body["id"].as_str().unwrap().to_owned());
    }
    Paid { seller, sku, buyer, ids }
}

/// `orders` paid orders, each cancelled by its buyer and shipped by an admin at the same
/// moment: every one ends either shipped with its money kept or cancelled with its money
/// and units back — never shipped and refunded.
pub async fn cancel_races_ship(shop: &Shop<'_>, orders: i64) {
    let api = shop.api;
    let Paid { seller, sku, buyer, ids } = paid_orders(shop, orders).await;
    let (buyer, admin) = (&buyer, &shop.admin);
    let races = ids.iter().map(|id| async move {
        let (cancel, ship) = (format!("/api/v1/orders/{id}/cancel"), format!("/api/v1/admin/orders/{id}/ship"));
        futures::join!(api.post(&cancel, Some(buyer), json!({})), api.post(&ship, Some(admin), json!({})))
    });
    for (cancel, ship) in futures::future::join_all(races).await {
        let won = (cancel.status == 200) as u8 + (ship.status == 200) as u8;
        assert_eq!(won, 1, "exactly one of cancel ({}) and ship ({}) wins", cancel.text, ship.text);
        assert!(
            matches!(cancel.status, 200 | 409) && matches!(ship.status, 200 | 409),
            "{} / {}",
            cancel.text,
            ship.text
        );
    }
    let ended = orders_of(api, &shop.admin, &sku).await;
    assert!(ended.iter().all(|o| matches!(o["status"].as_str(), Some("shipped" | "cancelled"))), "{ended:?}");
    invariants(shop, &seller, &sku, orders).await;
}

/// `orders` paid orders, each refunded and shipped by admins at the same moment: a refund
/// that lands first puts the units back (the ship is refused); a ship that lands first
/// keeps them out (the refund then refunds a shipped order). Every order ends refunded.
pub async fn refund_races_ship(shop: &Shop<'_>, orders: i64) {
    let api = shop.api;
    let Paid { seller, sku, ids, .. } = paid_orders(shop, orders).await;
    let admin = &shop.admin;
    let races = ids.iter().map(|id| async move {
        let (refund, ship) = (format!("/api/v1/admin/orders/{id}/refund"), format!("/api/v1/admin/orders/{id}/ship"));
        futures::join!(api.post(&refund, Some(admin), json!({})), api.post(&ship, Some(admin), json!({})))
    });
    let mut shipped = 0;
    for (refund, ship) in futures::future::join_all(races).await {
        assert_eq!(refund.status, 200, "a refund always goes through: {}", refund.text);
        assert!(matches!(ship.status, 200 | 409), "{}", ship.text);
        shipped += i64::from(ship.status == 200);
    }
    let ended = orders_of(api, admin, &sku).await;
    assert!(ended.iter().all(|o| o["status"] == "refunded"), "{ended:?}");
    // Units of orders that shipped are gone; the others are back on the shelf.
    stock_settles(api, &seller, &sku, (orders - shipped, 0, orders - shipped)).await;
}
