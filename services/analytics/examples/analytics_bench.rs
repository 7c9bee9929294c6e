//! How analytics' cost grows with the orders it has counted: generates a shop's year of
//! orders (2,000 products of 50 vendors in a two-level tree of 40 categories, 100,000
//! customers, two currencies; most orders paid and many shipped, some declined, cancelled or
//! refunded), feeds their events — encoded as the bus carries them — through the order
//! consumer into the embedded store, and after 10k, 100k and 1M orders prints the ingest
//! rate and the p50/p99 of every report over the last 90 days, for the shop and a vendor,
//! with the process's RSS.
//!
//! `cargo run --release -p shop-analytics --example analytics_bench -- 10000 100000 1000000`

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use prost::Message as _;
use shop_analytics::{
    domain::{Calendar, Day, Dim},
    ingest::{Ingest, OrderFacts, SalesMetrics},
    reports::{Interval, Range, RankBy, Reports, Scope},
    storage::{MemoryRollupStore, RollupStore},
};
use shop_messaging::{kind, new_event};
use shop_proto::{
    Timestamp,
    common::v1::Money,
    events::v1::{OrderEvent, OrderLineRef},
};
use shop_service_kit::Consumer;

const PRODUCTS: u64 = 2_000;
const VENDORS: u64 = 50;
const CUSTOMERS: u64 = 100_000;
const DAYS: i64 = 365;
/// 2025-01-01 00:00 UTC.
const START: i64 = 1_735_689_600;
const REPORT_RUNS: usize = 200;
/// Orders generated, then fed, at a time.
const CHUNK: u64 = 10_000;

/// A small deterministic generator (the same shop every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

fn categories(product: u64) -> Vec<String> {
    let leaf = product % 32;
    vec![format!("cat-{leaf}"), format!("cat-top-{}", leaf / 4)]
}

/// The events of the `n`-th order (placed at `at`, seconds), in the order they happen.
fn order_events(n: u64, rng: &mut Lcg, at: i64) -> Vec<shop_messaging::Envelope> {
    let currency = if rng.next(5) == 0 { "EUR" } else { "USD" };
    let lines: Vec<OrderLineRef> = (0..=rng.next(3))
        .map(|_| {
            let product = rng.next(PRODUCTS);
            let quantity = 1 + i64::try_from(rng.next(3)).unwrap_or(0);
            let unit = 500 + i64::try_from(product % 97 * 100).unwrap_or(0);
            OrderLineRef {
                sku: format!("SKU-{product}"),
                quantity,
                product_id: format!("product-{product}"),
                vendor_id: format!("vendor-{}", product % VENDORS),
                category_ids: categories(product),
                name: format!("Product {product}"),
                amount: quantity * unit,
            }
        })
        .collect();
    let total = lines.iter().map(|l| l.amount).sum();
    let order = OrderEvent {
        order_id: format!("order-{n}"),
        user_id: format!("customer-{}", rng.next(CUSTOMERS)),
        lines,
        total: Some(Money { amount: total, currency: currency.into() }),
        ..OrderEvent::default()
    };
    let event = |kind: &str, at: i64, charged: bool| {
        let payload = OrderEvent { at: Some(Timestamp { seconds: at, nanos: 0 }), charged, ..order.clone() };
        new_event(kind, "order", &payload)
    };
    let mut events = vec![event(kind::ORDER_PLACED, at, false)];
    match rng.next(100) {
        0..=2 => events.push(event(kind::ORDER_CANCELLED, at, false)),
        roll => {
            events.push(event(kind::ORDER_PAID, at, true));
            match roll {
                3..=4 => events.push(event(kind::ORDER_CANCELLED, at + 3_600, true)),
                5..=7 => {
                    events.push(event(kind::ORDER_SHIPPED, at + 86_400, true));
                    events.push(event(kind::ORDER_REFUNDED, at + 7 * 86_400, true));
                }
                8..=80 => events.push(event(kind::ORDER_SHIPPED, at + 86_400, true)),
                _ => {}
            }
        }
    }
    events
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1));
    kb.and_then(|k| k.parse::<u64>().ok()).unwrap_or(0) / 1024
}

