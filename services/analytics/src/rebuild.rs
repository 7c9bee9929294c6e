//! Rebuilding every figure from the source: the figures of orders are cleared (sign-ups and
//! low-stock alerts, which orders cannot tell again, stay), then every order that
//! order keeps is read back (a page at a time, oldest first) and each status it entered is
//! counted as the event that said so was — by the same key and on the same day — so a lost
//! database, or a new figure, is recovered, and live events arriving meanwhile are counted
//! once either way. Progress is noted in the store, where any replica can read it.

use std::{sync::Arc, time::Duration};

use shop_platform::now_ms;
use shop_proto::{
    events::v1::{OrderEvent, OrderLineRef},
    order::v1::{Order, OrderStatus, ScanOrdersRequest, order_service_client::OrderServiceClient},
};
use shop_service_kit::Upstream;

use crate::{
    domain::Rebuild,
    facts::{Fact, Sale},
    ingest::{self, Ingest},
};

/// Orders read per page.
const PAGE: u32 = 500;
/// A running rebuild notes progress at least this often; one silent for longer died with
/// its replica and may be started again.
const SILENT_FOR: Duration = Duration::from_secs(60);

pub struct Rebuilder {
    pub ingest: Arc<Ingest>,
    pub orders: OrderServiceClient<Upstream>,
}

/// What each status an order entered counts as.
fn fact(status: i32) -> Option<Fact> {
    match OrderStatus::try_from(status).ok()? {
        OrderStatus::Pending => Some(Fact::Placed),
        OrderStatus::Paid => Some(Fact::Paid),
        OrderStatus::Shipped => Some(Fact::Shipped),
        OrderStatus::Cancelled => Some(Fact::Cancelled),
        OrderStatus::Refunded => Some(Fact::Refunded),
        OrderStatus::Unspecified | OrderStatus::Reserved | OrderStatus::Delivered => None,
    }
}

/// The sale an order is, as its events describe it.
fn sale_of(order: &Order) -> Sale {
    let lines = order
        .lines
        .iter()
        .map(|l| OrderLineRef {
            sku: l.sku.clone(),
            quantity: l.quantity,
            product_id: l.product_id.clone(),
            vendor_id: l.vendor_id.clone(),
            category_ids: l.category_ids.clone(),
            name: l.name.clone(),
            amount: l.line_total.as_ref().map_or(0, |m| m.amount),
        })
        .collect();
    let charged = order.history.iter().any(|h| h.status == i32::from(OrderStatus::Paid));
    let event = OrderEvent {
        order_id: order.id.clone(),
        user_id: order.user_id.clone(),
        lines,
        total: order.total.clone(),
        charged,
        ..OrderEvent::default()
    };
    ingest::sale_of(&event)
}

/// Whether `rebuild` is still going (noted progress recently, not finished).
pub fn running(rebuild: &Rebuild, now_ms: i64) -> bool {
    rebuild.finished_at.is_none() && now_ms - rebuild.updated_at < i64::try_from(SILENT_FOR.as_millis()).unwrap_or(0)
}

impl Rebuilder {
    /// Starts a rebuild unless one is running: the rebuild as noted.
    pub async fn start(self: &Arc<Self>, by: &str) -> anyhow::Result<Rebuild> {
        let store = &self.ingest.store;
        if let Some(current) = store.rebuild().await?.filter(|r| running(r, now_ms())) {
            return Ok(current);
        }
        let now = now_ms();
        let rebuild = Rebuild { started_at: now, updated_at: now, started_by: by.to_owned(), ..Rebuild::default() };
        store.note_rebuild(&rebuild).await?;
        tracing::info!(by, "rebuilding the figures from every order");
        let this = self.clone();
        let noted = rebuild.clone();
        tokio::spawn(async move {
            let mut progress = noted;
            let outcome = this.run(&mut progress).await;
            progress.finished_at = Some(now_ms());
            progress.updated_at = now_ms();
            match outcome {
                Ok(()) => tracing::info!(orders = progress.orders, facts = progress.facts, "figures rebuilt"),
                Err(err) => {
                    tracing::error!(error = format!("{err:#}"), orders = progress.orders, "the rebuild failed");
                    progress.error = Some(format!("{err:#}"));
                }
            }
            if let Err(err) = this.ingest.store.note_rebuild(&progress).await {
                tracing::warn!(error = format!("{err:#}"), "the rebuild's end could not be noted");
            }
        });
        Ok(rebuild)
    }

    async fn run(&self, progress: &mut Rebuild) -> anyhow::Result<()> {
        let store = &self.ingest.store;
        store.clear_orders().await?;
        let mut after = String::new();
        loop {
            let request = ScanOrdersRequest { after: after.clone(), limit: PAGE };
            let page = self.orders.clone().scan_orders(request).await?.into_inner();
            for order in &page.orders {
                let sale = sale_of(order);
                for change in &order.history {
                    let (Some(fact), Some(at)) = (fact(change.status), change.at.as_ref()) else { continue };
                    if self.ingest.order(fact, &sale, shop_proto::millis(at)).await? {
                        progress.facts += 1;
                    }
                }
                progress.orders += 1;
            }
            progress.updated_at = now_ms();
            store.note_rebuild(progress).await?;
            if page.next.is_empty() {
                return Ok(());
            }
            after = page.next;
        }
    }
}
