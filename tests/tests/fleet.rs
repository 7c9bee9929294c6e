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
async fn the_fleet_serves_from_real_infrastructure_and_one_service_down_leaves_browsing_up() {
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

    // A service that goes away (SIGTERM: it drains cleanly) leaves the gateway ready and
    // browsing working; the diagnostics route and the metrics say which one is missing.
    fleet.terminate("order");
    let upstreams = format!("{base}/healthz/upstreams");
    assert!(wait_for_status(&client, &upstreams, 503, Duration::from_secs(10)).await);
    let report: Value = client.get(&upstreams).send().await.unwrap().json().await.unwrap();
    assert_eq!(report["status"], "not_ready");
    assert_eq!(report["checks"]["order"], "unreachable");
    assert_eq!(report["checks"]["identity"], "serving");
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "one service down keeps the gateway in rotation");
    let res = client.get(format!("{base}/api/v1/products?q=demo")).send().await.unwrap();
    assert_eq!(res.status(), 200, "browsing works without order");
    let res = client.get(format!("{base}/api/v1/products/{}", demo_product_id(7))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let metrics = format!("{base}/metrics");
    let down = shop_test_support::eventually(Duration::from_secs(15), || async {
        let text = client.get(&metrics).send().await.unwrap().text().await.unwrap();
        let up = |upstream| shop_test_support::metric(&text, "gateway_upstream_up", &[("upstream", upstream)]);
        up("order") == Some(0.0) && up("catalog") == Some(1.0)
    })
    .await;
    assert!(down, "gateway_upstream_up reports order down");
    fleet.stop(&["order"]);
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

#[tokio::test]
async fn a_fleet_binary_without_its_backends_refuses_to_start_unless_told_embedded() {
    // Its processes take ports picked here: not while a fleet picks its own.
    let _one = Fleet::exclusive().await;
    let needs = [
        ("shop-gateway", &["SHOP_BACKENDS__REDIS_URL", "SHOP_BACKENDS__AMQP_URL"][..]),
        ("shop-identity", &["SHOP_BACKENDS__MONGO_URL", "SHOP_BACKENDS__AMQP_URL"]),
        ("shop-catalog", &["SHOP_BACKENDS__MONGO_URL", "SHOP_BACKENDS__AMQP_URL"]),
        ("shop-inventory", &["SHOP_BACKENDS__MONGO_URL", "SHOP_BACKENDS__AMQP_URL"]),
        ("shop-order", &["SHOP_BACKENDS__REDIS_URL"]),
        ("shop-payment", &["SHOP_BACKENDS__MONGO_URL", "SHOP_BACKENDS__AMQP_URL"]),
    ];
    for (binary, missing) in needs {
        let mut command = std::process::Command::new(shop_e2e::binary(binary));
        let ports: &[&str] =
            if binary == "shop-gateway" { &["SHOP_HTTP__PORT"] } else { &["SHOP_GRPC__PORT", "SHOP_METRICS__PORT"] };
        for key in ports {
            command.env(key, "0");
        }
        // Order also needs MongoDB and RabbitMQ: given, Redis is what it misses.
        if binary == "shop-order" {
            command
                .env("SHOP_BACKENDS__MONGO_URL", "mongodb://127.0.0.1:1/")
                .env("SHOP_BACKENDS__AMQP_URL", "amqp://x");
        }
        let out = command.env("SHOP_SERVICE_SECRET", "a-client-secret-long-enough-to-be-accepted").output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{binary} started without its backends");
        for key in missing {
            assert!(stderr.contains(key), "{binary} names {key}: {stderr}");
        }
        assert!(stderr.contains("SHOP_EMBEDDED=true"), "{binary} says how to run embedded: {stderr}");
    }
    // Said explicitly, a service runs on its in-memory stand-ins; `healthcheck` (the
    // images' probe command) asks the running one.
    let env = [
        ("SHOP_EMBEDDED", "true".to_owned()),
        ("SHOP_GRPC__PORT", free_port().to_string()),
        ("SHOP_METRICS__PORT", free_port().to_string()),
    ];
    let healthcheck = |binary: &str, env: &[(&str, String)]| {
        let mut command = std::process::Command::new(shop_e2e::binary(binary));
        command.arg("healthcheck").envs(env.iter().map(|(k, v)| (k, v)));
        command.status().unwrap().success()
    };
    let mut inventory = Process::spawn("shop-inventory", &env);
    let healthy =
        shop_test_support::eventually(Duration::from_secs(10), || async { healthcheck("shop-inventory", &env) }).await;
    assert!(healthy, "the embedded inventory serves");
    let gateway_env = [
        ("SHOP_EMBEDDED", "true".to_owned()),
        ("SHOP_HTTP__HOST", "127.0.0.1".to_owned()),
        ("SHOP_HTTP__PORT", free_port().to_string()),
        ("SHOP_SERVICE_SECRET", "a-client-secret-long-enough-to-be-accepted".to_owned()),
    ];
    assert!(!healthcheck("shop-gateway", &gateway_env), "no gateway runs yet");
    let mut gateway = Process::spawn("shop-gateway", &gateway_env);
    let ready =
        shop_test_support::eventually(Duration::from_secs(10), || async { healthcheck("shop-gateway", &gateway_env) })
            .await;
    assert!(ready, "the gateway's healthcheck follows its readiness");
    for process in [&mut gateway, &mut inventory] {
        let status = process.signal_and_wait("TERM", Duration::from_secs(30));
        assert!(status.success(), "exited with {status}");
    }
    assert!(!healthcheck("shop-inventory", &env), "a stopped service is not healthy");
}
