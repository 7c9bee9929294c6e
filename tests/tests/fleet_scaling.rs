//! A service scaled out, on real infrastructure: callers spread their calls over its
//! replicas (client-side balancing over the addresses its name resolves to, as with a
//! headless Service), and one replica retired mid-load, as a rolling update does, costs
//! no request.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use shop_e2e::{
    commerce::{self, add_to_cart, checkout, customer, product_with_stock, vendor},
    fleet::{Fleet, Options},
};
use shop_test_support::http;

/// Order prices every cart change and checkout with catalog.
const PRICING: &str = "/shop.catalog.v1.CatalogService/GetProducts";

/// How many calls of `method` a service's metrics count (every outcome).
fn served(metrics: &str, method: &str) -> u64 {
    let label = format!(r#"grpc_method="{method}""#);
    metrics
        .lines()
        .filter(|l| l.starts_with("grpc_server_requests_total{") && l.contains(&label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

async fn pricings_per_replica(fleet: &Fleet) -> Vec<u64> {
    let client = http();
    let mut counts = Vec::new();
    for url in fleet.metrics_urls("catalog") {
        let Ok(res) = client.get(&url).send().await else {
            counts.push(0);
            continue;
        };
        let text = res.text().await.unwrap();
        counts.push(served(&text, PRICING));
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_spread_over_two_replicas_and_retiring_one_mid_load_loses_no_checkout() {
    let _one = Fleet::exclusive().await;
    let options = Options { replicated: Some("catalog"), no_demo_data: true, ..Options::default() };
    let mut fleet = Fleet::start(options).await;
    let (api, admin) = (fleet.api.clone(), fleet.admin().await);
    let seller = vendor(&api, &admin).await;
    let sku = product_with_stock(&api, &seller, 750, 100_000).await;

    // A steady load: customers checking out one order after another.
    let stop = Arc::new(AtomicBool::new(false));
    let shoppers: Vec<_> = (0..6)
        .map(|_| {
            let (api, sku, stop) = (api.clone(), sku.clone(), stop.clone());
            tokio::spawn(async move {
                let buyer = customer(&api).await;
                let mut outcomes = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    add_to_cart(&api, &buyer, &sku, 1).await;
                    let placed = checkout(&api, &buyer, &commerce::key(), "tok_visa").await;
                    outcomes.push((placed.status, placed.body["status"].as_str().unwrap_or_default().to_owned()));
                    if placed.status != 201 {
                        outcomes.push((0, placed.text));
                    }
                }
                outcomes
            })
        })
        .collect();

    let spread = shop_test_support::eventually(Duration::from_secs(30), || async {
        pricings_per_replica(&fleet).await.iter().all(|n| *n >= 5)
    })
    .await;
    eprintln!("DEBUG {:?}", fleet.replica.as_mut().unwrap().0.wait(Duration::from_millis(10)));
    assert!(spread, "both replicas price carts: {:?}", pricings_per_replica(&fleet).await);

    fleet.retire_replica().await;
    let after = pricings_per_replica(&fleet).await[0];
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(pricings_per_replica(&fleet).await[0] > after, "the remaining replica goes on pricing");
    stop.store(true, Ordering::Relaxed);

    let mut placed = 0;
    for shopper in shoppers {
        for (status, detail) in shopper.await.unwrap() {
            assert_eq!((status, detail.as_str()), (201, "paid"), "a checkout failed during the rolling restart");
            placed += 1;
        }
    }
    assert!(placed >= 20, "a steady load ran: {placed} checkouts");
    fleet.stop(&[]);
}