async fn time_report(name: &str, runs: usize, mut report: impl AsyncFnMut()) {
    let mut took = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        report().await;
        took.push(started.elapsed());
    }
    took.sort();
    println!(
        "    {name:<34} p50 {:>8.3} ms   p99 {:>8.3} ms",
        percentile(&took, 0.5).as_secs_f64() * 1e3,
        percentile(&took, 0.99).as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut sizes: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = vec![10_000, 100_000, 1_000_000];
    }
    sizes.sort_unstable();
    let store: Arc<dyn RollupStore> = Arc::new(MemoryRollupStore::default());
    let ingest = Arc::new(Ingest {
        store: store.clone(),
        calendar: Calendar::new("Europe/Berlin")?,
        metrics: SalesMetrics::new(None)?,
    });
    let consumer = OrderFacts(ingest);
    let reports = Reports { store: store.clone() };
    let last = Day::of(jiff::civil::date(2025, 12, 31));
    let range = Range::new(last.plus(-89), last).map_err(anyhow::Error::msg)?;
    let vendor = Scope::Vendor("vendor-7".into());
    let (mut rng, mut fed, mut events, mut feeding) = (Lcg(7), 0_u64, 0_u64, Duration::ZERO);
    println!("analytics: a year of orders, reports over the last 90 days (2025-10-03 .. 2025-12-31)");
    for size in sizes {
        // Orders spread evenly over the year (as if the shop had taken `size` of them), made a
        // chunk at a time so the events waiting to be fed stay few.
        while fed < size {
            let chunk: Vec<_> = (fed..(fed + CHUNK).min(size))
                .flat_map(|n| {
                    let at = START + i64::try_from(n).unwrap_or(0) * DAYS * 86_400 / i64::try_from(size).unwrap_or(1);
                    order_events(n, &mut rng, at.min(START + DAYS * 86_400 - 1))
                })
                .collect();
            let started = Instant::now();
            for envelope in &chunk {
                let decoded = OrderEvent::decode(envelope.payload.as_slice())?;
                consumer.consume(envelope, decoded).await?;
            }
            feeding += started.elapsed();
            events += chunk.len() as u64;
            fed = (fed + CHUNK).min(size);
        }
        println!(
            "\n{fed} orders: {events} events ingested at {:.0} events/s (all-in-one store; target >= 10000); RSS {} MB",
            events as f64 / feeding.as_secs_f64(),
            rss_mb()
        );
        for (who, scope) in [("shop", Scope::Shop), ("vendor", vendor.clone())] {
            println!("  {who}:");
            time_report("summary (with previous period)", REPORT_RUNS, async || {
                reports.summary(&scope, range).await.unwrap();
            })
            .await;
            time_report("series by day", REPORT_RUNS, async || {
                reports.series(&scope, range, Interval::Day).await.unwrap();
            })
            .await;
            time_report("series by week", REPORT_RUNS, async || {
                reports.series(&scope, range, Interval::Week).await.unwrap();
            })
            .await;
            time_report("top products by revenue", REPORT_RUNS, async || {
                reports.top(&scope, Dim::Product, range, RankBy::Revenue, 10).await.unwrap();
            })
            .await;
            time_report("top categories by units", REPORT_RUNS, async || {
                reports.top(&scope, Dim::Category, range, RankBy::Units, 10).await.unwrap();
            })
            .await;
            time_report("customers", REPORT_RUNS, async || {
                reports.customers(&scope, range).await.unwrap();
            })
            .await;
        }
    }
    println!("\ntarget: every report p99 <= 20 ms at 1M orders, flat in the number of orders");
    Ok(())
}
