//! The frame every backend service runs in: settings shape, backends, gRPC host and
//! outbox relay, started and stopped together.

use std::{net::SocketAddr, sync::Arc};

use serde::{Deserialize, Serialize};
use shop_platform::{
    Shutdown,
    host::ServiceHost,
    settings::{BackendSettings, Listen, TelemetrySettings},
};
use tonic::service::Routes;

use crate::{
    BusSettings, EventBus,
    outbox::{OutboxStore, Relay},
};

/// Settings every backend service has, plus the service's own (`X`, flattened: its keys
/// sit beside the common ones). Loaded by `shop_platform::settings::load`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceSettings<X = NoExtra> {
    pub grpc: Listen,
    pub metrics: Listen,
    pub backends: BackendSettings,
    pub bus: BusSettings,
    pub telemetry: TelemetrySettings,
    /// Fill empty stores with demo data at start-up (the all-in-one mode does).
    pub demo_data: bool,
    /// Identity's gRPC endpoint, where the keys that verify callers' tokens come from.
    pub identity_url: String,
    #[serde(flatten)]
    pub extra: X,
}

/// For services with no settings of their own.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct NoExtra {}

impl<X: Default> ServiceSettings<X> {
    /// Defaults for a service: its ports, its database named after it.
    pub fn defaults(database: &str, grpc_port: u16, metrics_port: u16) -> Self {
        Self {
            grpc: Listen::any(grpc_port),
            metrics: Listen::any(metrics_port),
            backends: BackendSettings::embedded(database),
            bus: BusSettings::default(),
            telemetry: TelemetrySettings::default(),
            demo_data: false,
            identity_url: "http://127.0.0.1:50051".into(),
            extra: X::default(),
        }
    }
}

impl<X: Default> Default for ServiceSettings<X> {
    fn default() -> Self {
        Self::defaults("shop", 50051, 9100)
    }
}

/// A running service.
pub struct Service {
    pub grpc_addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    host: ServiceHost,
    relay: Option<Relay>,
    subscriptions: Vec<crate::Subscription>,
    /// Background loops (sweepers, recovery) that end on shutdown.
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The service's database, closed last.
    db: Option<mongodb::Database>,
    shutdown: Shutdown,
}

impl Service {
    /// Serves `routes` (the gRPC `services` named) and relays `outbox` to `bus` if given.
    pub async fn start<X>(
        settings: &ServiceSettings<X>,
        services: &[&'static str],
        routes: Routes,
        outbox: Option<(Arc<dyn OutboxStore>, Arc<dyn EventBus>)>,
        shutdown: Shutdown,
    ) -> anyhow::Result<Self> {
        let relay = outbox.map(|(store, bus)| Relay::start(store, bus, shutdown.child()));
        let host =
            ServiceHost::start(settings.grpc, settings.metrics, services, routes, prometheus::Registry::new()).await?;
        Ok(Self {
            grpc_addr: host.grpc_addr,
            metrics_addr: host.metrics_addr,
            host,
            relay,
            subscriptions: Vec::new(),
            tasks: Vec::new(),
            db: None,
            shutdown,
        })
    }

    /// Event consumers to stop (first) when the service stops.
    pub fn consuming(mut self, subscriptions: Vec<crate::Subscription>) -> Self {
        self.subscriptions.extend(subscriptions);
        self
    }

    /// A background loop to wait for (it must end on shutdown) when the service stops.
    pub fn running(mut self, task: tokio::task::JoinHandle<()>) -> Self {
        self.tasks.push(task);
        self
    }

    /// The database to close when the service has stopped using it.
    pub fn closing(mut self, db: Option<mongodb::Database>) -> Self {
        self.db = db;
        self
    }

    /// Serves until shutdown; then stops consuming, lets background loops finish their
    /// round, drains the server and the relay, and closes the database.
    pub async fn run(self) {
        self.shutdown.wait().await;
        for subscription in self.subscriptions {
            subscription.stop().await;
        }
        for task in self.tasks {
            let _ = task.await;
        }
        self.host.drain().await;
        if let Some(relay) = self.relay {
            relay.join().await;
        }
        // Closed here, while the runtime still runs: a client dropped at runtime shutdown
        // ends its server sessions from a task whose connection pool is already gone.
        if let Some(db) = self.db {
            db.client().clone().shutdown().immediate(true).await;
        }
    }
}

impl Service {
    /// A service whose API is still to come: backends connected and checked, health,
    /// reflection and metrics served.
    pub async fn bare(
        settings: &ServiceSettings,
        embedded: &crate::InProcessBus,
        shutdown: Shutdown,
    ) -> anyhow::Result<Self> {
        let backends = crate::backends::Backends::connect(&settings.backends, &settings.bus, embedded).await?;
        drop(backends);
        Self::start(settings, &[], Routes::default(), None, shutdown).await
    }
}

/// The whole `main` of a service binary: settings (defaults → file → environment),
/// telemetry, start, run until SIGTERM/SIGINT, drain.
pub async fn main<X, F, Fut>(name: &str, defaults: ServiceSettings<X>, build: F) -> anyhow::Result<()>
where
    X: Serialize + serde::de::DeserializeOwned + Default,
    F: FnOnce(ServiceSettings<X>, crate::InProcessBus, Shutdown) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Service>>,
{
    let settings = shop_platform::settings::load(name, &defaults)?;
    let _telemetry = shop_platform::telemetry::init(name, &settings.telemetry)?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signal();
    let service = build(settings, crate::InProcessBus::default(), shutdown).await?;
    service.run().await;
    tracing::info!("stopped");
    Ok(())
}
