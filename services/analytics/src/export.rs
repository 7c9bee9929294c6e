//! The orders of a range as CSV, streamed a page at a time: read back from order (oldest
//! first, starting at the first order id of the range's first instant — order ids begin with
//! their time), one row per order, a vendor's rows holding only its own lines.

use jiff::Timestamp;
use shop_proto::order::v1::{Order, OrderStatus, ScanOrdersRequest, order_service_client::OrderServiceClient};
use shop_service_kit::Upstream;
use shop_tabular::CsvWriter;
use tokio::sync::mpsc;

use crate::reports::Scope;

/// Orders read per page.
const PAGE: u32 = 500;

pub const HEADER: [&str; 11] = [
    "order_id",
    "placed_at",
    "status",
    "customer_id",
    "currency",
    "units",
    "total",
    "paid_at",
    "shipped_at",
    "cancelled_at",
    "refunded_at",
];

/// The smallest order id of an order placed at `ms` (Unix ms): a UUIDv7 with that time.
pub fn first_id_at(ms: i64) -> String {
    let ms = u64::try_from(ms.max(0)).unwrap_or(0) & 0xFFFF_FFFF_FFFF;
    format!("{:08x}-{:04x}-7000-8000-000000000000", ms >> 16, ms & 0xFFFF)
}

fn status_name(status: i32) -> String {
    OrderStatus::try_from(status)
        .map(|s| s.as_str_name().trim_start_matches("ORDER_STATUS_").to_lowercase())
        .unwrap_or_default()
}

fn rfc3339(seconds: i64) -> String {
    Timestamp::from_second(seconds).map(|t| t.to_string()).unwrap_or_default()
}

/// The row of `order` as `scope` sees it; none when it holds nothing of the scope's.
pub fn row(order: &Order, scope: &Scope) -> Option<Vec<String>> {
    let lines: Vec<_> = order
        .lines
        .iter()
        .filter(|l| match scope {
            Scope::Shop => true,
            Scope::Vendor(v) => &l.vendor_id == v,
        })
        .collect();
    if lines.is_empty() {
        return None;
    }
    let when = |status: OrderStatus| {
        let entered = order.history.iter().find(|h| h.status == i32::from(status));
        entered.and_then(|h| h.at.as_ref()).map(|t| rfc3339(t.seconds)).unwrap_or_default()
    };
    let units: i64 = lines.iter().map(|l| l.quantity).sum();
    let total: i64 = lines.iter().map(|l| l.line_total.as_ref().map_or(0, |m| m.amount)).sum();
    Some(vec![
        order.id.clone(),
        order.created_at.as_ref().map(|t| rfc3339(t.seconds)).unwrap_or_default(),
        status_name(order.status),
        order.user_id.clone(),
        order.total.as_ref().map(|m| m.currency.clone()).unwrap_or_default(),
        units.to_string(),
        total.to_string(),
        when(OrderStatus::Paid),
        when(OrderStatus::Shipped),
        when(OrderStatus::Cancelled),
        when(OrderStatus::Refunded),
    ])
}

/// Streams the CSV of the orders placed in `[from_ms, until_ms)` that `scope` may see into
/// `out`, a chunk per page; stops when the receiver goes away.
pub async fn stream(
    orders: OrderServiceClient<Upstream>,
    scope: Scope,
    (from_ms, until_ms): (i64, i64),
    out: mpsc::Sender<Result<Vec<u8>, tonic::Status>>,
) {
    let mut csv = CsvWriter::default();
    csv.row(&HEADER);
    let mut after = first_id_at(from_ms);
    loop {
        let request = ScanOrdersRequest { after: after.clone(), limit: PAGE };
        let page = match orders.clone().scan_orders(request).await {
            Ok(page) => page.into_inner(),
            Err(status) => {
                let _ = out.send(Err(status)).await;
                return;
            }
        };
        let mut done = page.next.is_empty();
        for order in &page.orders {
            if order.created_at.as_ref().is_some_and(|t| shop_proto::millis(t) >= until_ms) {
                done = true;
                break;
            }
            if let Some(row) = row(order, &scope) {
                csv.row(&row);
            }
        }
        if out.send(Ok(csv.take())).await.is_err() || done {
            return;
        }
        after = page.next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_id_of_an_instant_sorts_before_every_order_placed_then() {
        let ms = 1_743_289_200_000;
        let first = first_id_at(ms);
        assert_eq!(first, "0195e422-2d80-7000-8000-000000000000");
        let later = uuid_like(ms, "7abc-9def-0123456789ab");
        assert!(first < later && first_id_at(ms - 1) < first);
    }

    fn uuid_like(ms: i64, rest: &str) -> String {
        let ms = u64::try_from(ms).unwrap();
        format!("{:08x}-{:04x}-{rest}", ms >> 16, ms & 0xFFFF)
    }
}
