//! What every gRPC service process runs: its gRPC server (with health, reflection,
//! metrics and tracing) and its `/metrics` endpoint, stopped together on shutdown.

use std::net::SocketAddr;

use prometheus::Registry;
use tokio::task::JoinHandle;
use tonic::service::Routes;

use crate::{Shutdown, grpc::GrpcServer, metrics, settings::Listen};

pub struct ServiceHost {
    pub grpc_addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    grpc: GrpcServer,
    metrics: JoinHandle<()>,
    metrics_stop: Shutdown,
}

impl ServiceHost {
    /// Binds both listeners and starts serving `routes` (the services named in `services`).
    pub async fn start(
        grpc: Listen,
        metrics_listen: Listen,
        services: &[&'static str],
        routes: Routes,
        registry: Registry,
    ) -> anyhow::Result<Self> {
        let grpc_listener = metrics::bind(grpc.addr()).await?;
        let metrics_listener = metrics::bind(metrics_listen.addr()).await?;
        let metrics_addr = metrics_listener.local_addr()?;
        let server = GrpcServer::start(grpc_listener, services, routes, &registry).await?;
        let metrics_stop = Shutdown::new();
        let metrics = tokio::spawn(metrics::serve(metrics_listener, registry, metrics_stop.clone()));
        tracing::debug!(grpc = %server.local_addr, metrics = %metrics_addr, "serving");
        Ok(Self { grpc_addr: server.local_addr, metrics_addr, grpc: server, metrics, metrics_stop })
    }

    /// Drains gRPC (NOT_SERVING, stop accepting, finish in-flight) and stops the metrics endpoint.
    pub async fn drain(self) {
        self.grpc.drain().await;
        self.metrics_stop.trigger();
        let _ = self.metrics.await;
    }
}
