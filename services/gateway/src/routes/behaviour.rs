//! What shoppers do in the storefront, as its pages report it (`POST /api/v1/events`, for
//! anyone, rate limited per client address), and what the shop learns from it: the funnel
//! from visitors to orders, and what customers search for and do not find. A browser that
//! asks not to be tracked (`DNT: 1`, `Sec-GPC: 1`) is answered alike and counted nowhere.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use shop_proto::analytics::v1 as pb;
use tonic::Request;
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::Authenticated,
    error::{Problem, ProblemBody},
    routes::analytics::RangeQuery,
    state::State,
};

/// The largest batch body, in bytes.
pub const MAX_BATCH_BYTES: usize = 16 * 1024;

/// A batch of what one visitor did.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    /// The browser's own anonymous id for the visitor, kept across visits (16 to 64 letters,
    /// digits, `-` or `_`); counted once a day, kept only hashed.
    pub visitor_id: String,
    /// A new id for each batch (same form): a batch sent again is counted once.
    pub batch_id: String,
    /// 1 to 50 events.
    pub events: Vec<EventIn>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventIn {
    /// `product_viewed`, `search_performed`, `added_to_cart` or `checkout_started`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `product_viewed`, `added_to_cart`: the product's id.
    pub product_id: Option<String>,
    /// `search_performed`: the words (1 to 100 characters) and how many products they found.
    pub query: Option<String>,
    pub results: Option<i64>,
}

/// Whether the browser asked not to be tracked.
fn declined(req: &HttpRequest) -> bool {
    ["dnt", "sec-gpc"].iter().any(|h| req.headers().get(*h).is_some_and(|v| v.as_bytes().trim_ascii() == b"1"))
}

/// Counts a batch of what a visitor did in the storefront: all of it, once, or — when any
/// event is unknown or malformed — none of it (400). No personal data is kept. `DNT: 1` or
/// `Sec-GPC: 1`: answered 204 and counted nowhere.
#[utoipa::path(tag = "analytics", request_body = EventBatch, responses(
    (status = 204, description = "counted (or, for a browser that declines tracking, not)"),
    (status = 400, description = "a malformed, oversized (over 16 KiB or 50 events) or unknown event: nothing counted", body = ProblemBody, content_type = "application/problem+json"),
    (status = 429, description = "too many batches from this address", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/events")]
pub async fn track(state: web::Data<State>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, Problem> {
    if declined(&req) {
        return Ok(HttpResponse::NoContent().finish());
    }
    if body.len() > MAX_BATCH_BYTES {
        return Err(Problem::invalid("body", format!("a batch is at most {MAX_BATCH_BYTES} bytes")));
    }
    let batch: EventBatch = serde_json::from_slice(&body).map_err(|e| Problem::invalid("body", e.to_string()))?;
    let events = batch
        .events
        .into_iter()
        .map(|e| pb::Behaviour {
            r#type: e.kind,
            product_id: e.product_id.unwrap_or_default(),
            query: e.query.unwrap_or_default(),
            results: e.results.unwrap_or_default(),
        })
        .collect();
    let request = pb::TrackRequest { visitor_id: batch.visitor_id, batch_id: batch.batch_id, events };
    state.clients.analytics.clone().track(Request::new(request)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, ToSchema)]
pub struct FunnelStepsView {
    /// Visitors of the storefront (each once a day), of the vendor's products for a vendor.
    pub visitors: i64,
    pub product_views: i64,
    pub added_to_cart: i64,
    /// The shop's only (0 for a vendor: a checkout holds many vendors' products).
    pub checkouts_started: i64,
    pub orders_paid: i64,
}

impl From<Option<pb::FunnelSteps>> for FunnelStepsView {
    fn from(s: Option<pb::FunnelSteps>) -> Self {
        let s = s.unwrap_or_default();
        Self {
            visitors: s.visitors,
            product_views: s.product_views,
            added_to_cart: s.added_to_cart,
            checkouts_started: s.checkouts_started,
            orders_paid: s.orders_paid,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FunnelView {
    pub current: FunnelStepsView,
    /// The period of as many days just before.
    pub previous: FunnelStepsView,
}

/// Visitors → product views → added to cart → checkouts started → orders paid, for a range
/// and the period before it (a vendor: its own products' visitors, views and orders).
#[utoipa::path(tag = "analytics", params(RangeQuery), security(("bearer" = ["admin", "vendor"])), responses(
    (status = 200, body = FunnelView),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/admin/analytics/funnel")]
pub async fn funnel(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(Request::new(query.range()));
    let f = state.clients.analytics.clone().funnel(request).await?.into_inner();
    Ok(HttpResponse::Ok().json(FunnelView { current: f.current.into(), previous: f.previous.into() }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchesQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    /// Entries of each list, 1 to 100 (default 20).
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchTermView {
    /// The words, lowercase (searches that looked like an address or a phone number are
    /// counted but not kept).
    pub query: String,
    pub searches: i64,
    pub without_results: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SearchesView {
    pub searches: i64,
    pub without_results: i64,
    pub top: Vec<SearchTermView>,
    /// What customers look for and do not find, most often first.
    pub not_found: Vec<SearchTermView>,
}

fn term_views(terms: Vec<pb::SearchTerm>) -> Vec<SearchTermView> {
    terms
        .into_iter()
        .map(|t| SearchTermView { query: t.query, searches: t.searches, without_results: t.without_results })
        .collect()
}

/// What customers searched for in a range, and what they looked for and did not find
/// (admin).
#[utoipa::path(tag = "analytics", params(SearchesQuery), security(("bearer" = ["admin"])), responses(
    (status = 200, body = SearchesView),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, description = "not an admin", body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/admin/analytics/searches")]
pub async fn searches(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    query: web::Query<SearchesQuery>,
) -> Result<HttpResponse, Problem> {
    let q = query.into_inner();
    if q.limit == Some(0) {
        return Err(Problem::invalid("limit", "1 to 100"));
    }
    let range =
        pb::ReportRequest { from: q.from.unwrap_or_default(), to: q.to.unwrap_or_default(), vendor_id: String::new() };
    let request = pb::SearchesRequest { range: Some(range), limit: q.limit.unwrap_or_default() };
    let s = state.clients.analytics.clone().searches(caller.authorize(Request::new(request))).await?.into_inner();
    Ok(HttpResponse::Ok().json(SearchesView {
        searches: s.searches,
        without_results: s.without_results,
        top: term_views(s.top),
        not_found: term_views(s.not_found),
    }))
}
