//! Prometheus metrics: a registry per service, RED metrics for gRPC servers, and the
//! `/metrics` HTTP endpoint.

use std::{convert::Infallible, net::SocketAddr, time::Duration};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, body::Incoming, service::service_fn};
use hyper_util::rt::TokioIo;
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};
use tokio::net::TcpListener;

use crate::Shutdown;

/// The registry of one service (or the gateway): every metric in it carries
/// `service="<name>"`, and it holds the process's own figures (`process_cpu_seconds_total`,
/// `process_resident_memory_bytes`, `process_open_fds`, …) and
/// `shop_build_info{version, revision}` (always 1).
pub fn registry(service: &str) -> prometheus::Result<Registry> {
    let labels = std::collections::HashMap::from([("service".to_owned(), service.to_owned())]);
    let registry = Registry::new_custom(None, Some(labels))?;
    #[cfg(target_os = "linux")]
    registry.register(Box::new(prometheus::process_collector::ProcessCollector::for_self()))?;
    let build = prometheus::IntGaugeVec::new(
        Opts::new("shop_build_info", "The running build: its version and source revision."),
        &["version", "revision"],
    )?;
    build
        .with_label_values(&[env!("CARGO_PKG_VERSION"), option_env!("SHOP_BUILD_REVISION").unwrap_or("unknown")])
        .set(1);
    registry.register(Box::new(build))?;
    Ok(registry)
}

/// Registers a counter by one label, each of `known` values present from zero (so that
/// rates and alerts see them before their first event). No registry: unregistered.
pub fn counter(
    registry: Option<&Registry>,
    name: &str,
    help: &str,
    label: &str,
    known: &[&str],
) -> prometheus::Result<IntCounterVec> {
    let counter = IntCounterVec::new(Opts::new(name, help), &[label])?;
    for value in known {
        counter.with_label_values(&[value]);
    }
    if let Some(registry) = registry {
        registry.register(Box::new(counter.clone()))?;
    }
    Ok(counter)
}

/// Latency buckets in seconds, from 0.5 ms to 10 s.
pub const LATENCY_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Request count and latency per method and outcome (rate, errors, duration).
#[derive(Clone)]
pub struct RedMetrics {
    requests: IntCounterVec,
    duration: HistogramVec,
}

impl RedMetrics {
    /// Registers `<prefix>_requests_total{<labels>, <outcome>}` and
    /// `<prefix>_request_duration_seconds{<labels>}` in `registry`.
    pub fn register(registry: &Registry, prefix: &str, labels: &[&str], outcome: &str) -> prometheus::Result<Self> {
        let mut all: Vec<&str> = labels.to_vec();
        all.push(outcome);
        let requests = IntCounterVec::new(Opts::new(format!("{prefix}_requests_total"), "Requests handled."), &all)?;
        let duration = HistogramVec::new(
            HistogramOpts::new(format!("{prefix}_request_duration_seconds"), "Time to handle a request.")
                .buckets(LATENCY_BUCKETS.to_vec()),
            labels,
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        Ok(Self { requests, duration })
    }

    /// Records one request. `labels` must be from a bounded set.
    pub fn observe(&self, labels: &[&str], outcome: &str, elapsed: Duration) {
        let mut all: Vec<&str> = labels.to_vec();
        all.push(outcome);
        self.requests.with_label_values(&all).inc();
        self.duration.with_label_values(labels).observe(elapsed.as_secs_f64());
    }
}

/// The `grpc_code` label of a status code (its name, e.g. `NotFound`), without formatting
/// a string on every call.
pub const fn grpc_code_label(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "Ok",
        Code::Cancelled => "Cancelled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}

/// Renders `registry` in the Prometheus text format.
pub fn render(registry: &Registry) -> String {
    let mut buf = Vec::new();
    let encoder = TextEncoder::new();
    if let Err(err) = encoder.encode(&registry.gather(), &mut buf) {
        tracing::warn!(error = %err, "could not encode metrics");
    }
    String::from_utf8(buf).unwrap_or_default()
}

/// Serves `GET /metrics` (and a trivial `GET /healthz`) on `listener` until shutdown.
pub async fn serve(listener: TcpListener, registry: Registry, shutdown: Shutdown) {
    loop {
        let (stream, _) = tokio::select! {
            () = shutdown.wait() => return,
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(err) => {
                    tracing::warn!(error = %err, "metrics accept failed");
                    continue;
                }
            },
        };
        let registry = registry.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<Incoming>| {
                let registry = registry.clone();
                async move { Ok::<_, Infallible>(respond(&req, &registry)) }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
        });
    }
}

fn respond(req: &Request<Incoming>, registry: &Registry) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match (req.method(), req.uri().path()) {
        (&hyper::Method::GET, "/metrics") => (200, "text/plain; version=0.0.4", Bytes::from(render(registry))),
        (&hyper::Method::GET, "/healthz") => (200, "text/plain", Bytes::from_static(b"ok")),
        _ => (404, "text/plain", Bytes::from_static(b"not found")),
    };
    Response::builder().status(status).header("content-type", content_type).body(Full::new(body)).unwrap_or_default()
}

/// Listeners bound ahead of their server (see [`prebind`]).
static PREBOUND: std::sync::Mutex<Vec<std::net::TcpListener>> = std::sync::Mutex::new(Vec::new());

/// Binds `addr` now and keeps the listener for the server that later asks [`bind`] for
/// the returned address. Lets one process tell a service where another will listen before
/// that one starts, even on a port picked at bind time (0).
pub fn prebind(addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    let listener =
        std::net::TcpListener::bind(addr).map_err(|err| anyhow::anyhow!("cannot listen on {addr}: {err}"))?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    crate::lock(&PREBOUND).push(listener);
    Ok(bound)
}

/// Binds a listener (or takes the one [`prebind`] kept for `addr`), reporting which
/// address failed.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    let kept = {
        let mut prebound = crate::lock(&PREBOUND);
        let at = prebound.iter().position(|l| l.local_addr().is_ok_and(|a| a == addr));
        at.map(|i| prebound.swap_remove(i))
    };
    match kept {
        Some(listener) => Ok(TcpListener::from_std(listener)?),
        None => TcpListener::bind(addr).await.map_err(|err| anyhow::anyhow!("cannot listen on {addr}: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_labels_are_the_codes_names() {
        for n in 0..=16 {
            let code = tonic::Code::from(n);
            assert_eq!(grpc_code_label(code), format!("{code:?}"));
        }
    }
}
