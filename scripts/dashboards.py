"""The Grafana dashboards, made from one description: scripts/check-charts writes them to
helm/shop/dashboards/ with --write-schemas (and fails when a committed one differs).
The umbrella chart ships them as ConfigMaps; docker compose provisions them.

Every query names its metrics with a selector (`name{…}`), so the fleet test can check
that some binary exports each one (tests/tests/observability.rs).
"""
import json

RATE = "$__rate_interval"
SERVER_ERRORS = 'grpc_code=~"Unknown|Internal|Unavailable|DataLoss|DeadlineExceeded"'
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def panel(title: str, targets: list[tuple[str, str]], unit: str = "short", kind: str = "timeseries",
          width: int = 12, description: str = "") -> dict:
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"w": width, "h": 8},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]}}
        if kind == "timeseries" else {},
        "targets": [{"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "refId": chr(65 + i)}
                    for i, (expr, legend) in enumerate(targets)],
    }


def dashboard(uid: str, title: str, description: str, panels: list[dict], variables: list[dict] = ()) -> dict:
    x = y = 0
    for i, p in enumerate(panels):
        p["id"] = i + 1
        w = p["gridPos"]["w"]
        if x + w > 24:
            x, y = 0, y + 8
        p["gridPos"].update({"x": x, "y": y})
        x += w
    datasource = {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source",
                  "current": {}, "hide": 0}
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["shop"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "30s",
        "time": {"from": "now-3h", "to": "now"},
        "templating": {"list": [datasource, *variables]},
        "annotations": {"list": []},
        "panels": panels,
    }


def fleet_overview() -> dict:
    return dashboard("shop-fleet", "Shop: fleet overview",
                     "Rate, errors and duration of the gateway and every service; who is up; what each process uses.", [
        panel("Gateway requests/s by status", [(f'sum by (status) (rate(http_server_requests_total{{}}[{RATE}]))', "{{status}}")], "reqps"),
        panel("Gateway latency", [
            (f'histogram_quantile(0.5, sum by (le) (rate(http_server_request_duration_seconds_bucket{{}}[{RATE}])))', "p50"),
            (f'histogram_quantile(0.95, sum by (le) (rate(http_server_request_duration_seconds_bucket{{}}[{RATE}])))', "p95"),
            (f'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{{}}[{RATE}])))', "p99"),
        ], "s"),
        panel("RPCs/s by service", [(f'sum by (service) (rate(grpc_server_requests_total{{}}[{RATE}]))', "{{service}}")], "reqps"),
        panel("RPC error ratio by service", [(
            f'sum by (service) (rate(grpc_server_requests_total{{{SERVER_ERRORS}}}[{RATE}])) '
            f'/ sum by (service) (rate(grpc_server_requests_total{{}}[{RATE}]))', "{{service}}")], "percentunit",
            description="Server-side failures (Internal, Unavailable, Unknown, DataLoss, DeadlineExceeded) among all RPCs."),
        panel("RPC p95 latency by service", [(
            f'histogram_quantile(0.95, sum by (service, le) (rate(grpc_server_request_duration_seconds_bucket{{}}[{RATE}])))',
            "{{service}}")], "s"),
        panel("Upstreams as the gateway sees them", [('min by (upstream) (gateway_upstream_up{})', "{{upstream}}")],
              kind="stat", description="1: the service reports SERVING to the gateway's probe."),
        panel("Resident memory by service", [('sum by (service) (process_resident_memory_bytes{})', "{{service}}")], "bytes"),
        panel("CPU by service", [(f'sum by (service) (rate(process_cpu_seconds_total{{}}[{RATE}]))', "{{service}}")], "percentunit"),
        panel("Versions running", [('count by (service, version) (shop_build_info{})', "{{service}} {{version}}")],
              kind="table", width=24),
    ])


def service_detail() -> dict:
    s = 'service="$service"'
    variable = {"name": "service", "type": "query", "label": "Service", "datasource": DATASOURCE,
                "query": {"query": "label_values(shop_build_info, service)", "refId": "service"},
                "definition": "label_values(shop_build_info, service)", "refresh": 2, "current": {}, "hide": 0}
    return dashboard("shop-service", "Shop: service detail",
                     "One service: its RPCs by method and code, its calls to others, its pools and its process.", [
        panel("RPCs/s by method", [(f'sum by (grpc_method) (rate(grpc_server_requests_total{{{s}}}[{RATE}]))', "{{grpc_method}}")], "reqps"),
        panel("RPCs/s by code", [(f'sum by (grpc_code) (rate(grpc_server_requests_total{{{s}}}[{RATE}]))', "{{grpc_code}}")], "reqps"),
        panel("p95 latency by method", [(
            f'histogram_quantile(0.95, sum by (grpc_method, le) (rate(grpc_server_request_duration_seconds_bucket{{{s}}}[{RATE}])))',
            "{{grpc_method}}")], "s"),
        panel("Calls to other services by target and code", [(
            f'sum by (target, grpc_code) (rate(grpc_client_requests_total{{{s}}}[{RATE}]))', "{{target}} {{grpc_code}}")], "reqps"),
        panel("p95 latency of calls to others", [(
            f'histogram_quantile(0.95, sum by (target, le) (rate(grpc_client_request_duration_seconds_bucket{{{s}}}[{RATE}])))',
            "{{target}}")], "s"),
        panel("Addresses each callee resolves to", [(f'max by (target) (grpc_client_endpoints{{{s}}})', "{{target}}")],
              description="Pods a call can go to: a headless Service's ready pods."),
        panel("MongoDB connections", [(f'sum by (state) (mongo_pool_connections{{{s}}})', "{{state}}")]),
        panel("Redis connections", [(f'sum by (state) (redis_pool_connections{{{s}}})', "{{state}}")]),
        panel("Resident memory", [(f'sum by (pod, instance) (process_resident_memory_bytes{{{s}}})', "{{instance}}")], "bytes"),
        panel("CPU", [(f'sum by (pod, instance) (rate(process_cpu_seconds_total{{{s}}}[{RATE}]))', "{{instance}}")], "percentunit"),
        panel("Open file descriptors", [(f'sum by (instance) (process_open_fds{{{s}}})', "{{instance}}")]),
    ], [variable])


