//! The frame every backend service runs in: its settings, its backends, the gRPC host, the
//! outbox relay, event consumers and periodic tasks — started together and, on shutdown,
//! stopped in order (consumers, periodic tasks, gRPC drain, relay, database).

use std::{convert::Infallible, future::Future, net::SocketAddr, sync::Arc, time::Duration};

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use shop_auth::Verifier;
use shop_messaging::{BusSettings, InProcessBus, Listener, Subscription, inbox::Deduplicate, outbox::Relay};
use shop_platform::{
    Shutdown,
    host::ServiceHost,
    settings::{Backend, BackendSettings, Listen, Secret, TelemetrySettings},
};
use tokio::task::JoinHandle;
use tonic::{body::Body, server::NamedService, service::Routes};

use crate::{
    Backends,
    client::{Clients, DEFAULT_TIMEOUT, Upstream},
    events::{Consumer, Typed},
    figures::Figures,
    policy::Policy,
};

/// Settings every backend service has, plus the service's own (`X`, flattened: its keys
/// sit beside the common ones). Loaded by `shop_platform::settings::load`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceSettings<X = NoExtra> {
    pub grpc: Listen,
    pub metrics: Listen,
    pub backends: BackendSettings,
    /// `SHOP_EMBEDDED=true`: run on in-memory stand-ins for the backends not given (the
    /// all-in-one does). Without it a service refuses to start without its backends.
    pub embedded: bool,
    pub bus: BusSettings,
    pub telemetry: TelemetrySettings,
    /// Fill empty stores with demo data at start-up (the all-in-one mode does).
    pub demo_data: bool,
    /// Identity's gRPC endpoint, where the keys that verify callers' tokens come from.
    pub identity_url: String,
    /// `SHOP_SERVICE_SECRET`: this service's client secret, with which it obtains the
    /// service tokens that let it call other services (its client id is its name).
    /// Required of services that call others.
    pub service_secret: Option<Secret>,
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
            embedded: false,
            bus: BusSettings::default(),
            telemetry: TelemetrySettings::default(),
            demo_data: false,
            identity_url: "http://127.0.0.1:50051".into(),
            service_secret: None,
            extra: X::default(),
        }
    }
}

impl<X: Default> Default for ServiceSettings<X> {
    fn default() -> Self {
        Self::defaults("shop", 50051, 9100)
    }
}

/// A service being assembled: backends connected, nothing served yet.
pub struct Frame<X = NoExtra> {
    pub settings: ServiceSettings<X>,
    pub backends: Backends,
    /// Builds this service's gRPC clients (their metrics land in this service's registry).
    pub clients: Clients,
    registry: prometheus::Registry,
    figures: Figures,
    shutdown: Shutdown,
    consumers: Vec<Subscription>,
    /// The durable queues of its consumers (their dead letters are counted).
    queues: Vec<String>,
    tasks: Vec<JoinHandle<()>>,
}

impl<X> Frame<X> {
    /// Connects the backends the settings name (`embedded` is the in-process bus used when
    /// no RabbitMQ URL is given).
    /// `name` is the service's, its client id towards identity.
    pub async fn connect(
        name: &'static str,
        settings: ServiceSettings<X>,
        embedded: &InProcessBus,
        shutdown: Shutdown,
    ) -> anyhow::Result<Self> {
        // Every service keeps its state in MongoDB and publishes through its outbox.
        settings.backends.require(settings.embedded, &[Backend::Mongo, Backend::Amqp])?;
        let registry = shop_platform::metrics::registry(name)?;
        let figures = Figures::register(&registry)?;
        let backends =
            Backends::connect(&settings.backends, &settings.bus, embedded, Some(figures.mongo_pool.clone())).await?;
        let mut clients = Clients::new(&registry, DEFAULT_TIMEOUT)?;
        if let Some(secret) = &settings.service_secret {
            clients = clients.authenticated_as(name, secret.clone(), &settings.identity_url)?;
        }
        Ok(Self {
            settings,
            backends,
            clients,
            registry,
            figures,
            shutdown,
            consumers: Vec::new(),
            queues: Vec::new(),
            tasks: Vec::new(),
        })
    }

    /// Where this service's metrics go (its own figures register here).
    pub fn registry(&self) -> &prometheus::Registry {
        &self.registry
    }

    /// A client channel to another service, each call carrying this service's token.
    pub fn upstream(&self, target: &'static str, url: &str) -> anyhow::Result<Upstream> {
        anyhow::ensure!(self.clients.authenticated(), "SHOP_SERVICE_SECRET must be set to call {target}");
        self.clients.upstream(target, url)
    }

    /// Verifies callers' tokens with identity's keys.
    pub fn verifier(&self) -> anyhow::Result<Arc<Verifier>> {
        crate::auth::identity_verifier(&self.clients, &self.settings.identity_url)
    }

