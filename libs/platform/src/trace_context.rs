//! W3C trace context carried across process boundaries: HTTP headers, gRPC metadata and
//! AMQP message headers all go through these few functions.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Writes the trace context of `span` (`traceparent`, `tracestate`) into `carrier`.
pub fn inject(span: &tracing::Span, carrier: &mut dyn Injector) {
    TraceContextPropagator::new().inject_context(&span.context(), carrier);
}

/// The trace context of the current span as a map (for event envelopes).
pub fn current_map() -> HashMap<String, String> {
    let mut map = HashMap::new();
    inject(&tracing::Span::current(), &mut map);
    map
}

/// Makes `span` a child of the remote context found in `carrier`, if any.
pub fn set_parent(span: &tracing::Span, carrier: &dyn Extractor) {
    let cx = TraceContextPropagator::new().extract(carrier);
    if opentelemetry::trace::TraceContextExt::span(&cx).span_context().is_valid() {
        // Fails only when the span is disabled; then there is nothing to link.
        let _ = span.set_parent(cx);
    }
}

/// The hex trace id of `span`, if it is being traced.
pub fn trace_id(span: &tracing::Span) -> Option<String> {
    let cx = span.context();
    let sc = opentelemetry::trace::TraceContextExt::span(&cx).span_context().clone();
    sc.is_valid().then(|| sc.trace_id().to_string())
}

/// Adapts `http::HeaderMap` (gRPC metadata is carried in it too).
pub struct HeaderCarrier<'a>(pub &'a http::HeaderMap);

impl Extractor for HeaderCarrier<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Adapts outgoing HTTP headers (and so gRPC metadata).
pub struct HeaderInjector<'a>(pub &'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (http::HeaderName::from_bytes(key.as_bytes()), value.parse()) {
            self.0.insert(key, value);
        }
    }
}

/// The gRPC status of a response as its headers tell it: a failed unary call answers with
/// trailers only, so its `grpc-status` is there; a success sends it later (OK).
pub fn grpc_code(headers: &http::HeaderMap) -> tonic::Code {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map_or(tonic::Code::Ok, tonic::Code::from)
}