def checkout_payments() -> dict:
    return dashboard("shop-checkout", "Shop: checkout and payments",
                     "Orders placed, paid and cancelled (by reason), revenue by currency, checkout latency, charges and refunds, low stock.", [
        panel("Orders per minute", [
            (f'sum(rate(shop_orders_placed_total{{}}[{RATE}])) * 60', "placed"),
            (f'sum(rate(shop_orders_paid_total{{}}[{RATE}])) * 60', "paid"),
            (f'sum(rate(shop_orders_cancelled_total{{}}[{RATE}])) * 60', "cancelled"),
        ]),
        panel("Cancellations by reason", [(f'sum by (reason) (increase(shop_orders_cancelled_total{{}}[1h]))', "{{reason}}")],
              kind="bargauge"),
        panel("Revenue per hour by currency (major units)", [(
            'sum by (currency) (increase(shop_revenue_minor_units_total{}[1h])) / 100', "{{currency}}")]),
        panel("Checkout latency", [
            (f'histogram_quantile(0.5, sum by (le) (rate(shop_checkout_duration_seconds_bucket{{}}[{RATE}])))', "p50"),
            (f'histogram_quantile(0.95, sum by (le) (rate(shop_checkout_duration_seconds_bucket{{}}[{RATE}])))', "p95"),
        ], "s"),
        panel("Checkouts by outcome", [(f'sum by (outcome) (rate(shop_checkout_duration_seconds_count{{}}[{RATE}]))', "{{outcome}}")], "reqps"),
        panel("Charges by outcome", [(f'sum by (outcome) (rate(shop_payment_charges_total{{}}[{RATE}]))', "{{outcome}}")], "reqps",
              description="declined: the card was refused; failed: the provider could not be reached."),
        panel("Refunds per hour", [('sum(increase(shop_payment_refunds_total{}[1h]))', "refunds")]),
        panel("Low-stock alerts per hour", [('sum(increase(shop_low_stock_alerts_total{}[1h]))', "alerts")]),
        panel("Revenue per hour by currency (minor units)", [(
            'sum by (currency, change) (increase(shop_analytics_revenue_minor_total{}[1h]))', "{{currency}} {{change}}")],
              description="As analytics counts it from order events: paid, and given back (cancelled, refunded)."),
        panel("Orders per hour by currency", [(
            'sum by (currency, change) (increase(shop_analytics_orders_total{}[1h]))', "{{currency}} {{change}}")]),
    ])


def messaging() -> dict:
    return dashboard("shop-messaging", "Shop: messaging health",
                     "Outboxes waiting to publish, events handled per consumer, redeliveries, dead letters, mail delivery.", [
        panel("Outbox backlog by service", [('sum by (service) (messaging_outbox_backlog{})', "{{service}}")],
              description="Events written with their change and not yet confirmed by the broker."),
        panel("Oldest unpublished event", [('max by (service) (messaging_outbox_oldest_age_seconds{})', "{{service}}")], "s"),
        panel("Events handled/s by consumer", [(
            f'sum by (consumer) (rate(messaging_events_handled_total{{outcome="ok"}}[{RATE}]))', "{{consumer}}")], "reqps"),
        panel("Failed handlings/s (each is redelivered)", [(
            f'sum by (consumer) (rate(messaging_events_handled_total{{outcome="failed"}}[{RATE}]))', "{{consumer}}")], "reqps"),
        panel("Handling p95 by consumer", [(
            f'histogram_quantile(0.95, sum by (consumer, le) (rate(messaging_event_handling_duration_seconds_bucket{{}}[{RATE}])))',
            "{{consumer}}")], "s"),
        panel("Dead letters waiting by consumer", [('max by (consumer) (messaging_dead_letters{})', "{{consumer}}")],
              description="Events given up on after the delivery limit: each needs a look."),
        panel("Mail delivery attempts by outcome", [(
            f'sum by (outcome) (rate(shop_notification_deliveries_total{{}}[{RATE}]))', "{{outcome}}")], "reqps",
              description="retry: refused for now (tried again later); failed: refused for good; dead: every attempt failed."),
        panel("Mail per hour by template", [(
            'sum by (template) (increase(shop_notification_deliveries_total{outcome="sent"}[1h]))', "{{template}}")]),
    ])


DASHBOARDS = {
    "fleet-overview": fleet_overview,
    "service-detail": service_detail,
    "checkout-payments": checkout_payments,
    "messaging": messaging,
}


def render() -> dict[str, str]:
    return {f"{name}.json": json.dumps(make(), indent=2) + "\n" for name, make in DASHBOARDS.items()}
