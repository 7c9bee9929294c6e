//! The fleet: every service its own process against real MongoDB (stand-in), RabbitMQ and
//! Redis, with the gateway in front. Fleets share the broker's queues (they are named per
//! service), so tests hold [`Fleet::exclusive`] while one runs.

use std::time::Duration;

use shop_test_support::{amqp_url, free_port, mongo_url, redis_url, require, unique};

use shop_platform::settings::Secret;
use shop_service_kit::credentials::generate_secret;

use crate::{Api, Process, services::Services, wait_for_status};

pub const SERVICES: [&str; 7] = ["identity", "catalog", "inventory", "order", "payment", "notification", "analytics"];
/// Every consumer (and so durable queue) of the services and the gateway.
const CONSUMERS: [&str; 14] = [
    "catalog",
    "gateway",
    "inventory",
    "inventory-orders",
    "order",
    "payment",
    "notification-links",
    "notification-passwords",
    "notification-orders",
    "notification-stock",
    "notification-identities",
    "analytics-orders",
    "analytics-signups",
    "analytics-stock",
];
pub const ADMIN_EMAIL: &str = "fleet-admin@example.com";
pub const ADMIN_PASSWORD: &str = "fleet admin passphrase";

pub struct Ports {
    pub grpc: u16,
    pub metrics: u16,
}

/// What a test changes about the fleet.
#[derive(Default)]
pub struct Options {
    /// Extra environment of one service (or the gateway): `(service, key, value)`.
    pub env: Vec<(&'static str, &'static str, String)>,
    /// The RabbitMQ URL the services use (a proxy, to cut the broker off).
    pub amqp_url: Option<String>,
    /// Leave catalog without the demo products (and inventory without their backlog).
    pub no_demo_data: bool,
    /// Run this service as two replicas (at 127.0.1.1 and 127.0.1.2, one port), which its
    /// callers reach by the name `shop-<service>`, resolving to both as a headless
    /// Service's name would: every process resolves names through the fleet's own hosts
    /// file.
    pub replicated: Option<&'static str>,
}

/// The replicas' addresses, as a headless Service's DNS name resolves.
pub const REPLICAS: [&str; 2] = ["127.0.1.1", "127.0.1.2"];

pub struct Fleet {
    pub run: String,
    /// Each service's client secret (identity knows them all).
    pub secrets: Vec<(&'static str, Secret)>,
    pub ports: Vec<Ports>,
    pub processes: Vec<Process>,
    /// The second replica of [`Options::replicated`], and its metrics port.
    pub replica: Option<(Process, u16)>,
    hosts: Option<std::path::PathBuf>,
    gateway: Option<Process>,
    pub base: String,
    pub api: Api,
    pub gateway_port: u16,
    options: Options,
}

static EXCLUSIVE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl Fleet {
    /// One fleet at a time on this machine's broker (within a test binary).
    pub async fn exclusive() -> tokio::sync::MutexGuard<'static, ()> {
        EXCLUSIVE.lock().await
    }

