//! Facets: how all the matches of a search (not one page) spread over what a shopper can
//! narrow it by — categories, tags, attribute values, price bands and stock.

use std::sync::Arc;

use tantivy::{
    Searcher,
    aggregation::{AggContextParams, AggregationCollector, agg_req::Aggregations},
    collector::Count,
};

use super::{Answer, SearchIndex, all_else_any};
use crate::domain::{SearchQuery, SearchSort};

/// Where price bands start, in minor units (the last one is open-ended).
const PRICE_BANDS: [i64; 6] = [0, 2_500, 5_000, 10_000, 25_000, 50_000];
/// Values listed per facet, most frequent first.
const FACET_SIZE: u32 = 30;

/// Counts of a search's matches by what they can be narrowed by.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facets {
    /// Category id → matches filed directly under it.
    pub categories: Vec<(String, u64)>,
    pub tags: Vec<(String, u64)>,
    /// (attribute name, value, matches).
    pub attributes: Vec<(String, String, u64)>,
    pub prices: Vec<PriceBand>,
    /// Matches with a variant in stock.
    pub in_stock: u64,
}

/// Matches whose lowest price is in `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceBand {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub count: u64,
}

fn key_text(key: &serde_json::Value) -> String {
    match key {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl SearchIndex {
    /// How the matches of `q` (all of them, not one page) spread over categories, tags,
    /// attribute values, price bands and stock: what a shopper can narrow the search by.
    pub fn facets(&self, q: &SearchQuery) -> tantivy::Result<Facets> {
        let searcher = self.reader.searcher();
        // Facets count every match, whatever the page or the order.
        let key = format!("facets {:?}", SearchQuery { offset: 0, limit: 0, sort: SearchSort::Relevance, ..q.clone() });
        let answer = self.recall(&searcher, key, || Ok(Answer::Facets(Arc::new(self.facets_now(&searcher, q)?))))?;
        match answer {
            Answer::Facets(facets) => Ok((*facets).clone()),
            _ => Err(tantivy::TantivyError::InternalError("facets kept as something else".into())),
        }
    }

    fn facets_now(&self, searcher: &Searcher, q: &SearchQuery) -> tantivy::Result<Facets> {
        let bands: Vec<serde_json::Value> = PRICE_BANDS
            .windows(2)
            .map(|w| serde_json::json!({ "from": w[0], "to": w[1] }))
            .chain(std::iter::once(serde_json::json!({ "from": PRICE_BANDS[PRICE_BANDS.len() - 1] })))
            .collect();
        let request = serde_json::json!({
            "categories": { "terms": { "field": "category", "size": FACET_SIZE } },
            "tags": { "terms": { "field": "tag", "size": FACET_SIZE } },
            "attributes": { "terms": { "field": "attribute", "size": FACET_SIZE } },
            "stock": { "terms": { "field": "in_stock" } },
            "prices": { "range": { "field": "price", "ranges": bands } },
        });
        let aggregations: Aggregations = serde_json::from_value(request)
            .map_err(|e| tantivy::TantivyError::InvalidArgument(format!("facet request: {e}")))?;
        let (_, results) = all_else_any(q, |mode| {
            let collector = AggregationCollector::from_aggs(aggregations.clone(), AggContextParams::default());
            searcher.search(&self.query(q, mode), &(Count, collector))
        })?;
        let results = serde_json::to_value(&results)
            .map_err(|e| tantivy::TantivyError::InternalError(format!("facet results: {e}")))?;
        let buckets = |name: &str| results[name]["buckets"].as_array().cloned().unwrap_or_default();
        let counts = |name: &str| -> Vec<(String, u64)> {
            buckets(name)
                .iter()
                .map(|b| (key_text(&b["key"]), b["doc_count"].as_u64().unwrap_or(0)))
                .filter(|(_, n)| *n > 0)
                .collect()
        };
        // The range aggregation adds a band below the first one (prices are never negative).
        let prices = buckets("prices")
            .iter()
            .filter(|b| b["from"].is_number())
            .map(|b| PriceBand {
                from: b["from"].as_f64().map(|v| v as i64),
                to: b["to"].as_f64().map(|v| v as i64),
                count: b["doc_count"].as_u64().unwrap_or(0),
            })
            .collect();
        let in_stock = counts("stock").into_iter().find(|(k, _)| k == "true" || k == "1").map_or(0, |(_, n)| n);
        let attributes = counts("attributes")
            .into_iter()
            .filter_map(|(pair, n)| pair.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned(), n)))
            .collect();
        Ok(Facets { categories: counts("categories"), tags: counts("tags"), attributes, prices, in_stock })
    }
}
