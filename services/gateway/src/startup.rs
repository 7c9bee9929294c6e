//! Builds the gateway: upstream clients, Redis, metrics, the actix-web server.

use std::{net::SocketAddr, time::Duration};

use actix_web::{App, HttpResponse, HttpServer, dev::ServerHandle, middleware::from_fn, web};
use shop_platform::{Shutdown, metrics::RedMetrics, shutdown::DRAIN_DEADLINE};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::{GatewaySettings, middleware, routes, upstream::Clients};

/// What every request handler can reach.
pub struct State {
    pub clients: Clients,
    pub redis: Option<deadpool_redis::Pool>,
}

#[derive(OpenApi)]
#[openapi(info(
    title = "Shop API",
    description = "The public REST API of the shop platform. Errors are RFC 9457 problem documents with a stable `code`."
))]
struct ApiDoc;

/// The OpenAPI document, generated from the route annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) =
        routes::api(App::new().into_utoipa_app().openapi(ApiDoc::openapi())).split_for_parts();
    api
}

pub struct Gateway {
    pub addr: SocketAddr,
    server: actix_web::dev::Server,
}

impl Gateway {
    /// Binds the listener and prepares the server; nothing is served until `run`.
    pub async fn build(settings: GatewaySettings) -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind(settings.http.addr())
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.http.addr()))?;
        let addr = listener.local_addr()?;
        let clients = Clients::new(
            &settings.upstreams,
            Duration::from_millis(settings.upstream_timeout_ms),
        )?;
        let redis = match &settings.redis_url {
            Some(url) => Some(
                deadpool_redis::Config::from_url(url.expose())
                    .create_pool(Some(deadpool_redis::Runtime::Tokio1))?,
            ),
            None => None,
        };
        let registry = prometheus::Registry::new();
        let metrics =
            RedMetrics::register(&registry, "http_server", &["method", "route"], "status")?;
        let state = web::Data::new(State { clients, redis });
        let registry = web::Data::new(registry);
        let metrics = web::Data::new(metrics);
        let openapi_json = openapi().to_json()?;
        let limit = settings.max_body_bytes;
        let mut server = HttpServer::new(move || {
            let json = openapi_json.clone();
            let app = App::new()
                .app_data(state.clone())
                .app_data(registry.clone())
                .app_data(metrics.clone())
                .app_data(routes::json_config(limit))
                .app_data(web::PayloadConfig::default().limit(limit))
                .app_data(routes::path_config())
                .app_data(routes::query_config())
                .wrap(from_fn(middleware::observe))
                .into_utoipa_app()
                .openapi(ApiDoc::openapi());
            routes::api(app)
                .into_app()
                .route("/metrics", web::get().to(routes::ops::metrics))
                .route(
                    "/api/openapi.json",
                    web::get().to(move || {
                        let json = json.clone();
                        async move {
                            HttpResponse::Ok()
                                .content_type("application/json")
                                .body(json)
                        }
                    }),
                )
                .default_service(web::to(routes::not_found))
        })
        .disable_signals()
        .shutdown_timeout(DRAIN_DEADLINE.as_secs());
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        let server = server.listen(listener)?.run();
        tracing::info!(%addr, "gateway listening");
        Ok(Self { addr, server })
    }

    /// Serves until `shutdown`, then stops accepting and finishes in-flight requests.
    pub async fn run(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let handle: ServerHandle = self.server.handle();
        let server = tokio::spawn(self.server);
        shutdown.wait().await;
        handle.stop(true).await;
        server.await??;
        Ok(())
    }
}
