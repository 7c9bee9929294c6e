//! One request through the gateway yields spans in every service it reaches that share a
//! trace id: the W3C context travels in HTTP headers, then in gRPC metadata from service to
//! service, then in the envelopes of the events a change publishes.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::{
    error::OTelSdkResult,
    trace::{SdkTracerProvider, SpanData, SpanExporter},
};
use shop::{Settings, start};
use shop_catalog::seed::demo_product_id;
use shop_e2e::{Api, commerce};
use shop_platform::Shutdown;
use shop_test_support::{eventually, http};
use tracing_subscriber::layer::SubscriberExt;

/// Keeps every exported span for the assertions.
#[derive(Clone, Debug, Default)]
struct Captured(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Captured {
    fn export(&self, batch: Vec<SpanData>) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        self.0.lock().unwrap().extend(batch);
        std::future::ready(Ok(()))
    }
}

impl Captured {
    fn named(&self, trace_id: &str, name: &str) -> Vec<SpanData> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.span_context.trace_id().to_string() == trace_id && s.name == name)
            .cloned()
            .collect()
    }

    fn with_name(&self, name: &str) -> Vec<SpanData> {
        self.0.lock().unwrap().iter().filter(|s| s.name == name).cloned().collect()
    }
}

const GATEWAY_SPAN: &str = "GET /api/v1/products/{id}";
const CATALOG_SPAN: &str = "/shop.catalog.v1.CatalogService/GetProduct";

#[tokio::test]
async fn a_read_and_a_checkout_are_each_one_trace_across_the_services_they_reach() {
    let spans = Captured::default();
    let provider = SdkTracerProvider::builder().with_simple_exporter(spans.clone()).build();
    let subscriber =
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("shop")));
    tracing::subscriber::set_global_default(subscriber).expect("first subscriber");

    let shutdown = Shutdown::new();
    let platform = start(&Settings::ephemeral(), shutdown.clone()).await.unwrap();
    let url = format!("http://{}/api/v1/products/{}", platform.gateway_addr, demo_product_id(3));

    // A caller that is itself traced: its trace continues through both services.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let res =
        http().get(&url).header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(eventually(Duration::from_secs(5), || async { !spans.named(trace_id, CATALOG_SPAN).is_empty() }).await);
    let gateway = spans.named(trace_id, GATEWAY_SPAN);
    let catalog = spans.named(trace_id, CATALOG_SPAN);
    assert_eq!(gateway.len(), 1, "one gateway span in the caller's trace");
    assert_eq!(catalog.len(), 1, "one catalog span in the caller's trace");
    assert_eq!(gateway[0].parent_span_id.to_string(), "00f067aa0ba902b7");
    assert!(catalog[0].parent_span_is_remote, "catalog's parent came over the wire");
    assert_eq!(catalog[0].parent_span_id, gateway[0].span_context.span_id());

    // A caller without trace context: the gateway starts a trace and catalog joins it.
    // (Another product: anonymous reads of the first one are now answered from the cache.)
    let url = format!("http://{}/api/v1/products/{}", platform.gateway_addr, demo_product_id(4));
    let res = http().get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(eventually(Duration::from_secs(5), || async { spans.with_name(GATEWAY_SPAN).len() == 2 }).await);
    let fresh = spans
        .with_name(GATEWAY_SPAN)
        .into_iter()
        .find(|s| s.span_context.trace_id().to_string() != trace_id)
        .expect("a second gateway span");
    let fresh_trace = fresh.span_context.trace_id().to_string();
    assert!(eventually(Duration::from_secs(5), || async { !spans.named(&fresh_trace, CATALOG_SPAN).is_empty() }).await);

    a_checkout_is_one_trace_across_every_service(&spans, &Api::new(format!("http://{}", platform.gateway_addr))).await;

    shutdown.trigger();
    platform.stopped().await.unwrap();
}

/// A checkout reaches order, which prices at catalog, reserves at inventory and charges at
/// payment; its `order.paid` event is consumed by inventory. All of it is one trace.
async fn a_checkout_is_one_trace_across_every_service(spans: &Captured, api: &Api) {
    let customer = commerce::token(api, "customer@shop.local", "customer-demo-password").await;
    commerce::add_to_cart(api, &customer, "APPAREL-0001-S", 1).await;
    let trace_id = "0af7651916cd43dd8448eb211c80319c";
    let body = serde_json::json!({
        "shipping_address": {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Springfield",
            "postal_code": "12345", "country": "US"},
        "payment_token": "tok_visa",
    });
    let traceparent = format!("00-{trace_id}-b7ad6b7169203331-01");
    let headers = [("idempotency-key", "traced-checkout"), ("traceparent", traceparent.as_str())];
    let placed = api.send_with(reqwest::Method::POST, "/api/v1/orders", Some(&customer), Some(body), &headers).await;
    assert_eq!(placed.status, 201, "{}", placed.text);

    let expected = [
        "POST /api/v1/orders",
        "/shop.order.v1.OrderService/PlaceOrder",
        "/shop.catalog.v1.CatalogService/GetProducts",
        "/shop.inventory.v1.InventoryService/Reserve",
        "/shop.payment.v1.PaymentService/Charge",
        "/shop.inventory.v1.InventoryService/Commit",
        "consume order.paid",
    ];
    let missing = || expected.iter().copied().filter(|name| spans.named(trace_id, name).is_empty()).collect::<Vec<_>>();
    eventually(Duration::from_secs(10), || async { missing().is_empty() }).await;
    assert!(missing().is_empty(), "spans missing from the checkout's trace: {:?}", missing());
}
