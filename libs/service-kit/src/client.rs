//! The one way a service (or the gateway) calls another over gRPC.
//!
//! [`Clients`] builds an [`Upstream`] per target: a lazily connecting channel with the
//! platform's timeouts whose every call carries the current span's W3C trace context and
//! the caller's service credentials (when [`CallCredentials`] are given), and is counted
//! in `grpc_client_requests_total{target, grpc_method, grpc_code}` and
//! `grpc_client_request_duration_seconds`. Generated clients take it as their channel:
//! `CatalogServiceClient::new(clients.upstream("catalog", url)?)`.
//!
//! Calls are balanced across every address the URL's host name resolves to, looked up
//! again every few seconds: with a headless Kubernetes Service that is every ready pod of
//! the callee, so scaling a service out spreads its calls (one HTTP/2 connection through a
//! ClusterIP would pin them all to one pod). A URL with an IP address is one endpoint.

use std::{
    collections::BTreeSet,
    future::Future,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use crate::credentials::ServiceCredentials;
use http::HeaderName;
use shop_platform::{metrics::RedMetrics, settings::Secret, trace_context};
use tonic::{
    body::Body,
    transport::{Channel, Endpoint, channel::Change},
};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

/// Where a call's service token goes.
static SERVICE_TOKEN: HeaderName = HeaderName::from_static(shop_auth::service::HEADER);

/// How long establishing a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Deadline of one call unless the builder is given another.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a host name is resolved again for the addresses calls are balanced across.
const RESOLVE_EVERY: Duration = Duration::from_secs(3);

/// Builds upstream channels that share one set of metrics, one deadline and one set of
/// credentials.
#[derive(Clone)]
pub struct Clients {
    metrics: RedMetrics,
    endpoints: prometheus::IntGaugeVec,
    timeout: Duration,
    credentials: Option<Arc<ServiceCredentials>>,
}

impl Clients {
    /// Registers the client metrics in `registry` (once per registry).
    pub fn new(registry: &prometheus::Registry, timeout: Duration) -> anyhow::Result<Self> {
        let metrics = RedMetrics::register(registry, "grpc_client", &["target", "grpc_method"], "grpc_code")?;
        let endpoints = prometheus::IntGaugeVec::new(
            prometheus::Opts::new("grpc_client_endpoints", "Addresses calls to a target are balanced across."),
            &["target"],
        )?;
        registry.register(Box::new(endpoints.clone()))?;
        Ok(Self { metrics, endpoints, timeout, credentials: None })
    }

    /// Every call made through these clients carries the service token of `me` (see
    /// [`ServiceCredentials`]), obtained from identity at `identity_url` with `secret`.
    pub fn authenticated_as(mut self, me: &'static str, secret: Secret, identity_url: &str) -> anyhow::Result<Self> {
        let identity = self.upstream("identity", identity_url)?;
        self.credentials = Some(Arc::new(ServiceCredentials::new(me, secret, identity)));
        Ok(self)
    }

    /// Whether calls carry a service token.
    pub fn authenticated(&self) -> bool {
        self.credentials.is_some()
    }

    /// These clients without the service token, for RPCs open to all (public keys,
    /// health): they must not wait on, or fail with, the token endpoint.
    #[must_use]
    pub fn public(&self) -> Self {
        Self { credentials: None, ..self.clone() }
    }

    /// A channel to the service `target` (a metric label) at `url`; it connects on first
    /// use and reconnects by itself, so a service may start before what it calls. Calls are
    /// balanced across the addresses the URL's host resolves to (see the module docs).
    pub fn upstream(&self, target: &'static str, url: &str) -> anyhow::Result<Upstream> {
        let endpoint = self.endpoint(url).map_err(|err| anyhow::anyhow!("{target} endpoint {url:?}: {err}"))?;
        let uri = endpoint.uri().clone();
        let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        let channel = if host.parse::<IpAddr>().is_ok() {
            self.endpoints.with_label_values(&[target]).set(1);
            endpoint.connect_lazy()
        } else {
            let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("https") { 443 } else { 80 });
            let (channel, changes) = Channel::balance_channel(64);
            let resolver = Resolver { target, host: host.to_owned(), port, clients: self.clone(), changes };
            tokio::spawn(resolver.run());
            channel
        };
        Ok(Upstream { channel, target, clients: self.clone() })
    }

    fn endpoint(&self, url: &str) -> Result<Endpoint, tonic::transport::Error> {
        Ok(Endpoint::from_shared(url.to_owned())?
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(self.timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30)))
    }
}

/// Keeps a balanced channel's endpoints equal to the addresses a host name resolves to.
struct Resolver {
    target: &'static str,
    host: String,
    port: u16,
    clients: Clients,
    changes: tokio::sync::mpsc::Sender<Change<SocketAddr, Endpoint>>,
}

