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

use crate::{
    error::Problem,
    ratelimit::{Decision, FailureLimit, Limit, RateLimiter},
};

/// Limits per client address (anonymous), per user, per address on sign-in routes, and
/// failed sign-ins per account.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimits {
    pub anonymous: Limit,
    pub user: Limit,
    /// Registration and sign-in, per client address: password guessing stops here.
    pub auth: Limit,
    /// Failed sign-ins per account, from wherever they come (many addresses guessing one
    /// account's password are slowed together).
    pub account: FailureLimit,
    /// Link mails (verification, password reset) per account: nobody floods a mailbox
    /// through the shop.
    pub mail: Limit,
    /// Storefront behaviour batches (`POST /api/v1/events`) per client address.
    pub events: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            anonymous: Limit { per_minute: 600, burst: 100 },
            user: Limit { per_minute: 1200, burst: 200 },
            auth: Limit { per_minute: 10, burst: 5 },
            account: FailureLimit::default(),
            mail: Limit { per_minute: 2, burst: 3 },
            events: Limit { per_minute: 60, burst: 20 },
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

/// The address a limit counts against: an IPv4 address, or an IPv6 address's /64 (one
/// subscriber's whole network, which hands out addresses freely).
pub fn limit_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".to_owned(),
    }
}

/// Probes and scrapes: they come often and from one place, carry no token, and are never
/// authenticated or rate limited.
pub fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// Whether the sign-in routes (and those that take a mailed link's secret), whose limits
/// fail closed.
fn is_sign_in(path: &str) -> bool {
    path.starts_with("/api/v1/auth/oidc/")
        || matches!(
            path,
            "/api/v1/auth/login"
                | "/api/v1/auth/register"
                | "/api/v1/auth/password-reset"
                | "/api/v1/auth/password-reset/confirm"
                | "/api/v1/auth/verify-email"
                | "/api/v1/auth/confirm-email"
                | "/api/v1/auth/second-factor"
                | "/api/v1/auth/second-factor/enrol"
        )
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
    let ip = limit_key(client_ip(&req, policy.forwarded_hops));
    let caller = req.extensions().get::<Caller>().map(|c| c.user_id.clone());
    // (key, limit, whether an unreachable limiter refuses the request)
    let mut checks = vec![match &caller {
        Some(user) => (format!("user:{user}"), policy.limits.user, false),
        None => (format!("ip:{ip}"), policy.limits.anonymous, false),
    }];
    if is_sign_in(req.path()) {
        checks.push((format!("auth:{ip}"), policy.limits.auth, true));
    }
    if req.path() == "/api/v1/events" {
        checks.push((format!("events:{ip}"), policy.limits.events, false));
    }
    for (key, limit, fail_closed) in checks {
        let refusal = match limiter.check(&key, limit.rate()).await {
            Decision::Allow => continue,
            Decision::Deny { retry_after } => {
                tracing::info!(key, "rate limited");
                Problem::rate_limited(retry_after)
            }
            // Without its limiter, sign-in would be open to guessing: refuse until it is back.
            // Other limits let requests pass rather than take the shop down with Redis.
            Decision::Unavailable if fail_closed => crate::routes::identity::sign_in_paused(),
            Decision::Unavailable => continue,
        };
        return Ok(req.error_response(refusal).map_into_right_body());
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
    let fixed: [(HeaderName, &str); 4] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (HeaderName::from_static("cross-origin-resource-policy"), "same-site"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // The web app's pages bring their own policy; everything else may load nothing.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_network_shares_one_limit_and_ipv4_keeps_its_address() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(limit_key(Some(a)), "2001:db8:1:2::/64");
        assert_eq!(limit_key(Some(a)), limit_key(Some(b)));
        assert_ne!(limit_key(Some(a)), limit_key(Some(other)));
        assert_eq!(limit_key(Some("203.0.113.7".parse().unwrap())), "203.0.113.7");
        assert_eq!(limit_key(Some("::ffff:203.0.113.7".parse().unwrap())), "203.0.113.7");
    }
}