    /// Starts every service and the gateway, and waits until the gateway is ready.
    pub async fn start(options: Options) -> Self {
        require("MongoDB", &mongo_url());
        require("RabbitMQ", &amqp_url());
        require("Redis", &redis_url());
        // The services' queues are durable and named per service: start from empty ones,
        // not with what an earlier run left behind.
        let bus = shop_messaging::RabbitBus::new(&amqp_url(), shop_messaging::BusSettings::default());
        for consumer in CONSUMERS {
            bus.remove_consumer(consumer).await.expect("remove an earlier run's queue");
        }
        let run = unique("fleet");
        let ports: Vec<Ports> = SERVICES.iter().map(|_| Ports { grpc: free_port(), metrics: free_port() }).collect();
        let mut fleet = Self {
            api: Api::new(String::new()),
            base: String::new(),
            gateway: None,
            gateway_port: free_port(),
            processes: Vec::new(),
            replica: None,
            hosts: None,
            run,
            // Every service gets a secret, though only the gateway, catalog, order,
            // notification and analytics call others (the rest serve as "another service" in the policy
            // tests).
            secrets: Services::secrets(shop_service_kit::policy::SERVICES),
            ports,
            options,
        };
        if let Some(name) = fleet.options.replicated {
            let hosts = std::env::temp_dir().join(format!("{}-hosts", fleet.run));
            std::fs::write(&hosts, hosts_file(name, &REPLICAS)).expect("write the fleet's hosts file");
            fleet.hosts = Some(hosts);
        }
        fleet.processes = (0..SERVICES.len()).map(|i| fleet.spawn(i)).collect();
        if let Some(name) = fleet.options.replicated {
            let metrics = free_port();
            fleet.replica = Some((fleet.spawn_replica(Self::index(name), 1, metrics), metrics));
        }
        fleet.gateway = Some(fleet.spawn_gateway());
        if let (Some((_, metrics)), Some(name)) = (&fleet.replica, fleet.options.replicated) {
            let up = format!("http://127.0.0.1:{metrics}/metrics");
            let started = wait_for_status(&reqwest::Client::new(), &up, 200, Duration::from_secs(60)).await;
            assert!(started, "the second replica never started");
            // Metrics answer before gRPC serves: wait until both replicas serve, as the
            // gateway's balancer reaches either from its first call.
            let port = fleet.ports[Self::index(name)].grpc;
            for host in REPLICAS {
                let addr: std::net::SocketAddr = format!("{host}:{port}").parse().expect("a replica's address");
                let serving = shop_test_support::eventually(Duration::from_secs(60), || {
                    shop_service_kit::client::serving(addr, Duration::from_secs(2))
                })
                .await;
                assert!(serving, "the replica at {addr} never served");
            }
        }
        fleet.base = format!("http://127.0.0.1:{}", fleet.gateway_port);
        fleet.api = Api::new(fleet.base.clone());
        // The gateway's own readiness does not wait for the services: its diagnostics do.
        let upstreams = format!("{}/healthz/upstreams", fleet.base);
        assert!(
            wait_for_status(&fleet.api.client, &upstreams, 200, Duration::from_secs(60)).await,
            "the fleet never became ready"
        );
        fleet
    }

    pub fn index(name: &str) -> usize {
        SERVICES.iter().position(|s| *s == name).expect("a service of the fleet")
    }

    /// The services' endpoints and secrets, to call them as a service would.
    pub fn services(&self) -> Services {
        Services { urls: SERVICES.iter().map(|n| (*n, self.grpc_url(n))).collect(), secrets: self.secrets.clone() }
    }

    fn secret(&self, name: &str) -> String {
        self.services().secret(name).expose().to_owned()
    }

    /// The gRPC endpoint of a service (of its first replica, when it has two).
    pub fn grpc_url(&self, name: &str) -> String {
        format!("http://{}:{}", self.host_of(name, 0), self.ports[Self::index(name)].grpc)
    }

    /// Where the fleet's processes reach a service: by name when it has replicas.
    fn peer_url(&self, name: &str) -> String {
        if self.options.replicated == Some(name) {
            format!("http://shop-{name}:{}", self.ports[Self::index(name)].grpc)
        } else {
            self.grpc_url(name)
        }
    }

