//! The all-in-one platform: the gateway and every service in one process, each on its
//! own port and talking real gRPC over loopback, with embedded stores, the in-process
//! event bus and demo data.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use shop_gateway::{Gateway, GatewaySettings};
use shop_messaging::{
    InProcessBus,
    service::{Service, ServiceSettings},
};
use shop_platform::{
    Shutdown,
    settings::{Listen, LogFormat, TelemetrySettings},
};
use tokio::task::JoinSet;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where the gateway listens (the URL printed at start-up).
    pub http: Listen,
    /// First gRPC port; the services take it and the next four (0: any free ports).
    pub grpc_base_port: u16,
    /// First metrics port, likewise.
    pub metrics_base_port: u16,
    /// Seed demo data (products, and accounts once identity lands).
    pub demo_data: bool,
    pub telemetry: TelemetrySettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            http: Listen::loopback(8080),
            grpc_base_port: 50051,
            metrics_base_port: 9101,
            demo_data: true,
            telemetry: TelemetrySettings {
                log_format: LogFormat::Pretty,
                ..TelemetrySettings::default()
            },
        }
    }
}

impl Settings {
    /// Every listener on a free loopback port (tests).
    pub fn ephemeral() -> Self {
        Self {
            http: Listen::loopback(0),
            grpc_base_port: 0,
            metrics_base_port: 0,
            ..Self::default()
        }
    }
}

/// The running platform.
pub struct Platform {
    pub gateway_addr: SocketAddr,
    /// gRPC address of each service, by name.
    pub services: Vec<(&'static str, SocketAddr)>,
    tasks: JoinSet<anyhow::Result<()>>,
}

type Builder =
    fn(
        ServiceSettings,
        InProcessBus,
        Shutdown,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<Service>> + Send>>;

/// The services in start order, with their port offsets.
const SERVICES: [(&str, Builder); 5] = [
    ("identity", |s, b, d| {
        Box::pin(shop_identity::build(s, b, d))
    }),
    ("catalog", |s, b, d| Box::pin(shop_catalog::build(s, b, d))),
    ("inventory", |s, b, d| {
        Box::pin(shop_inventory::build(s, b, d))
    }),
    ("order", |s, b, d| Box::pin(shop_order::build(s, b, d))),
    ("payment", |s, b, d| Box::pin(shop_payment::build(s, b, d))),
];

fn port(base: u16, offset: u16) -> u16 {
    if base == 0 { 0 } else { base + offset }
}

/// Starts every service, then the gateway in front of them.
pub async fn start(settings: &Settings, shutdown: Shutdown) -> anyhow::Result<Platform> {
    let bus = InProcessBus::default();
    let mut tasks = JoinSet::new();
    let mut services = Vec::new();
    for ((name, build), offset) in SERVICES.into_iter().zip(0u16..) {
        let mut s = ServiceSettings::defaults(name, 0, 0);
        s.grpc = Listen {
            host: settings.http.host,
            port: port(settings.grpc_base_port, offset),
        };
        s.metrics = Listen {
            host: settings.http.host,
            port: port(settings.metrics_base_port, offset),
        };
        s.demo_data = settings.demo_data;
        let service = build(s, bus.clone(), shutdown.clone()).await?;
        services.push((name, service.grpc_addr));
        tasks.spawn(async move {
            service.run().await;
            Ok(())
        });
    }
    let url = |name: &str| {
        let addr = services
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| *a)
            .expect("started above");
        format!("http://{addr}")
    };
    let mut gateway = GatewaySettings {
        http: settings.http,
        ..GatewaySettings::default()
    };
    gateway.upstreams.identity = url("identity");
    gateway.upstreams.catalog = url("catalog");
    gateway.upstreams.inventory = url("inventory");
    gateway.upstreams.order = url("order");
    gateway.upstreams.payment = url("payment");
    let gateway = Gateway::build(gateway).await?;
    let gateway_addr = gateway.addr;
    tasks.spawn(gateway.run(shutdown));
    Ok(Platform {
        gateway_addr,
        services,
        tasks,
    })
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
