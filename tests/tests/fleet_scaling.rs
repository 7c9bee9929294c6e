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

use serde_json::json;
use shop_e2e::{
    commerce::{self, add_to_cart, checkout, customer, product_with_stock, vendor},
    fleet::{Fleet, Options, REPLICAS},
};
use shop_proto::catalog::v1::{SearchProductsRequest, catalog_service_client::CatalogServiceClient};
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

type Catalog = CatalogServiceClient<shop_service_kit::Upstream>;

/// Each catalog replica's search, called as the gateway calls it.
fn replica_search(fleet: &Fleet) -> Vec<Catalog> {
    let port = fleet.ports[Fleet::index("catalog")].grpc;
    REPLICAS
        .iter()
        .map(|host| {
            let mut services = fleet.services();
            services.urls.retain(|(name, _)| *name != "catalog");
            services.urls.push(("catalog", format!("http://{host}:{port}")));
            CatalogServiceClient::new(services.channel_as("gateway", "catalog"))
        })
        .collect()
}

/// What each replica's search answers: the matches' names and lowest prices.
async fn found(replicas: &[Catalog], request: &SearchProductsRequest) -> Vec<Vec<(String, i64)>> {
    let mut answers = Vec::new();
    for replica in replicas {
        let reply = replica.clone().search_products(request.clone()).await.expect("search").into_inner();
        let prices = reply.products.iter().map(|p| {
            let lowest = p.variants.iter().filter_map(|v| v.price.as_ref().map(|m| m.amount)).min().unwrap_or_default();
            (p.name.clone(), lowest)
        });
        answers.push(prices.collect());
    }
    answers
}

/// Asserts that every replica answers `request` with `expected` within a second.
async fn converged(replicas: &[Catalog], request: &SearchProductsRequest, expected: &[(String, i64)]) {
    let within = shop_test_support::eventually(Duration::from_secs(1), || async {
        found(replicas, request).await.iter().all(|answer| answer == expected)
    });
    let ok = within.await;
    assert!(ok, "both replicas answer {expected:?} within a second: {:?}", found(replicas, request).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_catalog_replica_searches_what_any_replica_wrote_within_a_second() {
    let _one = Fleet::exclusive().await;
    let options = Options { replicated: Some("catalog"), no_demo_data: true, ..Options::default() };
    let fleet = Fleet::start(options).await;
    let (api, admin) = (fleet.api.clone(), fleet.admin().await);
    let seller = vendor(&api, &admin).await;
    let replicas = replica_search(&fleet);
    let word = format!("zq{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let by_word = SearchProductsRequest { query: word.clone(), ..SearchProductsRequest::default() };

    // Written through the gateway, which hands each write to either replica.
    let name = format!("Replicated {word} Lamp");
    let sku = format!("R-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]).to_uppercase();
    let body = json!({"name": name, "description": "a lamp", "status": "draft",
        "variants": [{"sku": sku, "price": {"amount": 4200, "currency": "USD"}}]});
    let created = api.post("/api/v1/products", Some(&seller), body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let path = format!("/api/v1/products/{}", created.body["id"].as_str().unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(found(&replicas, &by_word).await, [vec![], vec![]], "a draft is found by no replica");

    let published = api.patch(&path, Some(&seller), json!({"status": "active"})).await;
    assert_eq!(published.status, 200, "{}", published.text);
    converged(&replicas, &by_word, &[(name.clone(), 4200)]).await;

    let repriced = json!({"variants": [{"sku": sku, "price": {"amount": 1900, "currency": "USD"}}]});
    assert_eq!(api.patch(&path, Some(&seller), repriced).await.status, 200);
    let cheap = SearchProductsRequest { max_price: Some(2000), ..by_word.clone() };
    converged(&replicas, &cheap, &[(name.clone(), 1900)]).await;

    assert_eq!(api.send(reqwest::Method::DELETE, &path, Some(&seller), None).await.status, 204);
    converged(&replicas, &by_word, &[]).await;
    fleet.stop(&[]);
}
