//! The all-in-one platform: the gateway and every service in one process, each on its
//! own port and talking real gRPC over loopback, with embedded stores, the in-process
//! event bus and demo data.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use shop_gateway::{Gateway, GatewaySettings, Wiring, edge::RateLimits};
use shop_messaging::InProcessBus;
use shop_platform::{
    Shutdown,
    settings::{Listen, LogFormat, Secret, TelemetrySettings},
};
use shop_service_kit::{Service, ServiceSettings};
use tokio::task::JoinSet;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Where the gateway listens (the URL printed at start-up).
    pub http: Listen,
    /// First gRPC port; the services take it and the next four (0: any free ports).
    pub grpc_base_port: u16,
    /// First metrics port, likewise.
    pub metrics_base_port: u16,
    /// Seed demo data: accounts (see the README) and a catalog.
    pub demo_data: bool,
    /// `SHOP_ADMIN_EMAIL` / `SHOP_ADMIN_PASSWORD`: an admin account made at start-up if absent.
    pub admin_email: Option<String>,
    pub admin_password: Option<Secret>,
    /// Secret the payment provider signs webhooks with (`SHOP_PAYMENT_WEBHOOK_SECRET`).
    pub payment_webhook_secret: Option<Secret>,
    /// The gateway's rate limits (`SHOP_RATE_LIMITS__USER__PER_MINUTE`, …).
    pub rate_limits: RateLimits,
    pub telemetry: TelemetrySettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            http: Listen::loopback(8080),
            grpc_base_port: 50051,
            metrics_base_port: 9101,
            demo_data: true,
            admin_email: None,
            admin_password: None,
            rate_limits: RateLimits::default(),
            payment_webhook_secret: Some(Secret::new("whsec_all_in_one_demo")),
            // The first screen is the platform's address and demo accounts, not the web
            // framework's start-up chatter.
            telemetry: TelemetrySettings {
                log_format: LogFormat::Pretty,
                log_filter: "info,actix_server=warn".into(),
                ..TelemetrySettings::default()
            },
        }
    }
}

impl Settings {
    /// Every listener on a free loopback port (tests).
    pub fn ephemeral() -> Self {
        Self { http: Listen::loopback(0), grpc_base_port: 0, metrics_base_port: 0, ..Self::default() }
    }
}

/// The running platform.
pub struct Platform {
    pub gateway_addr: SocketAddr,
    /// gRPC address of each service, by name.
    pub services: Vec<(&'static str, SocketAddr)>,
    /// The in-process event bus the services share.
    pub bus: InProcessBus,
    tasks: JoinSet<anyhow::Result<()>>,
}

fn port(base: u16, offset: u16) -> u16 {
    if base == 0 { 0 } else { base + offset }
}

/// A service's settings for this process: its ports, where identity is, demo data.
fn local<X>(settings: &Settings, offset: u16, identity: &str, mut service: ServiceSettings<X>) -> ServiceSettings<X> {
    let host = settings.http.host;
    service.grpc = Listen { host, port: port(settings.grpc_base_port, offset) };
    service.metrics = Listen { host, port: port(settings.metrics_base_port, offset) };
    identity.clone_into(&mut service.identity_url);
    service.demo_data = settings.demo_data;
    service
}

/// Starts every service, then the gateway in front of them. A service that calls another
/// starts after it, so it can be told the other's address (ports may be picked at bind).
pub async fn start(settings: &Settings, shutdown: Shutdown) -> anyhow::Result<Platform> {
    let bus = InProcessBus::default();
    let (b, d) = (&bus, &shutdown);
    let mut identity = shop_identity::default_settings();
    identity.extra.admin_email.clone_from(&settings.admin_email);
    identity.extra.admin_password.clone_from(&settings.admin_password);
    let identity_addr =
        format!("http://{}", std::net::SocketAddr::new(settings.http.host, port(settings.grpc_base_port, 0)));
    let identity = shop_identity::build(local(settings, 0, &identity_addr, identity), b.clone(), d.clone()).await?;
    let id_url = format!("http://{}", identity.grpc_addr);
    let inventory =
        shop_inventory::build(local(settings, 2, &id_url, shop_inventory::default_settings()), b.clone(), d.clone())
            .await?;
    // Catalog and order call each other: catalog's listener is bound first so order knows it.
    let catalog_addr = std::net::SocketAddr::new(settings.http.host, port(settings.grpc_base_port, 1));
    let catalog_grpc = shop_platform::metrics::prebind(catalog_addr)?;
    let mut payment = shop_payment::default_settings();
    payment.extra.webhook_secret.clone_from(&settings.payment_webhook_secret);
    let payment = shop_payment::build(local(settings, 4, &id_url, payment), b.clone(), d.clone()).await?;
    let mut order = shop_order::default_settings();
    order.extra.catalog_url = format!("http://{catalog_grpc}");
    order.extra.inventory_url = format!("http://{}", inventory.grpc_addr);
    order.extra.payment_url = format!("http://{}", payment.grpc_addr);
    let order = shop_order::build(local(settings, 3, &id_url, order), b.clone(), d.clone()).await?;
    let mut catalog = shop_catalog::default_settings();
    catalog.extra.order_url = format!("http://{}", order.grpc_addr);
    let mut catalog = local(settings, 1, &id_url, catalog);
    catalog.grpc = Listen { host: catalog_grpc.ip(), port: catalog_grpc.port() };
    let catalog = shop_catalog::build(catalog, b.clone(), d.clone()).await?;
    let started: [(&'static str, Service); 5] = [
        ("identity", identity),
        ("catalog", catalog),
        ("inventory", inventory),
        ("order", order),
        ("payment", payment),
    ];
    let mut tasks = JoinSet::new();
    let mut services = Vec::new();
    for (name, service) in started {
        services.push((name, service.grpc_addr));
        tasks.spawn(async move {
            service.run().await;
            Ok(())
        });
    }
    let url = |name: &str| {
        let addr = services.iter().find(|(n, _)| *n == name).map(|(_, a)| *a).expect("started above");
        format!("http://{addr}")
    };
    let mut gateway =
        GatewaySettings { http: settings.http, rate_limits: settings.rate_limits, ..GatewaySettings::default() };
    gateway.upstreams.identity = url("identity");
    gateway.upstreams.catalog = url("catalog");
    gateway.upstreams.inventory = url("inventory");
    gateway.upstreams.order = url("order");
    gateway.upstreams.payment = url("payment");
    let gateway = Gateway::build_with(gateway, Wiring { keys: None, bus: Some(bus.clone()) }).await?;
    let gateway_addr = gateway.addr;
    tasks.spawn(gateway.run(shutdown));
    Ok(Platform { gateway_addr, services, bus, tasks })
}

impl Platform {
    /// Waits until every part has stopped (after shutdown), reporting the first failure.
    pub async fn stopped(mut self) -> anyhow::Result<()> {
        let mut result = Ok(());
        while let Some(done) = self.tasks.join_next().await {
            if let Err(err) = done.map_err(anyhow::Error::from).and_then(|r| r) {
                tracing::error!(error = format!("{err:#}"), "a component failed");
                result = Err(err);
            }
        }
        result
    }
}
