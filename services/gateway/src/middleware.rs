//! Per-request plumbing: request id, server span (parented on the caller's W3C trace
//! context), access log and RED metrics per route.

use std::time::Instant;

use actix_web::{
    Error,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    web,
};
use shop_platform::{
    metrics::RedMetrics,
    trace_context::{set_parent, trace_id},
};
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Reads W3C trace context from actix's header map.
struct Headers<'a>(&'a actix_web::http::header::HeaderMap);

impl opentelemetry::propagation::Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// An error the web framework answered in its own words (plain text) becomes a problem
/// document like every other error; JSON answers (problems, readiness) pass unchanged.
fn as_problem(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let json = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("application/problem+json"));
    if json || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let problem = crate::error::Problem::for_status(status);
    res.into_response(actix_web::ResponseError::error_response(&problem))
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| acceptable(id))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
    let method = req.method().as_str().to_owned();
    // Route templates, never raw paths, keep label sets and span names bounded.
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let span = tracing::info_span!(
        "http.request",
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        http.method = %method,
        http.route = %route,
        request_id = %request_id,
        trace_id = tracing::field::Empty,
        http.status_code = tracing::field::Empty,
        user_id = tracing::field::Empty,
    );
    set_parent(&span, &Headers(req.headers()));
    if let Some(id) = trace_id(&span) {
        span.record("trace_id", id);
    }
    let metrics = req.app_data::<web::Data<RedMetrics>>().cloned();
    // The inner middleware answer errors themselves, so every response passes here.
    let mut res = as_problem(next.call(req).instrument(span.clone()).await?.map_into_boxed_body());
    let status = res.status();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    let elapsed = started.elapsed();
    if let Some(metrics) = metrics {
        metrics.observe(&[&method, &route], status.as_str(), elapsed);
    }
    span.record("http.status_code", status.as_u16());
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), elapsed_ms = elapsed.as_millis(), "request failed");
        } else {
            tracing::debug!(status = status.as_u16(), elapsed_ms = elapsed.as_millis(), "request served");
        }
    });
    Ok(res)
}
