//! Operational endpoints: liveness, readiness, metrics, the OpenAPI document.

use std::{collections::BTreeMap, time::Duration};

use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use crate::state::State;

/// How long one readiness probe waits for an upstream.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, `ready` or `not_ready`.
    pub status: &'static str,
    /// Per dependency: `serving`, `not_serving` or `unreachable`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<&'static str, &'static str>,
}

/// Liveness: the gateway process answers.
#[utoipa::path(tag = "ops", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok", checks: BTreeMap::new() })
}

/// Readiness: the gateway itself serves. Redis is reported but does not decide: a shared
/// dependency that is down would take every replica out of rotation at once, while each
/// route that needs it answers for itself (503, or limits that fail open). Nor do the
/// services: one of them down must not take browsing, or the whole API, with it.
#[utoipa::path(tag = "ops", responses((status = 200, body = Health)))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<State>) -> HttpResponse {
    let mut checks = BTreeMap::new();
    if let Some(redis) = &state.redis {
        checks.insert("redis", redis_check(redis).await);
    }
    HttpResponse::Ok().json(Health { status: "ready", checks })
}

/// Diagnostics: each upstream service's gRPC health and Redis. 200 when all serve, else 503
/// with the failing checks. Not a probe: the same figures are in `/metrics` as
/// `gateway_upstream_up{upstream}`.
#[utoipa::path(tag = "ops", responses((status = 200, body = Health), (status = 503, body = Health)))]
#[get("/healthz/upstreams")]
pub async fn upstreams(state: web::Data<State>) -> HttpResponse {
    let mut checks: BTreeMap<&'static str, &'static str> =
        state.clients.health(PROBE_TIMEOUT).await.into_iter().collect();
    if let Some(redis) = &state.redis {
        checks.insert("redis", redis_check(redis).await);
    }
    let ready = checks.values().all(|s| *s == "serving");
    let body = Health { status: if ready { "ready" } else { "not_ready" }, checks };
    if ready { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) }
}

async fn redis_check(pool: &deadpool_redis::Pool) -> &'static str {
    let ping = async {
        let mut conn = pool.get().await.ok()?;
        deadpool_redis::redis::cmd("PING").query_async::<String>(&mut conn).await.ok()
    };
    match tokio::time::timeout(PROBE_TIMEOUT, ping).await {
        Ok(Some(_)) => "serving",
        _ => "unreachable",
    }
}

/// Prometheus metrics of the gateway.
pub async fn metrics(registry: web::Data<prometheus::Registry>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(shop_platform::metrics::render(&registry))
}
