//! A search as the contract asks it, checked and read into the engine's terms; and the
//! facet counts as the contract carries them.

use shop_auth::Caller;
use shop_proto::catalog::v1 as pb;
use shop_service_kit::{Paging, Refusal};

use crate::{
    catalog::{Catalog, visibility},
    domain::{CategoryId, SearchQuery, SearchSort, search::terms},
    error::CatalogError,
    search_index::Facets,
};

/// Suggestions answered unless asked otherwise, and at most.
pub(super) const DEFAULT_SUGGESTIONS: u32 = 8;
pub(super) const MAX_SUGGESTIONS: u32 = 20;
/// Most attribute filters one search may carry.
const MAX_ATTRIBUTE_FILTERS: usize = 10;

/// `name=value` filters, checked.
fn attribute_filters(given: &[String]) -> Result<Vec<(String, String)>, CatalogError> {
    if given.len() > MAX_ATTRIBUTE_FILTERS {
        return Err(Refusal::invalid("attr", format!("at most {MAX_ATTRIBUTE_FILTERS} filters")).into());
    }
    given
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if !name.is_empty() && pair.len() <= 200 => Ok((name.to_owned(), value.to_owned())),
            _ => Err(Refusal::invalid("attr", "each must be name=value (at most 200 characters)").into()),
        })
        .collect()
}

/// The search `r` asks for, a page as `paging` says, seen as `caller` may see.
pub(super) async fn query(
    catalog: &Catalog,
    caller: Option<&Caller>,
    r: &pb::SearchProductsRequest,
    paging: &Paging,
) -> Result<SearchQuery, CatalogError> {
    if r.query.chars().count() > 200 {
        return Err(Refusal::invalid("q", "must be at most 200 characters").into());
    }
    for (field, value) in [("min_price", r.min_price), ("max_price", r.max_price)] {
        if value.is_some_and(|v| v < 0) {
            return Err(Refusal::invalid(field, "must not be negative").into());
        }
    }
    if let (Some(min), Some(max)) = (r.min_price, r.max_price)
        && min > max
    {
        return Err(Refusal::invalid("min_price", "must not exceed max_price").into());
    }
    let categories = if r.category_id.is_empty() {
        None
    } else {
        let root = CategoryId::parse(&r.category_id).map_err(|e| Refusal::invalid("category", e))?;
        Some(catalog.subtree(root).await?)
    };
    let sort = match pb::SearchSort::try_from(r.sort).unwrap_or_default() {
        pb::SearchSort::Unspecified | pb::SearchSort::Relevance => SearchSort::Relevance,
        pb::SearchSort::PriceAsc => SearchSort::PriceAsc,
        pb::SearchSort::PriceDesc => SearchSort::PriceDesc,
        pb::SearchSort::Newest => SearchSort::Newest,
        pb::SearchSort::Rating => SearchSort::Rating,
    };
    let vendor = Some(r.vendor_id.trim().to_owned()).filter(|v| !v.is_empty());
    if vendor.as_ref().is_some_and(|v| v.len() > 64) {
        return Err(Refusal::invalid("vendor", "must be at most 64 characters").into());
    }
    Ok(SearchQuery {
        terms: terms(&r.query),
        categories,
        tag: Some(r.tag.trim().to_lowercase()).filter(|t| !t.is_empty()),
        vendor,
        attributes: attribute_filters(&r.attributes)?,
        min_price: r.min_price,
        max_price: r.max_price,
        in_stock: r.in_stock,
        sort,
        offset: paging.offset(),
        limit: paging.limit(),
        visibility: visibility(caller),
    })
}

pub(super) fn facets_to_proto(f: Facets) -> pb::Facets {
    let counts = |pairs: Vec<(String, u64)>| -> Vec<pb::FacetCount> {
        pairs.into_iter().map(|(value, count)| pb::FacetCount { value, count }).collect()
    };
    let mut attributes: Vec<pb::AttributeFacet> = Vec::new();
    for (name, value, count) in f.attributes {
        let value = pb::FacetCount { value, count };
        match attributes.iter_mut().find(|a| a.name == name) {
            Some(facet) => facet.values.push(value),
            None => attributes.push(pb::AttributeFacet { name, values: vec![value] }),
        }
    }
    pb::Facets {
        categories: counts(f.categories),
        tags: counts(f.tags),
        attributes,
        prices: f.prices.into_iter().map(|b| pb::PriceBand { from: b.from, to: b.to, count: b.count }).collect(),
        in_stock: f.in_stock,
    }
}