    /// Delivers events matching `patterns` to `consumer` through the durable queue
    /// `queue`, each event id applied at most once.
    pub async fn consume<C: Consumer>(&mut self, queue: &str, patterns: &[&str], consumer: C) -> anyhow::Result<()> {
        let handler = Deduplicate::new(queue, self.backends.inbox(), Typed::new(consumer));
        let handler = self.figures.observe(queue, Arc::new(handler));
        self.consumers.push(self.backends.bus.subscribe(queue, patterns, handler).await?);
        self.queues.push(queue.to_owned());
        Ok(())
    }

    /// Keeps `listener`, a read model this replica holds for itself, current from the
    /// events matching `patterns` (every replica hears every event; see
    /// [`shop_messaging::EventBus::listen`]). Returns once it has first resynced.
    pub async fn listen(&mut self, patterns: &[&str], listener: Arc<dyn Listener>) -> anyhow::Result<()> {
        self.consumers.push(self.backends.bus.listen(patterns, listener).await?);
        Ok(())
    }

    /// Runs `job` every `period` until shutdown; a round in progress finishes before the
    /// service stops. A failed round is logged (with its causes) and the next one runs.
    pub fn every<F, Fut>(&mut self, what: &'static str, period: Duration, job: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let stop = self.shutdown.clone();
        self.tasks.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.wait() => return,
                    () = tokio::time::sleep(period) => {}
                }
                if let Err(err) = job().await {
                    tracing::warn!(task = what, error = format!("{err:#}"), "periodic task failed");
                }
            }
        }));
    }

    /// Serves `server` behind its `policy` (callers' service tokens checked by `verifier`)
    /// and starts relaying the outbox.
    pub async fn serve<S>(mut self, policy: &Policy, verifier: Arc<Verifier>, server: S) -> anyhow::Result<Service>
    where
        S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        let routes = Routes::new(policy.guard(verifier, server)?);
        let (figures, outbox, bus) = (self.figures.clone(), self.backends.outbox(), self.backends.bus.clone());
        let (queues, redis) = (self.queues.clone(), self.backends.redis.clone());
        self.every("messaging and pool figures", crate::figures::SAMPLE_EVERY, move || {
            let (figures, outbox, bus, queues, redis) =
                (figures.clone(), outbox.clone(), bus.clone(), queues.clone(), redis.clone());
            async move { figures.sample(outbox.as_ref(), bus.as_ref(), &queues, redis.as_ref()).await }
        });
        let relay = Relay::start(self.backends.outbox(), self.backends.bus.clone(), self.shutdown.child());
        let s = &self.settings;
        let host = ServiceHost::start(s.grpc, s.metrics, &[S::NAME], routes, self.registry).await?;
        Ok(Service {
            grpc_addr: host.grpc_addr,
            metrics_addr: host.metrics_addr,
            host,
            relay,
            consumers: self.consumers,
            tasks: self.tasks,
            db: self.backends.db().cloned(),
            shutdown: self.shutdown,
        })
    }
}

/// A running service.
pub struct Service {
    pub grpc_addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    host: ServiceHost,
    relay: Relay,
    consumers: Vec<Subscription>,
    tasks: Vec<JoinHandle<()>>,
    db: Option<mongodb::Database>,
    shutdown: Shutdown,
}

impl Service {
    /// Serves until shutdown; then stops consuming, lets periodic tasks finish their round,
    /// drains the server and the relay, and closes the database.
    pub async fn run(self) {
        self.shutdown.wait().await;
        for consumer in self.consumers {
            consumer.stop().await;
        }
        for task in self.tasks {
            let _ = task.await;
        }
        self.host.drain().await;
        self.relay.join().await;
        // Closed here, while the runtime still runs: a client dropped at runtime shutdown
        // ends its server sessions from a task whose connection pool is already gone.
        if let Some(db) = self.db {
            db.client().clone().shutdown().immediate(true).await;
        }
    }
}

/// The whole `main` of a service binary: settings (defaults → file → environment),
/// telemetry, build, run until SIGTERM/SIGINT, drain. Started as `<binary> healthcheck`,
/// it asks the service running with these settings whether it is SERVING instead (exit
/// 0 or 1).
pub async fn main<X, F, Fut>(name: &str, defaults: ServiceSettings<X>, build: F) -> anyhow::Result<()>
where
    X: Serialize + DeserializeOwned + Default,
    F: FnOnce(ServiceSettings<X>, InProcessBus, Shutdown) -> Fut,
    Fut: Future<Output = anyhow::Result<Service>>,
{
    let settings = shop_platform::settings::load(name, &defaults)?;
    if shop_platform::probe::asked() {
        let addr = shop_platform::probe::dial(&settings.grpc);
        std::process::exit(if crate::client::serving(addr, shop_platform::probe::TIMEOUT).await { 0 } else { 1 });
    }
    let _telemetry = shop_platform::telemetry::init(name, &settings.telemetry)?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signal();
    let service = build(settings, InProcessBus::default(), shutdown).await?;
    tracing::info!(service = name, grpc = %service.grpc_addr, metrics = %service.metrics_addr, "serving");
    service.run().await;
    tracing::info!("stopped");
    Ok(())
}
