//! Fleet mode: every service as its own process against real MongoDB (stand-in),
//! RabbitMQ and Redis, the gateway in front, readiness following the services.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::Value;
use shop_catalog::seed::demo_product_id;
use shop_e2e::{
    Process,
    fleet::{ADMIN_EMAIL, ADMIN_PASSWORD, Fleet, Options},
    wait_for_status,
};
use shop_messaging::{BusSettings, Envelope, EventBus, EventHandler, RabbitBus};
use shop_test_support::{amqp_url, free_port, http, unique};

/// Collects the product ids of `catalog.product_created` events.
#[derive(Default)]
struct Created(Mutex<HashSet<String>>);

#[async_trait::async_trait]
impl EventHandler for Created {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let payload = <shop_proto::events::v1::ProductChanged as prost::Message>::decode(event.payload.as_slice())?;
        self.0.lock().unwrap().insert(payload.product_id);
        Ok(())
    }
}

#[tokio::test]
async fn the_fleet_serves_from_real_infrastructure_and_readiness_follows_the_services() {
    let _one = Fleet::exclusive().await;
    // Listen for the catalog's events on the real broker before it starts publishing.
    let bus = RabbitBus::new(&amqp_url(), BusSettings::default());
    let created = Arc::new(Created::default());
    let consumer = unique("fleet_listener");
    let subscription = bus.subscribe(&consumer, &["catalog.product_created"], created.clone()).await.unwrap();

    let mut fleet = Fleet::start(Options::default()).await;
    let (base, client) = (fleet.base.clone(), http());
    let ready: Value = client.get(format!("{base}/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["checks"]["redis"], "serving");

    // The read path, from MongoDB through catalog's gRPC and the gateway.
    let res = client.get(format!("{base}/api/v1/products/{}", demo_product_id(7))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let product: Value = res.json().await.unwrap();
    assert_eq!(product["id"], demo_product_id(7).to_string());

    // Accounts and sessions, stored in MongoDB and checked by every hop.
    shop_e2e::session_lifecycle(&fleet.api).await;
    let login = fleet.api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(login.status, 200, "the admin from SHOP_ADMIN_EMAIL/PASSWORD exists: {}", login.text);
    assert_eq!(login.body["user"]["role"], "admin");

    // Each service exports RED metrics for its gRPC methods.
    let catalog_metrics = format!("http://127.0.0.1:{}/metrics", fleet.ports[Fleet::index("catalog")].metrics);
    let text = client.get(&catalog_metrics).send().await.unwrap().text().await.unwrap();
    assert!(text.contains(r#"grpc_method="/shop.catalog.v1.CatalogService/GetProduct""#), "{text}");

    // Every seeded product was announced over RabbitMQ through the outbox.
    let announced =
        shop_test_support::eventually(Duration::from_secs(60), || async { created.0.lock().unwrap().len() == 240 })
            .await;
    assert!(announced, "{} of 240 product_created events", created.0.lock().unwrap().len());
    subscription.stop().await;
    bus.remove_consumer(&consumer).await.unwrap();

    // A service that goes away makes the gateway unready; SIGTERM drains it cleanly.
    fleet.terminate("catalog");
    assert!(wait_for_status(&client, &format!("{base}/readyz"), 503, Duration::from_secs(10)).await);
    let not_ready: Value = client.get(format!("{base}/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(not_ready["status"], "not_ready");
    assert_eq!(not_ready["checks"]["catalog"], "unreachable");
    assert_eq!(not_ready["checks"]["identity"], "serving");
    fleet.stop(&["catalog"]);
}

#[tokio::test]
async fn the_all_in_one_binary_serves_demo_data_and_exits_zero_on_ctrl_c() {
    let port = free_port();
    let mut shop = Process::spawn(
        "shop",
        &[
            ("SHOP_HTTP__PORT", port.to_string()),
            ("SHOP_GRPC_BASE_PORT", "0".to_owned()),
            ("SHOP_METRICS_BASE_PORT", "0".to_owned()),
        ],
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = http();
    assert!(wait_for_status(&client, &format!("{base}/readyz"), 200, Duration::from_secs(30)).await);
    let res = client.get(format!("{base}/api/v1/products/{}", demo_product_id(1))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let status = shop.signal_and_wait("INT", Duration::from_secs(30));
    assert!(status.success(), "exited with {status}");
}
