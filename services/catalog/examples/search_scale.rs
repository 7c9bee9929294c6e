//! How the search engine's cost grows with the catalog: builds an index of `n` generated
//! products (the demo catalog's lines, names, materials and categories, with varied words,
//! prices, 1–5 variants, stock and dates), then runs each kind of search from 16 threads
//! for a few seconds and prints req/s, p50 and p99 (every search worked out anew: nothing
//! kept between identical searches), the build time and the process's RSS.
//!
//! `cargo run --release -p shop-catalog --example search_scale -- 1000 10000 100000`
//!
//! With `--build-only`, it times what a catalog does at start instead: the index built
//! from a product store holding `n` products (`IndexedProducts::open`), a batch at a time.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use shop_catalog::{
    domain::{CategoryId, Product, ProductId, SearchQuery, SearchSort, Sku, Visibility},
    search_index::SearchIndex,
    seed::demo_products,
    storage::{IndexedProducts, MemoryProductStore, ProductStore},
};

const THREADS: usize = 16;
const RUN: Duration = Duration::from_secs(3);
const WORDS: [&str; 40] = [
    "classic",
    "modern",
    "rustic",
    "vintage",
    "compact",
    "deluxe",
    "organic",
    "handmade",
    "nordic",
    "urban",
    "travel",
    "studio",
    "garden",
    "coastal",
    "alpine",
    "heritage",
    "everyday",
    "premium",
    "lightweight",
    "sturdy",
    "linen",
    "walnut",
    "copper",
    "ceramic",
    "merino",
    "canvas",
    "bamboo",
    "marble",
    "leather",
    "glass",
    "oak",
    "stoneware",
    "cotton",
    "wool",
    "brass",
    "slate",
    "rattan",
    "velvet",
    "cork",
    "jute",
];

/// A small deterministic generator (no dependency for it).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % below.max(1)
    }
}

fn generate(n: usize) -> Vec<Product> {
    let templates = demo_products();
    let mut rng = Lcg(42);
    (0..n)
        .map(|i| {
            let mut p = templates[i % templates.len()].clone();
            p.id = ProductId::new();
            let (a, b) = (WORDS[rng.next(WORDS.len())], WORDS[rng.next(WORDS.len())]);
            p.name = format!("{a} {} {i}", p.name);
            p.description = format!("{} Also {b} and {a}.", p.description);
            let variants = 1 + rng.next(5);
            let base = p.variants[0].clone();
            p.variants = (0..variants)
                .map(|v| {
                    let mut variant = base.clone();
                    variant.sku = Sku::parse(&format!("G{i}-{v}")).expect("valid sku");
                    variant.price.amount = 500 + (rng.next(40_000) as i64);
                    variant
                })
                .collect();
            p.stock = p.variants.iter().map(|v| (v.sku.clone(), rng.next(20) as i64)).collect();
            p.created_at += time::Duration::minutes(i as i64);
            p
        })
        .collect()
}

fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().split(' ').next()?.parse::<u64>().ok());
    kb.unwrap_or(0) / 1024
}

/// What one request of a kind asks of the index.
#[derive(Clone, Copy)]
enum Ask {
    Page,
    Facets,
    Suggest,
}

fn measure(index: &Arc<SearchIndex>, query: &SearchQuery, ask: Ask) -> (f64, Duration, Duration) {
    let deadline = Instant::now() + RUN;
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (index, query) = (index.clone(), query.clone());
            std::thread::spawn(move || {
                let mut took = Vec::new();
                while Instant::now() < deadline {
                    let started = Instant::now();
                    match ask {
                        Ask::Page => drop(index.search(&query).expect("search")),
                        Ask::Facets => drop(index.facets(&query).expect("facets")),
                        Ask::Suggest => drop(index.suggest(&query.terms.join(" "), 8).expect("suggest")),
                    }
                    took.push(started.elapsed());
                }
                took
            })
        })
        .collect();
    let mut all: Vec<Duration> = threads.into_iter().flat_map(|t| t.join().expect("thread")).collect();
    all.sort();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    (all.len() as f64 / RUN.as_secs_f64(), at(0.5), at(0.99))
}

/// Times the start-up build of an index over a store of each size.
fn build_only(sizes: &[usize]) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!("{:>8} | {:>12} | {:>7}", "products", "index build", "RSS MiB");
    for &n in sizes {
        runtime.block_on(async {
            let store = Arc::new(MemoryProductStore::new(shop_messaging::outbox::MemoryOutbox::default()));
            for p in generate(n) {
                store.insert(&p, &[]).await.expect("insert");
            }
            let started = Instant::now();
            let indexed = IndexedProducts::open(store).await.expect("index built");
            let took = started.elapsed();
            println!("{n:>8} | {:>10.2} s | {:>7}", took.as_secs_f64(), rss_mib());
            drop(indexed);
        });
    }
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1_000, 10_000, 100_000] } else { sizes };
    if std::env::args().any(|a| a == "--build-only") {
        build_only(&sizes);
        return;
    }
    println!(
        "{THREADS} threads, {} s per search kind, this machine's {} cores",
        RUN.as_secs(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:>8} | {:>9} | {:>7} | {:<28} | {:>8} | {:>9} | {:>9}",
        "products", "build", "RSS MiB", "search", "req/s", "p50", "p99"
    );
    for n in sizes {
        let products = generate(n);
        let category: CategoryId =
            products[0].category_id.as_deref().and_then(|c| c.parse().ok()).expect("demo category");
        let index = Arc::new(SearchIndex::new().expect("index").keeping(0));
        let started = Instant::now();
        for p in &products {
            index.upsert(p).expect("upsert");
        }
        index.commit().expect("commit");
        let build = started.elapsed();
        drop(products);
        let rss = rss_mib();
        let all = SearchQuery { visibility: Visibility::Public, ..SearchQuery::words("") };
        let kinds: Vec<(&str, SearchQuery, Ask)> = vec![
            ("full text 'merino hoodie'", SearchQuery::words("merino hoodie"), Ask::Page),
            ("typo + prefix 'marino hood'", SearchQuery::words("marino hood"), Ask::Page),
            (
                "category by price",
                SearchQuery { categories: Some(vec![category]), sort: SearchSort::PriceAsc, ..all.clone() },
                Ask::Page,
            ),
            (
                "price range by rating",
                SearchQuery { min_price: Some(2_000), max_price: Some(6_000), sort: SearchSort::Rating, ..all.clone() },
                Ask::Page,
            ),
            (
                "deep page (offset 900), newest",
                SearchQuery { offset: 900.min(n as u64 / 2), sort: SearchSort::Newest, ..all.clone() },
                Ask::Page,
            ),
            ("facets of a full text search", SearchQuery::words("merino"), Ask::Facets),
            ("suggest 'walnut ser'", SearchQuery::words("walnut ser"), Ask::Suggest),
        ];
        for (i, (name, query, ask)) in kinds.iter().enumerate() {
            let (rate, p50, p99) = measure(&index, query, *ask);
            let (build, rss) = if i == 0 {
                (format!("{:.2} s", build.as_secs_f64()), rss.to_string())
            } else {
                (String::new(), String::new())
            };
            println!(
                "{n:>8} | {build:>9} | {rss:>7} | {name:<28} | {rate:>8.0} | {:>7.2}ms | {:>7.2}ms",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3
            );
        }
    }
}
