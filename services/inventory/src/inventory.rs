//! What inventory does: stock owned by vendors, reservations for orders that expire, and the
//! events that tell catalog about availability and admins about low stock.

use shop_service_kit::{Page, Paging, Refusal};
use std::{sync::Arc, time::Duration};

use shop_auth::{Caller, Role};
use shop_messaging::{Envelope, kind, new_event, outbox::OutboxStore};
use shop_proto::events::v1::{ReservationExpired, StockChanged, StockLevel};

use crate::{
    SERVICE,
    domain::{LedgerEntry, Line, Reservation, Stock},
    error::InventoryError,
    storage::StockStore,
};

pub struct Inventory {
    pub store: Arc<dyn StockStore>,
    pub outbox: Arc<dyn OutboxStore>,
    /// `shop_low_stock_alerts_total`: SKUs that fell to their low-stock threshold.
    pub low_stock: prometheus::IntCounter,
}

fn may_manage(caller: &Caller, stock: &Stock) -> bool {
    caller.role == Role::Admin || (caller.role == Role::Vendor && caller.user_id == stock.vendor_id)
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Inventory {
    /// Announces the new availability of `skus`, and low stock once per crossing.
    async fn changed(&self, skus: Vec<String>) -> Result<(), InventoryError> {
        let mut events: Vec<Envelope> = Vec::new();
        for sku in &skus {
            let Some(stock) = self.store.get(sku).await? else { continue };
            let changed = StockChanged { sku: stock.sku.clone(), available: stock.available };
            events.push(new_event(kind::STOCK_CHANGED, SERVICE, &changed));
            let low = stock.available <= stock.low_stock_threshold;
            if self.store.mark_low(sku, low).await? && low {
                let level = StockLevel {
                    sku: stock.sku.clone(),
                    available: stock.available,
                    threshold: stock.low_stock_threshold,
                    vendor_id: stock.vendor_id.clone(),
                };
                events.push(new_event(kind::STOCK_LOW, SERVICE, &level));
                self.low_stock.inc();
                if stock.available == 0 {
                    events.push(new_event(kind::STOCK_DEPLETED, SERVICE, &level));
                }
                tracing::debug!(sku = %stock.sku, available = stock.available, "low stock");
            }
        }
        if !events.is_empty() {
            self.outbox.append(&events).await?;
        }
        Ok(())
    }

    async fn managed(&self, caller: &Caller, sku: &str) -> Result<Stock, InventoryError> {
        let stock = self.store.get(sku).await?.ok_or(InventoryError::UnknownSku)?;
        if may_manage(caller, &stock) { Ok(stock) } else { Err(Refusal::Forbidden.into()) }
    }

    pub async fn stock(&self, caller: &Caller, sku: &str) -> Result<Stock, InventoryError> {
        self.managed(caller, sku).await
    }

    pub async fn set(
        &self,
        caller: &Caller,
        sku: &str,
        on_hand: Option<i64>,
        threshold: Option<i64>,
    ) -> Result<Stock, InventoryError> {
        self.managed(caller, sku).await?;
        let stock = self.store.set(sku, on_hand, threshold).await?;
        self.changed(vec![sku.to_owned()]).await?;
        Ok(stock)
    }

    pub async fn restock(&self, caller: &Caller, sku: &str, quantity: i64) -> Result<Stock, InventoryError> {
        self.managed(caller, sku).await?;
        let stock = self.store.restock(sku, quantity).await?;
        self.changed(vec![sku.to_owned()]).await?;
        Ok(stock)
    }

    pub async fn reserve(&self, order_id: &str, lines: &[Line], ttl: Duration) -> Result<Reservation, InventoryError> {
        let expires_at = unix_now() + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let reservation = self.store.reserve(order_id, lines, expires_at).await?;
        self.changed(lines.iter().map(|l| l.sku.clone()).collect()).await?;
        Ok(reservation)
    }

    pub async fn commit(&self, order_id: &str) -> Result<Reservation, InventoryError> {
        let reservation = self.store.commit(order_id).await?;
        self.changed(reservation.lines.iter().map(|l| l.sku.clone()).collect()).await?;
        Ok(reservation)
    }

    /// Gives back what the order holds, or — if it was committed and the order is then
    /// cancelled before shipping — puts its units back on the shelf. Idempotent.
    pub async fn release(&self, order_id: &str) -> Result<(), InventoryError> {
        self.store.release(order_id).await?;
        self.store.put_back(order_id).await?;
        let reservation = self.store.reservation(order_id).await?;
        self.changed(reservation.map(|r| r.lines.into_iter().map(|l| l.sku).collect()).unwrap_or_default()).await
    }

    /// A page of the SKU's ledger, newest first, and the units its open reservations
    /// hold (owner vendor or admin).
    pub async fn ledger(
        &self,
        caller: &Caller,
        sku: &str,
        page: Paging,
    ) -> Result<(Page<LedgerEntry>, i64), InventoryError> {
        self.managed(caller, sku).await?;
        Ok((self.store.ledger(sku, page).await?, self.store.held(sku).await?))
    }

    /// A page of the SKUs with a low-stock alert raised: an admin's all, a vendor's its own.
    pub async fn low(&self, caller: &Caller, page: Paging) -> Result<Page<Stock>, InventoryError> {
        let vendor = match caller.role {
            Role::Admin => None,
            Role::Vendor => Some(caller.user_id.as_str()),
            Role::Customer => return Err(Refusal::Forbidden.into()),
        };
        Ok(self.store.low(vendor, page).await?)
    }

    /// Releases reservations whose time ran out; returns how many.
    pub async fn sweep(&self) -> Result<usize, InventoryError> {
        let expired = self.store.expired(unix_now()).await?;
        for order_id in &expired {
            let held = self.store.reservation(order_id).await?.map(|r| r.lines).unwrap_or_default();
            self.store.release(order_id).await?;
            self.changed(held.into_iter().map(|l| l.sku).collect()).await?;
            let event =
                new_event(kind::RESERVATION_EXPIRED, SERVICE, &ReservationExpired { order_id: order_id.clone() });
            self.outbox.append(&[event]).await?;
            tracing::info!(order_id, "reservation expired");
        }
        Ok(expired.len())
    }

    /// Keeps the SKUs catalog announces, with their owner (and demo units when asked),
    /// and announces the availability of those new here. A `created` product's SKUs are
    /// all announced (one may be known from a deleted product); a changed product's known
    /// SKUs are not: catalog has their levels already, and each change it makes to a
    /// product comes back here as such an event.
    pub async fn adopt(
        &self,
        skus: &[String],
        vendor_id: &str,
        demo: bool,
        created: bool,
    ) -> Result<(), InventoryError> {
        let mut announce = Vec::with_capacity(skus.len());
        for sku in skus {
            let units = if demo { demo_units(sku) } else { 0 };
            let new = self.store.adopt(sku, vendor_id, units).await?;
            if new && demo {
                self.store.set(sku, None, Some(5)).await?;
            }
            if new || created {
                announce.push(sku.clone());
            }
        }
        self.changed(announce).await
    }
}

/// Demo stock: most SKUs have a few dozen units; every thirteenth is nearly gone.
fn demo_units(sku: &str) -> i64 {
    let spread = sku.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    if spread % 13 == 0 { 2 } else { 10 + i64::try_from(spread % 40).unwrap_or(0) }
}
