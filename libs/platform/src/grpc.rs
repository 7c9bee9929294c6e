//! gRPC server plumbing every service shares: health, reflection, RED metrics, trace
//! context extraction and graceful drain.

use std::{
    collections::HashSet,
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Instant,
};

use tokio::{net::TcpListener, task::JoinHandle};
use tonic::service::Routes;
use tonic_health::{ServingStatus, server::HealthReporter};
use tracing::Instrument;

use crate::{
    Shutdown,
    metrics::RedMetrics,
    shutdown::{DRAIN_DEADLINE, drain},
    trace_context::{HeaderCarrier, grpc_code, set_parent, trace_id},
};

/// A running gRPC server.
pub struct GrpcServer {
    pub local_addr: SocketAddr,
    health: HealthReporter,
    services: Vec<&'static str>,
    stop: Shutdown,
    task: JoinHandle<()>,
}

impl GrpcServer {
    /// Serves `routes` plus health and reflection on `listener` until [`GrpcServer::drain`].
    /// `services` are the fully qualified names served (for health and the metric labels).
    pub async fn start(
        listener: TcpListener,
        services: &[&'static str],
        routes: Routes,
        registry: &prometheus::Registry,
    ) -> anyhow::Result<Self> {
        let local_addr = listener.local_addr()?;
        let (health, health_service) = tonic_health::server::health_reporter();
        for name in services.iter().copied().chain([""]) {
            health.set_service_status(name, ServingStatus::Serving).await;
        }
        // Advertise what this server serves, not every contract in the descriptor set.
        let reflection = || {
            let advertised = services.iter().copied().chain([
                "grpc.health.v1.Health",
                "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection",
            ]);
            advertised.fold(
                tonic_reflection::server::Builder::configure()
                    .register_encoded_file_descriptor_set(shop_proto::FILE_DESCRIPTOR_SET)
                    .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET),
                |builder, name| builder.with_service_name(name),
            )
        };
        let reflection_v1 = reflection().build_v1()?;
        let reflection_v1alpha = reflection().build_v1alpha()?;
        let routes = routes.add_service(health_service).add_service(reflection_v1).add_service(reflection_v1alpha);

        let layer = ObserveLayer {
            metrics: RedMetrics::register(registry, "grpc_server", &["grpc_method"], "grpc_code")?,
            known: Arc::new(services.iter().map(|s| (*s).to_owned()).collect()),
        };
        // Small replies must leave at once, not wait for Nagle's algorithm.
        let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        let stop = Shutdown::new();
        let signal = stop.clone();
        let task = tokio::spawn(async move {
            let served = tonic::transport::Server::builder()
                .layer(layer)
                .add_routes(routes)
                .serve_with_incoming_shutdown(incoming, signal.wait());
            if let Err(err) = served.await {
                tracing::error!(error = %err, "gRPC server failed");
            }
        });
        Ok(Self { local_addr, health, services: services.to_vec(), stop, task })
    }

    /// Reports NOT_SERVING so balancers stop routing here, stops accepting, and waits
    /// (bounded) for in-flight calls to finish.
    pub async fn drain(self) {
        for name in self.services.iter().copied().chain([""]) {
            self.health.set_service_status(name, ServingStatus::NotServing).await;
        }
        self.stop.trigger();
        drain("grpc", DRAIN_DEADLINE, self.task).await;
    }
}

/// Metrics and a server span for every call, parented on the caller's trace context.
#[derive(Clone)]
struct ObserveLayer {
    metrics: RedMetrics,
    known: Arc<HashSet<String>>,
}

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe { inner, layer: self.clone() }
    }
}

#[derive(Clone)]
struct Observe<S> {
    inner: S,
    layer: ObserveLayer,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, RB> tower::Service<http::Request<B>> for Observe<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let path = req.uri().path().to_owned();
        let span = tracing::info_span!(
            "grpc.request",
            otel.name = %path,
            otel.kind = "server",
            rpc.system = "grpc",
            trace_id = tracing::field::Empty,
        );
        set_parent(&span, &HeaderCarrier(req.headers()));
        if let Some(id) = trace_id(&span) {
            span.record("trace_id", id);
        }
        // The ready service goes into the future; a fresh clone stays for the next call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        let started = Instant::now();
        Box::pin(
            async move {
                let result = inner.call(req).await;
                let code = match &result {
                    Ok(res) => grpc_code(res.headers()),
                    Err(_) => tonic::Code::Internal,
                };
                let method = method_label(&path, &layer.known);
                layer.metrics.observe(&[method], crate::metrics::grpc_code_label(code), started.elapsed());
                result
            }
            .instrument(span),
        )
    }
}

/// The method path for known services, else `unknown` (keeps label sets bounded).
fn method_label<'a>(path: &'a str, known: &HashSet<String>) -> &'a str {
    let service = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let infrastructure = service.starts_with("grpc.health.") || service.starts_with("grpc.reflection.");
    if infrastructure || known.contains(service) { path } else { "unknown" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        let known: HashSet<String> = ["shop.catalog.v1.CatalogService".to_owned()].into();
        assert_eq!(
            method_label("/shop.catalog.v1.CatalogService/GetProduct", &known),
            "/shop.catalog.v1.CatalogService/GetProduct"
        );
        assert_eq!(method_label("/evil.Service/x", &known), "unknown");
        assert_eq!(method_label("/grpc.health.v1.Health/Check", &known), "/grpc.health.v1.Health/Check");
    }
}
