//! The scenario of the analytics tests, as the order events that tell it: six orders over
//! four days of March 2025 in Berlin (two vendors, two currencies, a paid order cancelled,
//! one refunded after shipping, a declined checkout), each day's events in reverse and
//! every one published twice on the real broker.

use shop_messaging::{BusSettings, EventBus, RabbitBus, kind, new_event};
use shop_proto::{
    Timestamp,
    common::v1::Money,
    events::v1::{OrderEvent, OrderLineRef},
};

/// (product, vendor index, quantity, unit price).
type Line = (&'static str, usize, i64, i64);

fn event(order: &str, user: &str, currency: &str, lines: &[Line], vendors: &[String], charged: bool) -> OrderEvent {
    let lines: Vec<OrderLineRef> = lines
        .iter()
        .map(|(product, vendor, quantity, unit)| OrderLineRef {
            sku: product.to_uppercase(),
            quantity: *quantity,
            product_id: (*product).to_owned(),
            vendor_id: vendors[*vendor].clone(),
            category_ids: match *product {
                "mug" => vec!["cups".into(), "kitchen".into()],
                "pot" => vec!["pots".into(), "kitchen".into()],
                _ => vec!["tea".into()],
            },
            name: format!("The {product}"),
            amount: quantity * unit,
        })
        .collect();
    let total = lines.iter().map(|l| l.amount).sum();
    OrderEvent {
        // An id of the order's shape that order does not know: other consumers skip it.
        order_id: format!("00000000-0000-7000-8000-00000000000{}", &order[1..]),
        user_id: user.into(),
        lines,
        total: Some(Money { amount: total, currency: currency.into() }),
        charged,
        ..OrderEvent::default()
    }
}

/// Seconds of 2025-03-03 00:00 in Berlin (23:00 UTC the day before), plus `day` days and
/// `hour` hours.
fn at(day: i64, hour: i64) -> Timestamp {
    Timestamp { seconds: 1_740_956_400 + day * 86_400 + hour * 3600, nanos: 0 }
}

/// The scenario's events, each day's in reverse, every one published twice.
pub async fn publish_scenario(vendors: &[String]) {
    let v = vendors;
    let o1 = event("o1", "alice", "USD", &[("mug", 0, 2, 1000), ("tea", 1, 1, 500)], v, true);
    let o2 = event("o2", "bob", "EUR", &[("mug", 0, 1, 900)], v, true);
    let o3 = event("o3", "alice", "USD", &[("pot", 0, 1, 3000)], v, true);
    let o4 = event("o4", "carol", "USD", &[("tea", 1, 4, 500)], v, true);
    let o5 = event("o5", "dave", "USD", &[("mug", 0, 1, 1000)], v, false);
    let o6 = event("o6", "bob", "EUR", &[("tea", 1, 2, 450)], v, true);
    let happened = [
        // 23:30 in Berlin on the first day is still that day (22:30 UTC).
        vec![
            (kind::ORDER_PLACED, &o1, at(0, 9)),
            (kind::ORDER_PAID, &o1, at(0, 9)),
            (kind::ORDER_PAID, &o2, at(0, 23)),
        ],
        vec![
            (kind::ORDER_PAID, &o3, at(1, 8)),
            (kind::ORDER_CANCELLED, &o3, at(1, 9)),
            (kind::ORDER_PAID, &o4, at(1, 10)),
        ],
        vec![
            (kind::ORDER_SHIPPED, &o4, at(2, 1)),
            (kind::ORDER_PLACED, &o5, at(2, 2)),
            (kind::ORDER_CANCELLED, &o5, at(2, 2)),
            (kind::ORDER_PAID, &o6, at(2, 3)),
        ],
        vec![(kind::ORDER_REFUNDED, &o4, at(3, 12))],
    ];
    let bus = RabbitBus::new(&shop_test_support::amqp_url(), BusSettings::default());
    let mut envelopes = Vec::new();
    for day in happened {
        for (kind, order, when) in day.into_iter().rev() {
            envelopes.push(new_event(kind, "order", &OrderEvent { at: Some(when), ..order.clone() }));
        }
    }
    for envelope in envelopes.iter().chain(&envelopes) {
        bus.publish(envelope).await.unwrap();
    }
}
