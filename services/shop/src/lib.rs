//! The all-in-one platform: the gateway and every service in one process, each on its
//! own port and talking real gRPC over loopback, with embedded stores, the in-process
//! event bus and demo data.
//!
//! Only the gateway listens where the settings say; the services' gRPC and metrics
//! listeners are always on loopback. The demo accounts and the demo webhook secret exist
//! only while the gateway is on a loopback address too: on any other address the platform
//! refuses to start unless an admin account and a webhook secret are configured.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};
use shop_gateway::{Gateway, GatewaySettings, Wiring, edge::RateLimits};
use shop_messaging::InProcessBus;
use shop_platform::{
    Shutdown,
    settings::{Listen, LogFormat, Secret, TelemetrySettings},
};
use shop_service_kit::{Service, ServiceSettings, credentials::generate_secret};
use tokio::task::JoinSet;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Where the gateway listens (the URL printed at start-up).
    pub http: Listen,
    /// First gRPC port; the services take it and the next six. 0 (the default): free
    /// ports, so a port in the machine's ephemeral range never stops the start.
    pub grpc_base_port: u16,
    /// First metrics port, likewise.
    pub metrics_base_port: u16,
    /// Seed demo data: accounts (see the README) and a catalog.
    pub demo_data: bool,
    /// `SHOP_ADMIN_EMAIL` / `SHOP_ADMIN_PASSWORD`: an admin account made at start-up if absent.
    pub admin_email: Option<String>,
    pub admin_password: Option<Secret>,
    /// Secret the payment provider signs webhooks with (`SHOP_PAYMENT_WEBHOOK_SECRET`); on
    /// loopback a demo secret stands in when none is given.
    pub payment_webhook_secret: Option<Secret>,
    /// `SHOP_PUBLIC_URL`: where shoppers reach the shop (the links in its mail); the
    /// gateway's own address when not given.
    pub public_url: Option<String>,
    /// `SHOP_SMTP_URL`: the mail server the shop sends through (see the notification
    /// service's settings); without one, mail goes to the dev mailbox.
    pub smtp_url: Option<Secret>,
    /// `SHOP_MAIL_FROM`: the sender of the shop's mail.
    pub mail_from: Option<String>,
    /// `SHOP_TIME_ZONE`: the IANA time zone the shop's days are counted in (analytics).
    pub time_zone: String,
    /// `SHOP_OIDC__<NAME>__ISSUER`, `…__CLIENT_ID`, `…__CLIENT_SECRET`: the OpenID Connect
    /// providers one may sign in with (see identity's settings).
    pub oidc: std::collections::BTreeMap<String, shop_identity::config::OidcProviderSettings>,
    /// The gateway's rate limits (`SHOP_RATE_LIMITS__USER__PER_MINUTE`, …).
    pub rate_limits: RateLimits,
    pub telemetry: TelemetrySettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            http: Listen::loopback(8080),
            grpc_base_port: 0,
            metrics_base_port: 9101,
            demo_data: true,
            admin_email: None,
            admin_password: None,
            rate_limits: RateLimits::default(),
            payment_webhook_secret: None,
            public_url: None,
            smtp_url: None,
            mail_from: None,
            time_zone: "UTC".into(),
            oidc: std::collections::BTreeMap::new(),
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
    /// Where shoppers reach the shop: `SHOP_PUBLIC_URL`, else the gateway's own address.
    pub fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.http.addr()))
    }

    /// Every listener on a free loopback port (tests).
    pub fn ephemeral() -> Self {
        Self { http: Listen::loopback(0), grpc_base_port: 0, metrics_base_port: 0, ..Self::default() }
    }
}

/// The webhook secret of the demo shop (loopback only), as the README's examples sign with.
pub const DEMO_WEBHOOK_SECRET: &str = "whsec_all_in_one_demo";

/// Where the services listen: loopback, whatever the gateway's address.
const SERVICES_HOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

impl Settings {
    /// Whether this is the demo shop: the gateway on a loopback address, reachable from this
    /// machine only.
    pub fn is_local(&self) -> bool {
        self.http.host.is_loopback()
    }

    /// The webhook secret to use, and whether demo accounts may be made: a public shop must
    /// bring its own admin account and webhook secret.
    fn secrets(&self) -> anyhow::Result<(Secret, bool)> {
        if self.is_local() {
            let secret = self.payment_webhook_secret.clone().unwrap_or_else(|| Secret::new(DEMO_WEBHOOK_SECRET));
            return Ok((secret, self.demo_data));
        }
        match (&self.admin_email, &self.admin_password, &self.payment_webhook_secret) {
            (Some(_), Some(_), Some(secret)) => Ok((secret.clone(), false)),
            _ => anyhow::bail!(
                "the all-in-one listens on {}, which is not a loopback address: set SHOP_ADMIN_EMAIL, \
                 SHOP_ADMIN_PASSWORD and SHOP_PAYMENT_WEBHOOK_SECRET (demo accounts and the demo webhook \
                 secret exist only on loopback)",
                self.http.host
            ),
        }
    }
}

