//! Catalog search routes: the search with its filters and facets, and suggestions.

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use shop_proto::catalog::v1 as pb;
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::Authenticated,
    error::{Problem, ProblemBody},
    routes::{Page, PageQuery, as_caller, products::ProductView},
    state::State,
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Full-text query (name, tags, description).
    pub q: Option<String>,
    /// A category id; its sub-categories are included.
    pub category: Option<String>,
    pub tag: Option<String>,
    /// Lowest variant price at least this (minor units).
    pub min_price: Option<i64>,
    /// Lowest variant price at most this (minor units).
    pub max_price: Option<i64>,
    /// Only products inventory reports as available.
    pub in_stock: Option<bool>,
    /// Only this vendor's products (a vendor id).
    pub vendor: Option<String>,
    /// Attribute values the products must all have: `name:value` pairs separated by
    /// commas, e.g. `color:red,size:L`.
    pub attr: Option<String>,
    /// `true` to count all the matches by category, tag, attribute value, price band and
    /// stock (`facets` in the answer).
    pub facets: Option<bool>,
    /// `relevance` (default), `price_asc`, `price_desc`, `newest`, `rating`.
    pub sort: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// The previous page's `next_cursor` (instead of `page`).
    pub cursor: Option<String>,
}

/// How many matches have one value of what a search can be narrowed by.
#[derive(Serialize, ToSchema)]
pub struct FacetCountView {
    pub value: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct AttributeFacetView {
    pub name: String,
    pub values: Vec<FacetCountView>,
}

/// Matches whose lowest price is in `[from, to)` (minor units; null: open-ended).
#[derive(Serialize, ToSchema)]
pub struct PriceBandView {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub count: u64,
}

/// How all the matches of a search spread (not just this page's).
#[derive(Serialize, ToSchema)]
pub struct FacetsView {
    /// By category id (the category each product is filed under).
    pub categories: Vec<FacetCountView>,
    pub tags: Vec<FacetCountView>,
    pub attributes: Vec<AttributeFacetView>,
    pub prices: Vec<PriceBandView>,
    /// Matches with a variant in stock.
    pub in_stock: u64,
}

fn counts(values: Vec<pb::FacetCount>) -> Vec<FacetCountView> {
    values.into_iter().map(|c| FacetCountView { value: c.value, count: c.count }).collect()
}

impl From<pb::Facets> for FacetsView {
    fn from(f: pb::Facets) -> Self {
        Self {
            categories: counts(f.categories),
            tags: counts(f.tags),
            attributes: f
                .attributes
                .into_iter()
                .map(|a| AttributeFacetView { name: a.name, values: counts(a.values) })
                .collect(),
            prices: f.prices.into_iter().map(|b| PriceBandView { from: b.from, to: b.to, count: b.count }).collect(),
            in_stock: f.in_stock,
        }
    }
}

/// A page of search results.
#[derive(Serialize, ToSchema)]
pub struct SearchPage {
    #[serde(flatten)]
    pub page: Page<ProductView>,
    /// Present when asked for (`facets=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<FacetsView>,
}

/// `color:red,size:L` as `["color=red", "size=L"]`.
fn attribute_filters(given: Option<&str>) -> Result<Vec<String>, Problem> {
    let Some(given) = given.filter(|g| !g.is_empty()) else { return Ok(Vec::new()) };
    given
        .split(',')
        .map(|pair| match pair.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => Ok(format!("{}={}", name.trim(), value.trim())),
            _ => Err(Problem::invalid("attr", "must be name:value pairs separated by commas")),
        })
        .collect()
}

/// Searches the catalog: full text (typos forgiven, the last word as a prefix), filters,
/// sorts and, when asked, facet counts. The public sees active products; a vendor also its
/// own drafts.
#[utoipa::path(tag = "catalog", params(SearchParams), responses(
    (status = 200, body = SearchPage),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/products")]
pub async fn search_products(
    state: web::Data<State>,
    caller: Option<Authenticated>,
    query: web::Query<SearchParams>,
) -> Result<HttpResponse, Problem> {
    let p = query.into_inner();
    let sort = match p.sort.as_deref().unwrap_or("relevance") {
        "relevance" => pb::SearchSort::Relevance,
        "price_asc" => pb::SearchSort::PriceAsc,
        "price_desc" => pb::SearchSort::PriceDesc,
        "newest" => pb::SearchSort::Newest,
        "rating" => pb::SearchSort::Rating,
        _ => return Err(Problem::invalid("sort", "must be relevance, price_asc, price_desc, newest or rating")),
    };
    let page = PageQuery { page: p.page, per_page: p.per_page, cursor: p.cursor }.validate()?;
    let message = pb::SearchProductsRequest {
        vendor_id: p.vendor.unwrap_or_default(),
        attributes: attribute_filters(p.attr.as_deref())?,
        facets: p.facets.unwrap_or(false),
        query: p.q.unwrap_or_default(),
        category_id: p.category.unwrap_or_default(),
        tag: p.tag.unwrap_or_default(),
        min_price: p.min_price,
        max_price: p.max_price,
        in_stock: p.in_stock.unwrap_or(false),
        sort: sort.into(),
        page: Some(page),
    };
    let found =
        state.clients.catalog.clone().search_products(as_caller(caller.as_ref().map(|c| &c.0), message)).await?;
    let found = found.into_inner();
    let info = found.page.unwrap_or_default();
    let page = Page::new(found.products.into_iter().map(ProductView::from).collect(), &info);
    Ok(HttpResponse::Ok().json(SearchPage { page, facets: found.facets.map(FacetsView::from) }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SuggestParams {
    /// What has been typed so far (the last word may be unfinished).
    pub q: String,
    /// At most 20; 8 when not given.
    pub limit: Option<u32>,
}

/// One suggestion: a product's name and where it is.
#[derive(Serialize, ToSchema)]
pub struct SuggestionView {
    pub product_id: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct Suggestions {
    pub items: Vec<SuggestionView>,
}

/// Search as you type: names of active products matching what has been typed so far.
#[utoipa::path(tag = "catalog", params(SuggestParams), responses(
    (status = 200, body = Suggestions),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/search/suggest")]
pub async fn suggest_products(
    state: web::Data<State>,
    query: web::Query<SuggestParams>,
) -> Result<HttpResponse, Problem> {
    let p = query.into_inner();
    if p.limit == Some(0) {
        return Err(Problem::invalid("limit", "must be at least 1"));
    }
    let request = pb::SuggestProductsRequest { query: p.q, limit: p.limit.unwrap_or_default() };
    let found = state.clients.catalog.clone().suggest_products(request).await?.into_inner();
    let items =
        found.suggestions.into_iter().map(|s| SuggestionView { product_id: s.product_id, name: s.name }).collect();
    Ok(HttpResponse::Ok().json(Suggestions { items }))
}