impl Resolver {
    /// Resolves now and every [`RESOLVE_EVERY`] until the channel is dropped. A failed
    /// lookup keeps the addresses known (a DNS hiccup must not empty the set).
    async fn run(self) {
        let mut known = BTreeSet::new();
        let gauge = self.clients.endpoints.with_label_values(&[self.target]);
        while !self.changes.is_closed() {
            match tokio::net::lookup_host((self.host.as_str(), self.port)).await {
                Ok(found) => {
                    let found: BTreeSet<SocketAddr> = found.collect();
                    for gone in known.difference(&found) {
                        tracing::info!(target = self.target, address = %gone, "endpoint removed");
                        if self.changes.send(Change::Remove(*gone)).await.is_err() {
                            return;
                        }
                    }
                    for new in found.difference(&known) {
                        let Ok(endpoint) = self.clients.endpoint(&format!("http://{new}")) else { continue };
                        tracing::debug!(target = self.target, address = %new, "endpoint added");
                        if self.changes.send(Change::Insert(*new, endpoint)).await.is_err() {
                            return;
                        }
                    }
                    known = found;
                    gauge.set(i64::try_from(known.len()).unwrap_or(i64::MAX));
                }
                Err(err) => tracing::warn!(target = self.target, host = %self.host, error = %err, "cannot resolve"),
            }
            tokio::time::sleep(RESOLVE_EVERY).await;
        }
    }
}

/// A channel to one service, observed and credentialed (see the module docs).
#[derive(Clone)]
pub struct Upstream {
    channel: Channel,
    target: &'static str,
    clients: Clients,
}

impl Upstream {
    pub fn target(&self) -> &'static str {
        self.target
    }

    /// Asks the service's gRPC health service whether it is serving: `serving`,
    /// `not_serving` or `unreachable`. Health is open to all: no service token is
    /// obtained for it (a probe must not depend on identity).
    pub async fn health(&self, timeout: Duration) -> &'static str {
        let public = Self { clients: self.clients.public(), ..self.clone() };
        let mut client = HealthClient::new(public);
        let call = client.check(HealthCheckRequest { service: String::new() });
        match tokio::time::timeout(timeout, call).await {
            Ok(Ok(res)) if res.get_ref().status == ServingStatus::Serving as i32 => "serving",
            Ok(Ok(_)) => "not_serving",
            Ok(Err(_)) | Err(_) => "unreachable",
        }
    }
}

/// Whether the gRPC server at `addr` reports SERVING within `timeout` (the binaries'
/// `healthcheck` command).
pub async fn serving(addr: SocketAddr, timeout: Duration) -> bool {
    let ask = async {
        let channel = Endpoint::from_shared(format!("http://{addr}"))?.connect_timeout(timeout).connect().await?;
        let reply = HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await?;
        Ok::<bool, anyhow::Error>(reply.get_ref().status == ServingStatus::Serving as i32)
    };
    matches!(tokio::time::timeout(timeout, ask).await, Ok(Ok(true)))
}

type ResponseFuture = Pin<Box<dyn Future<Output = Result<http::Response<Body>, tonic::transport::Error>> + Send>>;

impl tower::Service<http::Request<Body>> for Upstream {
    type Response = http::Response<Body>;
    type Error = tonic::transport::Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        tower::Service::poll_ready(&mut self.channel, cx)
    }

    fn call(&mut self, mut req: http::Request<Body>) -> Self::Future {
        trace_context::inject(&tracing::Span::current(), &mut trace_context::HeaderInjector(req.headers_mut()));
        let target = self.target;
        // A fresh token goes on at once; otherwise the call waits for one.
        let mut obtain = None;
        if let Some(credentials) = &self.clients.credentials {
            match credentials.fresh(target) {
                Some(token) => drop(req.headers_mut().insert(&SERVICE_TOKEN, token)),
                None => obtain = Some(credentials.clone()),
            }
        }
        let method = req.uri().path().to_owned();
        let metrics = self.clients.metrics.clone();
        let timeout = self.clients.timeout;
        let started = Instant::now();
        // The ready channel goes into the future; a fresh clone stays for the next call.
        let clone = self.channel.clone();
        let mut channel = std::mem::replace(&mut self.channel, clone);
        Box::pin(async move {
            if let Some(credentials) = obtain {
                match credentials.obtain(target).await {
                    Ok(token) => drop(req.headers_mut().insert(&SERVICE_TOKEN, token)),
                    Err(err) => {
                        tracing::warn!(target, error = format!("{err:#}"), "no service token");
                        let status = tonic::Status::unavailable(format!("no credentials to call {target}"));
                        metrics.observe(&[target, &method], "Unavailable", started.elapsed());
                        return Ok(status.into_http());
                    }
                }
            }
            // Bounded here too: with no address known yet a balanced channel would hold the call.
            let Ok(result) = tokio::time::timeout(timeout, tower::Service::call(&mut channel, req)).await else {
                metrics.observe(&[target, &method], "DeadlineExceeded", started.elapsed());
                let status = tonic::Status::deadline_exceeded(format!("{target} did not answer in time"));
                return Ok(status.into_http());
            };
            let code = match &result {
                Ok(res) => trace_context::grpc_code(res.headers()),
                Err(_) => tonic::Code::Unavailable,
            };
            metrics.observe(&[target, &method], shop_platform::metrics::grpc_code_label(code), started.elapsed());
            result
        })
    }
}