    fn host_of(&self, name: &str, replica: usize) -> &'static str {
        if self.options.replicated == Some(name) { REPLICAS[replica] } else { "127.0.0.1" }
    }

    /// The metrics endpoint of each replica of a service.
    pub fn metrics_urls(&self, name: &str) -> Vec<String> {
        let mut ports = vec![self.ports[Self::index(name)].metrics];
        ports.extend(self.replica.iter().filter(|_| self.options.replicated == Some(name)).map(|(_, port)| *port));
        ports.into_iter().map(|port| format!("http://127.0.0.1:{port}/metrics")).collect()
    }

    /// Takes the second replica out of the name's addresses (in place, as a headless
    /// Service drops a terminating pod), waits as a preStop hook would for the callers to
    /// resolve again, then stops it with SIGTERM: it must drain and exit cleanly.
    pub async fn retire_replica(&mut self) {
        let (name, hosts) = (self.options.replicated.expect("a replicated service"), self.hosts.as_ref().unwrap());
        std::fs::write(hosts, hosts_file(name, &REPLICAS[..1])).expect("rewrite the fleet's hosts file");
        tokio::time::sleep(Duration::from_secs(8)).await;
        let (process, _) = self.replica.as_mut().expect("a second replica");
        let status = process.signal_and_wait("TERM", Duration::from_secs(30));
        assert!(status.success(), "the replica exited with {status}");
    }

    fn service_env(&self, i: usize, replica: usize, metrics: u16) -> Vec<(String, String)> {
        let name = SERVICES[i];
        let p = &self.ports[i];
        let amqp = self.options.amqp_url.clone().unwrap_or_else(amqp_url);
        let mut env = vec![
            ("SHOP_GRPC__HOST", self.host_of(name, replica).to_owned()),
            ("SHOP_GRPC__PORT", p.grpc.to_string()),
            ("SHOP_METRICS__HOST", "127.0.0.1".to_owned()),
            ("SHOP_METRICS__PORT", metrics.to_string()),
            ("SHOP_BACKENDS__MONGO_URL", mongo_url()),
            ("SHOP_BACKENDS__MONGO_DATABASE", format!("{}_{name}", self.run)),
            // The stand-in cannot interleave transactions on one database (docs/testing.md).
            ("SHOP_BACKENDS__MONGO_SERIAL_TRANSACTIONS", "true".to_owned()),
            ("SHOP_BACKENDS__AMQP_URL", amqp),
            ("SHOP_IDENTITY_URL", self.peer_url("identity")),
            ("SHOP_SERVICE_SECRET", self.secret(name)),
        ];
        match name {
            "catalog" => {
                env.push(("SHOP_DEMO_DATA", (!self.options.no_demo_data).to_string()));
                env.push(("SHOP_ORDER_URL", self.peer_url("order")));
            }
            "order" => {
                env.push(("SHOP_CATALOG_URL", self.peer_url("catalog")));
                env.push(("SHOP_INVENTORY_URL", self.peer_url("inventory")));
                env.push(("SHOP_PAYMENT_URL", self.peer_url("payment")));
                env.push(("SHOP_BACKENDS__REDIS_URL", redis_url()));
            }
            "notification" => {
                env.push(("SHOP_ORDER_URL", self.peer_url("order")));
                env.push(("SHOP_INVENTORY_URL", self.peer_url("inventory")));
                // A message left mid-send by a killed replica is taken up again soon.
                env.push(("SHOP_CLAIM_LEASE_MS", "3000".to_owned()));
                env.push(("SHOP_RETRY_BASE_MS", "300".to_owned()));
                env.push(("SHOP_RETRY_EVERY_MS", "200".to_owned()));
                // The pod's own volume, as the chart mounts it.
                let journal = std::env::temp_dir().join(format!("{}-notification-journal", self.run));
                env.push(("SHOP_DELIVERY_JOURNAL", journal.display().to_string()));
            }
            "analytics" => {
                env.push(("SHOP_CATALOG_URL", self.peer_url("catalog")));
                env.push(("SHOP_ORDER_URL", self.peer_url("order")));
            }
            "identity" => {
                env.push(("SHOP_SIGNING_KEY_KEK", generate_secret().expose().to_owned()));
                env.push(("SHOP_ADMIN_EMAIL", ADMIN_EMAIL.to_owned()));
                env.push(("SHOP_ADMIN_PASSWORD", ADMIN_PASSWORD.to_owned()));
            }
            _ => {}
        }
        for (service, key, value) in &self.options.env {
            if *service == name {
                env.push((key, value.clone()));
            }
        }
        let mut env: Vec<(String, String)> = env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        env.extend(self.service_links());
        if name == "identity" {
            let clients = self.secrets.iter().map(|(client, secret)| {
                (format!("SHOP_SERVICE_CLIENTS__{}", client.to_uppercase()), secret.expose().to_owned())
            });
            env.extend(clients);
        }
        env
    }

    /// What Kubernetes injects into every pod for each Service of a release named `shop`
    /// (`SHOP_IDENTITY_SERVICE_HOST`, `SHOP_IDENTITY_PORT=tcp://…`, …): the fleet runs with
    /// them, as it would on a cluster.
    fn service_links(&self) -> Vec<(String, String)> {
        let ports = SERVICES.iter().zip(&self.ports).map(|(name, p)| (*name, p.grpc));
        ports
            .chain([("gateway", self.gateway_port)])
            .flat_map(|(name, port)| {
                let prefix = format!("SHOP_{}", name.to_uppercase());
                let url = format!("tcp://127.0.0.1:{port}");
                [
                    (format!("{prefix}_SERVICE_HOST"), "127.0.0.1".to_owned()),
                    (format!("{prefix}_SERVICE_PORT"), port.to_string()),
                    (format!("{prefix}_SERVICE_PORT_GRPC"), port.to_string()),
                    (format!("{prefix}_PORT"), url.clone()),
                    (format!("{prefix}_PORT_{port}_TCP"), url),
                    (format!("{prefix}_PORT_{port}_TCP_PROTO"), "tcp".to_owned()),
                    (format!("{prefix}_PORT_{port}_TCP_PORT"), port.to_string()),
                    (format!("{prefix}_PORT_{port}_TCP_ADDR"), "127.0.0.1".to_owned()),
                ]
            })
            .collect()
    }

    fn spawn(&self, i: usize) -> Process {
        self.spawn_replica(i, 0, self.ports[i].metrics)
    }

    fn spawn_replica(&self, i: usize, replica: usize, metrics: u16) -> Process {
        let env = self.service_env(i, replica, metrics);
        Process::spawn_with_hosts(&format!("shop-{}", SERVICES[i]), &env, self.hosts.as_deref())
    }

    fn spawn_gateway(&self) -> Process {
        let mut env = vec![
            ("SHOP_HTTP__HOST", "127.0.0.1".to_owned()),
            ("SHOP_HTTP__PORT", self.gateway_port.to_string()),
            ("SHOP_BACKENDS__REDIS_URL", redis_url()),
            ("SHOP_BACKENDS__AMQP_URL", amqp_url()),
            // Tests sign in and register many users from one address that every test run
            // on this Redis shares.
            ("SHOP_RATE_LIMITS__AUTH__PER_MINUTE", "100000".to_owned()),
            ("SHOP_RATE_LIMITS__AUTH__BURST", "10000".to_owned()),
            ("SHOP_RATE_LIMITS__ANONYMOUS__PER_MINUTE", "100000".to_owned()),
            ("SHOP_RATE_LIMITS__ANONYMOUS__BURST", "10000".to_owned()),
            // Hundreds of concurrent checkouts queue behind the stand-in's serial
            // transactions; what is tested is their outcome, not their latency.
            ("SHOP_UPSTREAM_TIMEOUT_MS", "120000".to_owned()),
            ("SHOP_SERVICE_SECRET", self.secret("gateway")),
        ];
        let keys = [
            "SHOP_UPSTREAMS__IDENTITY",
            "SHOP_UPSTREAMS__CATALOG",
            "SHOP_UPSTREAMS__INVENTORY",
            "SHOP_UPSTREAMS__ORDER",
            "SHOP_UPSTREAMS__PAYMENT",
            "SHOP_UPSTREAMS__NOTIFICATION",
            "SHOP_UPSTREAMS__ANALYTICS",
        ];
        for (key, name) in keys.into_iter().zip(SERVICES) {
            env.push((key, self.peer_url(name)));
        }
        env.extend(self.options.env.iter().filter(|(s, ..)| *s == "gateway").map(|(_, k, v)| (*k, v.clone())));
        let mut env: Vec<(String, String)> = env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        env.extend(self.service_links());
        Process::spawn_with_hosts("shop-gateway", &env, self.hosts.as_deref())
    }

    /// Kills a service outright (SIGKILL: no draining, in-flight work lost).
    pub fn kill(&mut self, name: &str) {
        let process = &mut self.processes[Self::index(name)];
        process.signal_and_wait("KILL", Duration::from_secs(10));
    }

    /// Starts a service again on its ports and database, and waits until its gRPC health
    /// answers through the gateway's upstream diagnostics.
    pub async fn restart(&mut self, name: &str) {
        let i = Self::index(name);
        self.processes[i] = self.spawn(i);
        let upstreams = format!("{}/healthz/upstreams", self.base);
        let ready = wait_for_status(&self.api.client, &upstreams, 200, Duration::from_secs(60)).await;
        assert!(ready, "{name} never came back");
    }

    /// The fleet admin's access token.
    pub async fn admin(&self) -> String {
        crate::commerce::token(&self.api, ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// Stops a service with SIGTERM; it must drain and exit cleanly.
    pub fn terminate(&mut self, name: &str) {
        let process = &mut self.processes[Self::index(name)];
        let status = process.signal_and_wait("TERM", Duration::from_secs(30));
        assert!(status.success(), "{name} exited with {status}");
    }

    /// SIGTERM to the gateway, then every service still running; each must drain and exit
    /// cleanly.
    pub fn stop(mut self, skip: &[&str]) {
        let replica = self.replica.as_mut().map(|(p, _)| p).and_then(|p| p.running().then_some(p));
        for process in self.gateway.iter_mut().chain(&mut self.processes).chain(replica) {
            if skip.iter().any(|s| process.name == format!("shop-{s}")) {
                continue;
            }
            let status = process.signal_and_wait("TERM", Duration::from_secs(30));
            assert!(status.success(), "{} exited with {status}", process.name);
        }
    }
}

/// A hosts file where `shop-<service>` resolves to `addresses`.
fn hosts_file(service: &str, addresses: &[&str]) -> String {
    let mut hosts = String::from("127.0.0.1 localhost\n");
    for address in addresses {
        hosts.push_str(&format!("{address} shop-{service}\n"));
    }
    hosts
}

impl Drop for Fleet {
    fn drop(&mut self) {
        if let Some(hosts) = &self.hosts {
            let _ = std::fs::remove_file(hosts);
        }
    }
}
