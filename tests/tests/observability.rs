//! What an operator watches, checked against a running fleet: every metric a shipped
//! dashboard or alert rule queries is exported by some binary, every binary's metrics
//! carry its `service` label with its process figures and build, and a checkout moves
//! the business figures.

use std::{collections::BTreeSet, time::Duration};

use shop_e2e::{
    commerce::{add_to_cart, checkout, customer, key, product_with_stock, vendor},
    fleet::{Fleet, Options, SERVICES},
};
use shop_test_support::http;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
/// Metrics that come from elsewhere (kube-state-metrics), not from the shop's binaries.
const EXTERNAL: [&str; 1] = ["kube_deployment_status_replicas_unavailable"];

/// The metric names a PromQL expression reads: identifiers outside selectors, ranges,
/// strings and grouping lists that are neither functions, keywords nor recording rules.
fn metric_names(expr: &str) -> BTreeSet<String> {
    const KEYWORDS: [&str; 11] =
        ["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"];
    // `sum by (x) (…)`: an aggregation is not followed by its parenthesis.
    const AGGREGATIONS: [&str; 12] = [
        "sum",
        "min",
        "max",
        "avg",
        "count",
        "group",
        "stddev",
        "stdvar",
        "topk",
        "bottomk",
        "quantile",
        "count_values",
    ];
    let mut plain = String::new();
    let mut skip: Option<char> = None;
    for c in expr.chars() {
        match (skip, c) {
            (None, '{') => skip = Some('}'),
            (None, '[') => skip = Some(']'),
            (None, '"') => skip = Some('"'),
            (Some(end), c) if c == end => {
                skip = None;
                plain.push(' ');
            }
            (Some(_), _) => {}
            (None, c) => plain.push(c),
        }
    }
    let mut names = BTreeSet::new();
    let mut rest = plain.as_str();
    let mut grouping = false;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$') {
        rest = &rest[start..];
        let end =
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '$')).unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        let next = after.trim_start().chars().next();
        if grouping {
            // `by (a, b)`: skip to the closing parenthesis.
            rest = after.split_once(')').map_or("", |(_, r)| r);
            grouping = false;
            continue;
        }
        if KEYWORDS.contains(&word) {
            grouping = matches!(word, "by" | "without" | "on" | "ignoring" | "group_left" | "group_right")
                && next == Some('(');
        } else if next != Some('(') && !AGGREGATIONS.contains(&word) && !word.contains(':') && !word.starts_with('$') {
            names.insert(word.to_owned());
        }
        rest = after;
    }
    names
}

/// Every expression of the shipped dashboards and alert rules.
fn shipped_queries() -> Vec<(String, String)> {
    let mut queries = Vec::new();
    for entry in std::fs::read_dir(format!("{ROOT}/helm/shop/dashboards")).unwrap() {
        let path = entry.unwrap().path();
        let board: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for panel in board["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap() {
                let name = format!("{} / {}", path.file_name().unwrap().to_string_lossy(), panel["title"]);
                queries.push((name, target["expr"].as_str().unwrap().to_owned()));
            }
        }
    }
    let rules = std::fs::read_to_string(format!("{ROOT}/helm/shop/alerts/shop.rules.yml")).unwrap();
    // `expr:` values, single-line or block (`expr: |` and the indented lines after it).
    let mut lines = rules.lines().peekable();
    while let Some(line) = lines.next() {
        let Some((indent, expr)) = line.split_once("expr:") else { continue };
        let mut text = expr.trim().trim_start_matches('|').to_owned();
        while let Some(next) = lines.peek() {
            if next.len() - next.trim_start().len() <= indent.len() || next.trim().is_empty() {
                break;
            }
            text.push(' ');
            text.push_str(lines.next().unwrap().trim());
        }
        queries.push(("shop.rules.yml".to_owned(), text));
    }
    queries
}

#[test]
fn the_query_reader_finds_metrics_and_nothing_else() {
    let expr = r#"histogram_quantile(0.95, sum by (service, le) (rate(grpc_server_request_duration_seconds_bucket{service="$service", le="0.5"}[$__rate_interval]))) / ignoring(x) up and service:request_errors:ratio_rate5m > (14.4 * 0.001)"#;
    let names: Vec<String> = metric_names(expr).into_iter().collect();
    assert_eq!(names, ["grpc_server_request_duration_seconds_bucket", "up"]);
}

/// The metric names `text` (a Prometheus scrape) exports, with each family's series names.
fn exported(text: &str, into: &mut BTreeSet<String>) {
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let name = line.split(['{', ' ']).next().unwrap();
        into.insert(name.to_owned());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_and_alert_reads_metrics_the_fleet_exports() {
    let _one = Fleet::exclusive().await;
    let fleet = Fleet::start(Options { no_demo_data: true, ..Options::default() }).await;
    let (api, admin) = (fleet.api.clone(), fleet.admin().await);
    // A paid checkout, so the business figures have moved.
    let seller = vendor(&api, &admin).await;
    let sku = product_with_stock(&api, &seller, 1250, 5).await;
    let buyer = customer(&api).await;
    add_to_cart(&api, &buyer, &sku, 2).await;
    let placed = checkout(&api, &buyer, &key(), "tok_visa").await;
    assert_eq!(placed.status, 201, "{}", placed.text);

    let client = http();
    let mut scrapes = vec![("gateway", format!("{}/metrics", fleet.base))];
    for name in SERVICES {
        scrapes.extend(fleet.metrics_urls(name).into_iter().map(|url| (name, url)));
    }
    // The sampled figures (outbox, dead letters, pools) are read every few seconds.
    tokio::time::sleep(shop_service_kit::figures::SAMPLE_EVERY + Duration::from_secs(1)).await;
    let mut names = BTreeSet::new();
    let mut texts = Vec::new();
    for (service, url) in &scrapes {
        let text = client.get(url).send().await.unwrap().text().await.unwrap();
        let label = format!(r#"service="{service}""#);
        assert!(text.contains("shop_build_info{") && text.contains(&label), "{service} names itself");
        assert!(text.contains("process_resident_memory_bytes{"), "{service} exports its process figures");
        exported(&text, &mut names);
        texts.push(text);
    }
    let missing: Vec<String> = shipped_queries()
        .into_iter()
        .flat_map(|(place, expr)| metric_names(&expr).into_iter().map(move |m| (place.clone(), m)).collect::<Vec<_>>())
        .filter(|(_, metric)| !names.contains(metric) && !EXTERNAL.contains(&metric.as_str()) && metric != "up")
        .map(|(place, metric)| format!("{place}: {metric}"))
        .collect();
    assert!(missing.is_empty(), "queried but exported by no binary: {missing:#?}");

    // The checkout shows in order's and payment's figures.
    let all = texts.join("\n");
    let figure = |name, labels: &[(&str, &str)]| shop_test_support::metric(&all, name, labels);
    assert_eq!(figure("shop_orders_paid_total", &[("service", "order")]), Some(1.0), "one order paid");
    assert_eq!(figure("shop_revenue_minor_units_total", &[("currency", "USD")]), Some(2500.0), "its revenue");
    assert_eq!(figure("shop_payment_charges_total", &[("outcome", "succeeded")]), Some(1.0), "one charge");
    assert_eq!(figure("shop_orders_cancelled_total", &[("reason", "out_of_stock")]), Some(0.0), "reasons from zero");
    fleet.stop(&[]);
}
