//! Checkout throughput and latency: `customers` signed-in customers each fill a one-line
//! cart and check out, again and again, for `seconds`; prints orders/s and the p50/p99 of
//! `POST /api/v1/orders`. Against the all-in-one binary or the fleet (real MongoDB
//! stand-in, RabbitMQ and Redis), both from this target directory's release build.
//!
//! `cargo run --release -p shop-e2e --example checkout_bench -- <all-in-one|fleet> [customers] [seconds]`
//! (`scripts/bench checkout` runs both.)

use std::time::{Duration, Instant};

use shop_e2e::{
    Api, Process,
    commerce::{add_to_cart, checkout, customer, key, product_with_stock, token, vendor},
    fleet::{Fleet, Options},
    wait_for_status,
};

const UNLIMITED: &str = "100000000";

async fn all_in_one() -> (Process, Api) {
    let port = shop_test_support::free_port();
    let mut env = vec![
        ("SHOP_HTTP__PORT", port.to_string()),
        ("SHOP_GRPC_BASE_PORT", "0".to_owned()),
        ("SHOP_METRICS_BASE_PORT", "0".to_owned()),
    ];
    for limit in ["ANONYMOUS", "USER", "AUTH"] {
        for field in ["PER_MINUTE", "BURST"] {
            let key: &'static str = Box::leak(format!("SHOP_RATE_LIMITS__{limit}__{field}").into_boxed_str());
            env.push((key, UNLIMITED.to_owned()));
        }
    }
    let process = Process::spawn("shop", &env);
    let api = Api::new(format!("http://127.0.0.1:{port}"));
    assert!(wait_for_status(&api.client, &format!("{}/readyz", api.base), 200, Duration::from_secs(30)).await);
    (process, api)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map_or("all-in-one", String::as_str);
    let customers: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(32);
    let seconds: u64 = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(10);

    let (_process, _fleet, api, admin) = match mode {
        "all-in-one" => {
            let (process, api) = all_in_one().await;
            let admin = token(&api, "admin@shop.local", "admin-demo-password").await;
            (Some(process), None, api, admin)
        }
        "fleet" => {
            let guard = Fleet::exclusive().await;
            let fleet = Fleet::start(Options { no_demo_data: true, ..Options::default() }).await;
            let (api, admin) = (fleet.api.clone(), fleet.admin().await);
            (None, Some((guard, fleet)), api, admin)
        }
        other => panic!("unknown mode {other}: all-in-one or fleet"),
    };
    let seller = vendor(&api, &admin).await;
    let sku = product_with_stock(&api, &seller, 1999, 1_000_000_000).await;
    let buyers = futures::future::join_all((0..customers).map(|_| customer(&api))).await;

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let runs = buyers.iter().map(|buyer| {
        let (api, sku) = (&api, &sku);
        async move {
            let (mut latencies, mut failed) = (Vec::new(), 0usize);
            while Instant::now() < deadline {
                add_to_cart(api, buyer, sku, 1).await;
                let started = Instant::now();
                let order = checkout(api, buyer, &key(), "tok_visa").await;
                if order.status == 201 {
                    latencies.push(started.elapsed());
                } else {
                    failed += 1;
                }
            }
            (latencies, failed)
        }
    });
    let started = Instant::now();
    let results = futures::future::join_all(runs).await;
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies: Vec<Duration> = results.iter().flat_map(|(l, _)| l.iter().copied()).collect();
    let failed: usize = results.iter().map(|(_, f)| f).sum();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)].as_secs_f64() * 1e3;
    println!(
        "checkout {mode}: {customers} customers, {seconds} s: {} orders ({:.0} orders/s), p50 {:.1} ms, p99 {:.1} ms, \
         {failed} failed",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        at(0.50),
        at(0.99),
    );
}
