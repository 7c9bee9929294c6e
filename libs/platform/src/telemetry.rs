//! Logs and traces: JSON (or pretty) logs through `tracing`, and OpenTelemetry spans that
//! carry W3C trace ids, exported over OTLP when an endpoint is configured.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::{Resource, trace::SdkTracerProvider};
use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};

use crate::settings::{LogFormat, TelemetrySettings};

/// Keeps the tracer provider alive; flushes pending spans when dropped.
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        let _ = self.provider.force_flush();
        let _ = self.provider.shutdown();
    }
}

/// Builds the tracer provider for `service`: spans are always created (so trace ids reach
/// logs and downstream calls) and exported only when `otlp_endpoint` is set.
/// Must be called inside a tokio runtime.
pub fn tracer_provider(service: &str, settings: &TelemetrySettings) -> anyhow::Result<SdkTracerProvider> {
    let resource = Resource::builder().with_service_name(service.to_owned()).build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if let Some(endpoint) = settings.otlp_endpoint.as_deref().filter(|e| !e.is_empty()) {
        use opentelemetry_otlp::WithExportConfig;
        let exporter = opentelemetry_otlp::SpanExporter::builder().with_tonic().with_endpoint(endpoint).build()?;
        builder = builder.with_batch_exporter(exporter);
    }
    Ok(builder.build())
}

/// Installs the global subscriber. Call once, first thing in `main`.
pub fn init(service: &str, settings: &TelemetrySettings) -> anyhow::Result<TelemetryGuard> {
    let provider = tracer_provider(service, settings)?;
    // lapin warns of every event the broker hands back for want of a subscriber queue — an
    // expected outcome here (the relay logs it at debug) — unless asked about lapin.
    let directives = if settings.log_filter.contains("lapin") {
        settings.log_filter.clone()
    } else {
        format!("{},lapin=error", settings.log_filter)
    };
    let filter = EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new(&directives))?;
    let fmt = match settings.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer().compact().boxed(),
    };
    let otel = tracing_opentelemetry::layer().with_tracer(provider.tracer(service.to_owned()));
    tracing_subscriber::registry().with(filter).with(fmt).with(otel).try_init()?;
    Ok(TelemetryGuard { provider })
}
