//! Fleet mode: every service as its own process against real MongoDB (stand-in),
//! RabbitMQ and Redis, the gateway in front, readiness following the services.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::Value;
use shop_catalog::seed::demo_product_id;
use shop_e2e::{Process, wait_for_status};
use shop_messaging::{BusSettings, Envelope, EventBus, EventHandler, RabbitBus};
use shop_test_support::{amqp_url, free_port, http, mongo_url, redis_url, require, unique};

const SERVICES: [&str; 5] = ["identity", "catalog", "inventory", "order", "payment"];

struct Ports {
    grpc: u16,
    metrics: u16,
}

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

fn service_env(name: &str, ports: &Ports, run: &str, all: &[Ports]) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("SHOP_GRPC__HOST", "127.0.0.1".to_owned()),
        ("SHOP_GRPC__PORT", ports.grpc.to_string()),
        ("SHOP_METRICS__HOST", "127.0.0.1".to_owned()),
        ("SHOP_METRICS__PORT", ports.metrics.to_string()),
        ("SHOP_BACKENDS__MONGO_URL", mongo_url()),
        ("SHOP_BACKENDS__MONGO_DATABASE", format!("{run}_{name}")),
        ("SHOP_BACKENDS__AMQP_URL", amqp_url()),
        ("SHOP_IDENTITY_URL", format!("http://127.0.0.1:{}", all[0].grpc)),
    ];
    if name == "catalog" {
        env.push(("SHOP_DEMO_DATA", "true".to_owned()));
        env.push(("SHOP_ORDER_URL", format!("http://127.0.0.1:{}", all[3].grpc)));
    }
    if name == "order" {
        env.push(("SHOP_CATALOG_URL", format!("http://127.0.0.1:{}", all[1].grpc)));
        env.push(("SHOP_INVENTORY_URL", format!("http://127.0.0.1:{}", all[2].grpc)));
        env.push(("SHOP_PAYMENT_URL", format!("http://127.0.0.1:{}", all[4].grpc)));
        env.push(("SHOP_BACKENDS__REDIS_URL", redis_url()));
    }
    if name == "identity" {
        env.push(("SHOP_ADMIN_EMAIL", "fleet-admin@example.com".to_owned()));
        env.push(("SHOP_ADMIN_PASSWORD", "fleet admin passphrase".to_owned()));
    }
    env
}

#[tokio::test]
async fn the_fleet_serves_from_real_infrastructure_and_readiness_follows_the_services() {
    require("MongoDB", &mongo_url());
    require("RabbitMQ", &amqp_url());
    require("Redis", &redis_url());
    let run = unique("fleet");

    // Listen for the catalog's events on the real broker before it starts publishing.
    let bus = RabbitBus::new(&amqp_url(), BusSettings::default());
    let created = Arc::new(Created::default());
    let consumer = unique("fleet_listener");
    let subscription = bus.subscribe(&consumer, &["catalog.product_created"], created.clone()).await.unwrap();

    let ports: Vec<Ports> = SERVICES.iter().map(|_| Ports { grpc: free_port(), metrics: free_port() }).collect();
    let mut processes: Vec<Process> = SERVICES
        .iter()
        .zip(&ports)
        .map(|(name, p)| Process::spawn(&format!("shop-{name}"), &service_env(name, p, &run, &ports)))
        .collect();
    let http_port = free_port();
    let mut gateway_env = vec![
        ("SHOP_HTTP__HOST", "127.0.0.1".to_owned()),
        ("SHOP_HTTP__PORT", http_port.to_string()),
        ("SHOP_REDIS_URL", redis_url()),
        ("SHOP_AMQP_URL", amqp_url()),
        // Sign-ins from this test share one address with every other run on this Redis.
        ("SHOP_RATE_LIMITS__AUTH__PER_MINUTE", "10000".to_owned()),
        ("SHOP_RATE_LIMITS__AUTH__BURST", "1000".to_owned()),
    ];
    let upstream_keys = [
        "SHOP_UPSTREAMS__IDENTITY",
        "SHOP_UPSTREAMS__CATALOG",
        "SHOP_UPSTREAMS__INVENTORY",
        "SHOP_UPSTREAMS__ORDER",
        "SHOP_UPSTREAMS__PAYMENT",
    ];
    for (key, p) in upstream_keys.into_iter().zip(&ports) {
        gateway_env.push((key, format!("http://127.0.0.1:{}", p.grpc)));
    }
    let mut gateway = Process::spawn("shop-gateway", &gateway_env);

    let base = format!("http://127.0.0.1:{http_port}");
    let client = http();
    assert!(
        wait_for_status(&client, &format!("{base}/readyz"), 200, Duration::from_secs(60)).await,
        "the fleet never became ready"
    );
    let ready: Value = client.get(format!("{base}/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["checks"]["redis"], "serving");

    // The read path, from MongoDB through catalog's gRPC and the gateway.
    let res = client.get(format!("{base}/api/v1/products/{}", demo_product_id(7))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let product: Value = res.json().await.unwrap();
    assert_eq!(product["id"], demo_product_id(7).to_string());

    // Accounts and sessions, stored in MongoDB and checked by every hop.
    shop_e2e::session_lifecycle(&shop_e2e::Api::new(base.clone())).await;
    let admin = shop_e2e::Api::new(base.clone());
    let login = admin.login("fleet-admin@example.com", "fleet admin passphrase").await;
    assert_eq!(login.status, 200, "the admin from SHOP_ADMIN_EMAIL/PASSWORD exists: {}", login.text);
    assert_eq!(login.body["user"]["role"], "admin");

    // Each service exports RED metrics for its gRPC methods.
    let catalog_metrics = format!("http://127.0.0.1:{}/metrics", ports[1].metrics);
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
    let catalog = &mut processes[1];
    let status = catalog.signal_and_wait("TERM", Duration::from_secs(30));
    assert!(status.success(), "catalog exited with {status}");
    assert!(wait_for_status(&client, &format!("{base}/readyz"), 503, Duration::from_secs(10)).await);
    let not_ready: Value = client.get(format!("{base}/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(not_ready["status"], "not_ready");
    assert_eq!(not_ready["checks"]["catalog"], "unreachable");
    assert_eq!(not_ready["checks"]["identity"], "serving");

    let status = gateway.signal_and_wait("TERM", Duration::from_secs(30));
    assert!(status.success(), "gateway exited with {status}");
    for (i, process) in processes.iter_mut().enumerate() {
        if i != 1 {
            let status = process.signal_and_wait("TERM", Duration::from_secs(30));
            assert!(status.success(), "{} exited with {status}", process.name);
        }
    }
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