/// The running platform.
pub struct Platform {
    pub gateway_addr: SocketAddr,
    /// gRPC address of each service, by name.
    pub services: Vec<(&'static str, SocketAddr)>,
    /// The in-process event bus the services share.
    pub bus: InProcessBus,
    /// The client secret each calling service was given for this run (they are made
    /// anew at every start), with which a service obtains its service tokens.
    pub service_secrets: Vec<(&'static str, Secret)>,
    tasks: JoinSet<anyhow::Result<()>>,
}

fn port(base: u16, offset: u16) -> u16 {
    if base == 0 { 0 } else { base + offset }
}

/// A service's settings for this process: its ports, where identity is, demo data.
fn local<X>(settings: &Settings, offset: u16, identity: &str, mut service: ServiceSettings<X>) -> ServiceSettings<X> {
    service.grpc = Listen { host: SERVICES_HOST, port: port(settings.grpc_base_port, offset) };
    service.metrics = Listen { host: SERVICES_HOST, port: port(settings.metrics_base_port, offset) };
    identity.clone_into(&mut service.identity_url);
    service.demo_data = settings.demo_data;
    service.embedded = true;
    service
}

/// Starts every service, then the gateway in front of them. A service that calls another
/// starts after it, so it can be told the other's address (ports may be picked at bind).
pub async fn start(settings: &Settings, shutdown: Shutdown) -> anyhow::Result<Platform> {
    let (webhook_secret, demo_accounts) = settings.secrets()?;
    let bus = InProcessBus::default();
    let (b, d) = (&bus, &shutdown);
    // Every service gets a client secret of its own, made anew at each start.
    let secrets: Vec<(&'static str, Secret)> =
        ["gateway", "catalog", "order", "notification", "analytics"].map(|n| (n, generate_secret())).into();
    let secret = |name: &str| secrets.iter().find(|(n, _)| *n == name).map(|(_, s)| s.clone());
    let mut identity = shop_identity::default_settings();
    identity.extra.service_clients = secrets.iter().map(|(n, s)| ((*n).to_owned(), s.clone())).collect();
    identity.extra.admin_email.clone_from(&settings.admin_email);
    identity.extra.admin_password.clone_from(&settings.admin_password);
    identity.extra.public_url = settings.public_url();
    identity.extra.oidc.clone_from(&settings.oidc);
    let identity_addr = format!("http://{}", SocketAddr::new(SERVICES_HOST, port(settings.grpc_base_port, 0)));
    let mut identity = local(settings, 0, &identity_addr, identity);
    identity.demo_data = demo_accounts;
    let identity = shop_identity::build(identity, b.clone(), d.clone()).await?;
    let id_url = format!("http://{}", identity.grpc_addr);
    let inventory =
        shop_inventory::build(local(settings, 2, &id_url, shop_inventory::default_settings()), b.clone(), d.clone())
            .await?;
    // Catalog and order call each other: catalog's listener is bound first so order knows it.
    let catalog_addr = SocketAddr::new(SERVICES_HOST, port(settings.grpc_base_port, 1));
    let catalog_grpc = shop_platform::metrics::prebind(catalog_addr)?;
    let mut payment = shop_payment::default_settings();
    payment.extra.webhook_secret = Some(webhook_secret);
    let payment = shop_payment::build(local(settings, 4, &id_url, payment), b.clone(), d.clone()).await?;
    let mut order = shop_order::default_settings();
    order.service_secret = secret("order");
    order.extra.catalog_url = format!("http://{catalog_grpc}");
    order.extra.inventory_url = format!("http://{}", inventory.grpc_addr);
    order.extra.payment_url = format!("http://{}", payment.grpc_addr);
    let order = shop_order::build(local(settings, 3, &id_url, order), b.clone(), d.clone()).await?;
    let mut catalog = shop_catalog::default_settings();
    catalog.extra.order_url = format!("http://{}", order.grpc_addr);
    catalog.service_secret = secret("catalog");
    let mut catalog = local(settings, 1, &id_url, catalog);
    catalog.grpc = Listen { host: catalog_grpc.ip(), port: catalog_grpc.port() };
    let catalog = shop_catalog::build(catalog, b.clone(), d.clone()).await?;
    let mut notification = shop_notification::default_settings();
    notification.service_secret = secret("notification");
    notification.extra.order_url = format!("http://{}", order.grpc_addr);
    notification.extra.inventory_url = format!("http://{}", inventory.grpc_addr);
    notification.extra.public_url = settings.public_url();
    notification.extra.smtp_url.clone_from(&settings.smtp_url);
    if let Some(from) = &settings.mail_from {
        notification.extra.mail_from.clone_from(from);
    }
    let notification =
        shop_notification::build(local(settings, 5, &id_url, notification), b.clone(), d.clone()).await?;
    let mut analytics = shop_analytics::default_settings();
    analytics.service_secret = secret("analytics");
    analytics.extra.catalog_url = format!("http://{catalog_grpc}");
    analytics.extra.order_url = format!("http://{}", order.grpc_addr);
    analytics.extra.time_zone.clone_from(&settings.time_zone);
    let analytics = shop_analytics::build(local(settings, 6, &id_url, analytics), b.clone(), d.clone()).await?;
    let started: [(&'static str, Service); 7] = [
        ("identity", identity),
        ("catalog", catalog),
        ("inventory", inventory),
        ("order", order),
        ("payment", payment),
        ("notification", notification),
        ("analytics", analytics),
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
    gateway.service_secret = secret("gateway");
    gateway.embedded = true;
    gateway.public_url.clone_from(&settings.public_url);
    gateway.upstreams.identity = url("identity");
    gateway.upstreams.catalog = url("catalog");
    gateway.upstreams.inventory = url("inventory");
    gateway.upstreams.order = url("order");
    gateway.upstreams.payment = url("payment");
    gateway.upstreams.notification = url("notification");
    gateway.upstreams.analytics = url("analytics");
    let gateway = Gateway::build_with(gateway, Wiring { keys: None, bus: Some(bus.clone()) }).await?;
    let gateway_addr = gateway.addr;
    tasks.spawn(gateway.run(shutdown));
    Ok(Platform { gateway_addr, services, bus, service_secrets: secrets, tasks })
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
