//! Per-request edge policy: who the client is (address, behind how many proxies), rate
//! limits per client address and per user (stricter on sign-in routes), and the security
//! headers every response carries.

use std::net::IpAddr;

use actix_web::{
    Error, HttpMessage,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderName, HeaderValue},
    middleware::Next,
    web,
};
use serde::{Deserialize, Serialize};
use shop_auth::Caller;
use shop_platform::{ApiError, ErrorKind};

use crate::{
    error::Problem,
    ratelimit::{Decision, Limit, RateLimiter},
};

/// Limits per client address (anonymous), per user, and per address on sign-in routes.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimits {
    pub anonymous: Limit,
    pub user: Limit,
    /// Registration and sign-in, per client address: password guessing stops here.
    pub auth: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            anonymous: Limit { per_minute: 600, burst: 100 },
            user: Limit { per_minute: 1200, burst: 200 },
            auth: Limit { per_minute: 10, burst: 5 },
        }
    }
}

/// What the edge needs from the settings.
#[derive(Debug, Clone)]
pub struct EdgePolicy {
    pub limits: RateLimits,
    /// Proxies in front of the gateway that append to `X-Forwarded-For` (0: none; the
    /// peer address is the client).
    pub forwarded_hops: usize,
}

/// The client's address: the peer, or the entry `forwarded_hops` from the right of
/// `X-Forwarded-For` (entries further left are the client's own claims, not trusted).
pub fn client_ip(req: &ServiceRequest, forwarded_hops: usize) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip());
    if forwarded_hops == 0 {
        return peer;
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    forwarded.len().checked_sub(forwarded_hops).and_then(|i| forwarded.get(i)).and_then(|ip| ip.parse().ok()).or(peer)
}

/// Probes and scrapes: they come often and from one place, carry no token, and are never
/// authenticated or rate limited.
pub fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

fn limited(req: ServiceRequest, retry_after: std::time::Duration) -> ServiceResponse {
    let seconds = (retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0)).max(1);
    let problem = Problem::from(
        ApiError::new(ErrorKind::RateLimited, format!("too many requests; retry in {seconds} s"))
            .with_code("rate_limited"),
    );
    let mut res = req.error_response(problem);
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    res
}

pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if is_probe(req.path()) {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    let policy = req.app_data::<web::Data<EdgePolicy>>().cloned().expect("edge policy configured");
    let limiter = req.app_data::<web::Data<dyn RateLimiter>>().cloned().expect("rate limiter configured");
    let ip = client_ip(&req, policy.forwarded_hops).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let caller = req.extensions().get::<Caller>().map(|c| c.user_id.clone());
    let mut checks = vec![match &caller {
        Some(user) => (format!("user:{user}"), policy.limits.user),
        None => (format!("ip:{ip}"), policy.limits.anonymous),
    }];
    if matches!(req.path(), "/api/v1/auth/login" | "/api/v1/auth/register") {
        checks.push((format!("auth:{ip}"), policy.limits.auth));
    }
    for (key, limit) in checks {
        if let Decision::Deny { retry_after } = limiter.check(&key, limit).await {
            tracing::info!(key, "rate limited");
            return Ok(limited(req, retry_after).map_into_right_body());
        }
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

/// Headers that make browsers treat API responses as inert data.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let hsts = req.app_data::<web::Data<Hsts>>().is_some_and(|h| h.0);
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let fixed: [(HeaderName, &str); 5] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"),
        (HeaderName::from_static("cross-origin-resource-policy"), "same-site"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if hsts {
        headers
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    Ok(res)
}

/// Whether to send `Strict-Transport-Security` (when TLS ends in front of the gateway).
pub struct Hsts(pub bool);
