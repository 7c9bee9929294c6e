//! Gateway settings (defaults → `config/gateway.toml` → `SHOP_…` environment).

use serde::{Deserialize, Serialize};
use shop_platform::settings::{BackendSettings, Listen, Secret, TelemetrySettings};

use shop_messaging::BusSettings;

use crate::edge::RateLimits;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewaySettings {
    pub http: Listen,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    pub upstreams: Upstreams,
    /// `SHOP_SERVICE_SECRET`: the gateway's client secret, with which it obtains the
    /// service tokens every call to a service carries (required).
    pub service_secret: Option<Secret>,
    /// The same backend keys as every service's (one Secret serves the whole fleet):
    /// Redis (`SHOP_BACKENDS__REDIS_URL`) for the rate limits and product cache the
    /// replicas share, RabbitMQ (`SHOP_BACKENDS__AMQP_URL`), where catalog's changes
    /// arrive to keep that cache fresh. The gateway has no database: a MongoDB URL is
    /// accepted and not used.
    pub backends: BackendSettings,
    /// `SHOP_EMBEDDED=true`: in-memory limits and cache when Redis and RabbitMQ are not
    /// given (one replica only). Without it the gateway refuses to start without them.
    pub embedded: bool,
    pub bus: BusSettings,
    pub telemetry: TelemetrySettings,
    /// Largest request body accepted, in bytes (larger → 413).
    pub max_body_bytes: usize,
    /// Deadline for one upstream call, in milliseconds.
    pub upstream_timeout_ms: u64,
    pub rate_limits: RateLimits,
    /// Proxies in front that append to `X-Forwarded-For` (0: the peer is the client).
    pub forwarded_hops: usize,
    /// Origins allowed to call the API from a browser, comma-separated
    /// (e.g. `https://shop.example.com,https://admin.shop.example.com`).
    pub cors_origins: String,
    /// Send `Strict-Transport-Security` (TLS ends in front of the gateway).
    pub hsts: bool,
    /// `SHOP_PUBLIC_URL`: where shoppers reach the shop (`https://shop.example.com`): the
    /// absolute URLs of link previews, and the one origin besides `SHOP_CORS_ORIGINS`
    /// whose pages may use the session cookie. Unset: the address a request names.
    pub public_url: Option<String>,
}

/// gRPC endpoints of the services behind the gateway.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Upstreams {
    pub identity: String,
    pub catalog: String,
    pub inventory: String,
    pub order: String,
    pub payment: String,
    pub notification: String,
    pub analytics: String,
}

impl Default for Upstreams {
    fn default() -> Self {
        Self {
            identity: "http://127.0.0.1:50051".into(),
            catalog: "http://127.0.0.1:50052".into(),
            inventory: "http://127.0.0.1:50053".into(),
            order: "http://127.0.0.1:50054".into(),
            payment: "http://127.0.0.1:50055".into(),
            notification: "http://127.0.0.1:50056".into(),
            analytics: "http://127.0.0.1:50057".into(),
        }
    }
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            http: Listen::any(8080),
            workers: 0,
            upstreams: Upstreams::default(),
            service_secret: None,
            backends: BackendSettings::embedded("gateway"),
            embedded: false,
            bus: BusSettings::default(),
            telemetry: TelemetrySettings::default(),
            max_body_bytes: 1024 * 1024,
            upstream_timeout_ms: 5000,
            rate_limits: RateLimits::default(),
            forwarded_hops: 0,
            cors_origins: String::new(),
            hsts: false,
            public_url: None,
        }
    }
}
