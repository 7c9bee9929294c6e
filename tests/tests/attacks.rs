//! The attack table of the trust boundary, replayed on the all-in-one platform and on the
//! fleet (each service its own process, real RabbitMQ, Redis and the MongoDB stand-in): a
//! customer at the services' gRPC ports, a customer with only the REST API, and the
//! container image's default command.

use std::time::Duration;

use serde_json::json;
use shop_e2e::{
    Process, Running,
    commerce::{Shop, a_customer_at_the_grpc_ports_changes_nothing, token},
    fleet::{Fleet, Options},
    services::Services,
};

/// The platform with sign-in limits out of the way: the scenario registers several
/// customers from one address.
async fn platform() -> Running {
    let mut settings = shop::Settings::ephemeral();
    let generous = shop_gateway::ratelimit::Limit { per_minute: 100_000, burst: 10_000 };
    settings.rate_limits.auth = generous;
    settings.rate_limits.anonymous = generous;
    Running::start_with(&settings).await
}

#[tokio::test]
async fn on_the_all_in_one_a_customer_at_the_grpc_ports_changes_nothing() {
    let app = platform().await;
    let admin = token(&app.api, "admin@shop.local", "admin-demo-password").await;
    let services = Services::of(&app.platform);
    a_customer_at_the_grpc_ports_changes_nothing(&Shop::new(&app.api, admin, &services), &services).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_fleet_a_customer_at_the_grpc_ports_changes_nothing() {
    let _one = Fleet::exclusive().await;
    let fleet = Fleet::start(Options { no_demo_data: true, ..Options::default() }).await;
    let services = fleet.services();
    let shop = Shop::new(&fleet.api, fleet.admin().await, &services);
    a_customer_at_the_grpc_ports_changes_nothing(&shop, &services).await;
    fleet.stop(&[]);
}

/// The image's `ENV` settings and its default command, read from `deploy/Dockerfile`.
fn image_defaults() -> (Vec<(String, String)>, String) {
    let dockerfile = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/Dockerfile")).unwrap();
    let runtime = dockerfile.rsplit("\nFROM ").next().unwrap();
    let env = runtime
        .lines()
        .filter_map(|l| l.strip_prefix("ENV "))
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let cmd = runtime.lines().find_map(|l| l.strip_prefix("CMD [\"")).unwrap();
    (env, cmd.split('"').next().unwrap().to_owned())
}

#[tokio::test]
async fn the_images_default_command_starts_no_demo_shop_on_a_public_address() {
    let (mut env, command) = image_defaults();
    assert!(env.iter().any(|(k, v)| k == "SHOP_HTTP__HOST" && v == "0.0.0.0"), "{env:?}");
    // As the image runs it, on ports of its own.
    env.push(("SHOP_HTTP__PORT".into(), shop_test_support::free_port().to_string()));
    env.push(("SHOP_GRPC_BASE_PORT".into(), "0".into()));
    env.push(("SHOP_METRICS_BASE_PORT".into(), "0".into()));
    env.push(("RUST_BACKTRACE".into(), "0".into()));
    let mut shop = Process::spawn(&command, &env);
    let status = shop.wait(Duration::from_secs(30)).expect("it refuses to start");
    assert!(!status.success(), "the all-in-one on 0.0.0.0 without an admin and a webhook secret must not run");
}

#[tokio::test]
async fn on_a_public_address_the_demo_webhook_secret_moves_no_money() {
    let mut public = shop::Settings::ephemeral();
    public.http = shop_platform::settings::Listen::any(0);
    public.admin_email = Some("owner@shop.example".into());
    public.admin_password = Some(shop_platform::settings::Secret::new("a long owner passphrase"));
    public.payment_webhook_secret = Some(shop_platform::settings::Secret::new("whsec_of_this_public_shop"));
    let app = Running::start_with(&public).await;
    let refund = json!({"id": format!("evt_{}", uuid::Uuid::now_v7().simple()), "type": "charge.refunded",
        "data": {"order_id": uuid::Uuid::now_v7().to_string(), "amount": 100}})
    .to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let signature = shop_payment::webhook::sign(shop::DEMO_WEBHOOK_SECRET.as_bytes(), now, refund.as_bytes());
    let res = app
        .api
        .client
        .post(format!("{}/api/v1/payments/webhook", app.api.base))
        .header("content-type", "application/json")
        .header("payment-signature", signature)
        .body(refund)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "the demo secret signs nothing on a public shop");
    app.stop().await;
}
