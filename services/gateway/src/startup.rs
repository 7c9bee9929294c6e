//! Builds the gateway: upstream clients, token verification, rate limiting, metrics and
//! the actix-web server with its middleware.

use anyhow::Context;
use std::{net::SocketAddr, sync::Arc, time::Duration};

use actix_web::{App, HttpResponse, HttpServer, dev::ServerHandle, http::header, middleware::from_fn, web};
use shop_auth::{KeySource, Verifier};
use shop_platform::{Shutdown, metrics::RedMetrics, settings::Backend, shutdown::DRAIN_DEADLINE};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use shop_messaging::{InProcessBus, Subscription, bus_for};

use crate::{
    GatewaySettings, auth,
    cache::{self, Invalidate, MemoryCache, ProductCache, RedisCache},
    edge::{self, EdgePolicy, Hsts},
    middleware,
    ratelimit::{MemoryLimiter, RateLimiter, RedisLimiter},
    routes,
    state::State,
    upstream::Clients,
};

/// What a gateway may be given besides its settings.
#[derive(Default)]
pub struct Wiring {
    /// Verify tokens against these keys instead of identity's JWKS.
    pub keys: Option<Arc<dyn KeySource>>,
    /// The in-process bus to hear catalog's changes on, when there is no RabbitMQ.
    pub bus: Option<InProcessBus>,
}

fn cors(origins: &str) -> actix_cors::Cors {
    let cors = origins
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .fold(actix_cors::Cors::default(), actix_cors::Cors::allowed_origin);
    cors.allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .allowed_header("idempotency-key")
        .allowed_header("x-request-id")
        .expose_headers(["x-request-id", "retry-after"])
        .max_age(600)
        // Other origins simply get no CORS headers (the browser then refuses the response).
        .block_on_origin_mismatch(false)
}

pub struct Gateway {
    pub addr: SocketAddr,
    server: actix_web::dev::Server,
    invalidation: Subscription,
    watch: tokio::task::JoinHandle<()>,
}

impl Gateway {
    /// Binds the listener and prepares the server; nothing is served until `run`.
    pub async fn build(settings: GatewaySettings) -> anyhow::Result<Self> {
        Self::build_with(settings, Wiring::default()).await
    }

    /// As [`Gateway::build`], with keys or a bus given by the caller.
    pub async fn build_with(settings: GatewaySettings, wiring: Wiring) -> anyhow::Result<Self> {
        let Wiring { keys, bus } = wiring;
        settings.backends.require(settings.embedded, &[Backend::Redis, Backend::Amqp])?;
        let listener = std::net::TcpListener::bind(settings.http.addr())
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.http.addr()))?;
        let addr = listener.local_addr()?;
        let registry = shop_platform::metrics::registry(crate::SERVICE)?;
        let secret = settings
            .service_secret
            .clone()
            .context("SHOP_SERVICE_SECRET must be set: services accept only calls carrying a service token")?;
        let builder = shop_service_kit::Clients::new(&registry, Duration::from_millis(settings.upstream_timeout_ms))?
            .authenticated_as(crate::SERVICE, secret, &settings.upstreams.identity)?;
        let clients = Clients::new(&builder, &settings.upstreams)?;
        let verifier = match keys {
            Some(keys) => Arc::new(Verifier::new(keys)),
            None => shop_service_kit::auth::identity_verifier(&builder, &settings.upstreams.identity)?,
        };
        let redis = settings.backends.redis_url.as_ref().map(shop_service_kit::backends::redis_pool).transpose()?;
        let limiter: Arc<dyn RateLimiter> = match &redis {
            Some(pool) => Arc::new(RedisLimiter::new(pool.clone())),
            None => Arc::new(MemoryLimiter::default()),
        };
        let products: Arc<dyn ProductCache> = match &redis {
            Some(pool) => Arc::new(RedisCache::new(pool.clone())),
            None => Arc::new(MemoryCache::default()),
        };
        let bus = bus_for(settings.backends.amqp_url.as_ref(), &settings.bus, &bus.unwrap_or_default());
        // Replicas share one queue: with a shared (Redis) cache one of them forgetting is enough.
        let invalidation =
            bus.subscribe(crate::SERVICE, &cache::EVENTS, Arc::new(Invalidate(products.clone()))).await?;
        let metrics = RedMetrics::register(&registry, "http_server", &["method", "route"], "status")?;
        let watch = crate::upstream::watch(clients.clone(), &registry)?;
        let state = web::Data::new(State { clients, redis, products });
        let registry = web::Data::new(registry);
        let metrics = web::Data::new(metrics);
        let verifier = web::Data::from(verifier);
        let limiter = web::Data::from(limiter);
        let policy =
            web::Data::new(EdgePolicy { limits: settings.rate_limits, forwarded_hops: settings.forwarded_hops });
        let hsts = web::Data::new(Hsts(settings.hsts));
        let site = web::Data::new(crate::webapp::Site::new(settings.public_url.as_deref()));
        let openapi_json = crate::openapi::document().to_json()?;
        let limit = settings.max_body_bytes;
        let origins = settings.cors_origins.clone();
        let mut server = HttpServer::new(move || {
            let json = openapi_json.clone();
            let app = App::new()
                .app_data(state.clone())
                .app_data(registry.clone())
                .app_data(metrics.clone())
                .app_data(verifier.clone())
                .app_data(limiter.clone())
                .app_data(policy.clone())
                .app_data(hsts.clone())
                .app_data(site.clone())
                .app_data(routes::json_config(limit))
                .app_data(web::PayloadConfig::default().limit(limit))
                .app_data(routes::path_config())
                .app_data(routes::query_config())
                // Listed innermost first: a request meets observe, headers, CORS, auth, limits.
                .wrap(from_fn(edge::rate_limit))
                .wrap(from_fn(auth::authenticate))
                .wrap(cors(&origins))
                .wrap(from_fn(edge::security_headers))
                .wrap(from_fn(middleware::observe))
                .into_utoipa_app()
                .openapi(crate::openapi::ApiDoc::openapi());
            routes::api(app)
                .into_app()
                .route("/metrics", web::get().to(routes::ops::metrics))
                .route(
                    "/api/openapi.json",
                    web::get().to(move || {
                        let json = json.clone();
                        async move { HttpResponse::Ok().content_type("application/json").body(json) }
                    }),
                )
                .default_service(web::to(crate::webapp::serve))
        })
        .disable_signals()
        .shutdown_timeout(DRAIN_DEADLINE.as_secs());
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        let server = server.listen(listener)?.run();
        tracing::info!(%addr, "gateway listening");
        Ok(Self { addr, server, invalidation, watch })
    }

    /// Serves until `shutdown`, then stops accepting and finishes in-flight requests.
    pub async fn run(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let handle: ServerHandle = self.server.handle();
        let server = tokio::spawn(self.server);
        shutdown.wait().await;
        self.watch.abort();
        self.invalidation.stop().await;
        handle.stop(true).await;
        server.await??;
        Ok(())
    }
}
