//! The guarded steps a reservation is made of (take, give back, ship, unship), each
//! recorded in the ledger, and the reservation's own state changes. A SKU's document holds
//! markers only for steps in flight (`holds` until commit or release, `returns` until the
//! return is done), so it stays small however many orders it served.

use std::time::Duration;

use mongodb::{
    Database,
    bson::{Document, doc},
};

use super::{LedgerDoc, MongoStockStore, ReservationDoc, hold, lines_of, unexpected};
use crate::domain::StockRefusal;
use crate::domain::{Line, Reservation, ReservationState};
use crate::storage::StoreError;

/// How long a returner holds an order's return (a return takes milliseconds).
const RETURN_LEASE: Duration = Duration::from_secs(10);

use shop_platform::now_ms;

impl MongoStockStore {
    pub async fn open(db: &Database) -> anyhow::Result<Self> {
        let ledger = db.collection::<LedgerDoc>("ledger");
        // A SKU's ledger, newest first.
        let by_sku = mongodb::IndexModel::builder().keys(doc! { "sku": 1, "at": -1 }).build();
        shop_storage::ensure_indexes(&ledger, vec![by_sku]).await?;
        // Alerts: every SKU marked low, or a vendor's.
        let stock = db.collection::<super::StockDoc>("stock");
        let low = mongodb::IndexModel::builder().keys(doc! { "low": 1 }).build();
        let vendor_low = mongodb::IndexModel::builder().keys(doc! { "vendor_id": 1, "low": 1 }).build();
        shop_storage::ensure_indexes(&stock, vec![low, vendor_low]).await?;
        let reservations = db.collection::<ReservationDoc>("reservations");
        shop_storage::ensure_indexes(
            &reservations,
            vec![mongodb::IndexModel::builder().keys(doc! { "state": 1, "expires_at": 1 }).build()],
        )
        .await?;
        Ok(Self { stock, reservations, ledger })
    }

    pub(super) async fn record(
        &self,
        id: String,
        sku: &str,
        on_hand: i64,
        reserved: i64,
        reason: &str,
        order: Option<&str>,
    ) -> Result<(), StoreError> {
        let entry = LedgerDoc {
            id,
            at: crate::domain::now_micros(),
            sku: sku.to_owned(),
            on_hand_delta: on_hand,
            reserved_delta: reserved,
            reason: reason.to_owned(),
            order_id: order.map(str::to_owned),
        };
        match self.ledger.insert_one(entry).await {
            Err(err) if !shop_storage::is_duplicate_key(&err) => Err(unexpected(err)),
            _ => Ok(()),
        }
    }

    /// Applies `change` to the stock of `line.sku` if `guard` matches; records the entry once.
    pub(super) async fn step(
        &self,
        order_id: &str,
        line: &Line,
        guard: Document,
        change: Document,
        deltas: (i64, i64),
        reason: &str,
    ) -> Result<bool, StoreError> {
        let mut filter = doc! { "_id": &line.sku };
        filter.extend(guard);
        let updated = self.stock.update_one(filter, change).await.map_err(unexpected)?;
        if updated.modified_count == 1 {
            let id = format!("{order_id}:{}:{reason}", line.sku);
            self.record(id, &line.sku, deltas.0, deltas.1, reason, Some(order_id)).await?;
        }
        Ok(updated.modified_count == 1)
    }

    pub(super) async fn take(&self, order_id: &str, line: &Line) -> Result<bool, StoreError> {
        let entry = hold(order_id, line.quantity);
        let guard = doc! { "available": { "$gte": line.quantity }, "holds": { "$ne": &entry } };
        let change =
            doc! { "$inc": { "available": -line.quantity, "reserved": line.quantity }, "$push": { "holds": &entry } };
        if self.step(order_id, line, guard, change, (0, line.quantity), "reserve").await? {
            return Ok(true);
        }
        // Already held by an earlier attempt of this order?
        let held = self.stock.find_one(doc! { "_id": &line.sku, "holds": &entry }).await.map_err(unexpected)?;
        Ok(held.is_some())
    }

    pub(super) async fn give_back(&self, order_id: &str, line: &Line) -> Result<(), StoreError> {
        let entry = hold(order_id, line.quantity);
        let change =
            doc! { "$inc": { "available": line.quantity, "reserved": -line.quantity }, "$pull": { "holds": &entry } };
        self.step(order_id, line, doc! { "holds": &entry }, change, (0, -line.quantity), "release").await?;
        Ok(())
    }

    pub(super) async fn ship(&self, order_id: &str, line: &Line) -> Result<(), StoreError> {
        let entry = hold(order_id, line.quantity);
        let change =
            doc! { "$inc": { "on_hand": -line.quantity, "reserved": -line.quantity }, "$pull": { "holds": &entry } };
        self.step(order_id, line, doc! { "holds": &entry }, change, (-line.quantity, -line.quantity), "commit").await?;
        Ok(())
    }

    /// Moves the reservation from one of `from` to `to`; whether it is there now. (`from`
    /// may hold `to` itself, so a step that died half-way is resumed.)
    pub(super) async fn transition(&self, order_id: &str, from: &[&str], to: &str) -> Result<bool, StoreError> {
        let updated = self
            .reservations
            .update_one(doc! { "_id": order_id, "state": { "$in": from } }, doc! { "$set": { "state": to } })
            .await
            .map_err(unexpected)?;
        Ok(updated.matched_count == 1)
    }

    /// Takes the return of `order_id`'s committed units: whether this caller is to return
    /// them. One returner at a time — a second one (order's own call and the consumer of
    /// its event meet here) waits while the first works, and finds the units returned; a
    /// return whose returner died (its lease ran out) is taken over. Without this, a second
    /// returner arriving after the first had cleared its markers returned the units again.
    pub(super) async fn claim_return(&self, order_id: &str) -> Result<bool, StoreError> {
        let deadline = std::time::Instant::now() + RETURN_LEASE + Duration::from_secs(1);
        loop {
            let now = now_ms();
            let free = doc! { "_id": order_id, "$or": [
                { "state": "committed" },
                { "state": "returning", "returning_until": { "$lt": now } },
            ] };
            let lease = now + i64::try_from(RETURN_LEASE.as_millis()).unwrap_or(i64::MAX / 2);
            let take = doc! { "$set": { "state": "returning", "returning_until": lease } };
            if self.reservations.update_one(free, take).await.map_err(unexpected)?.matched_count == 1 {
                return Ok(true);
            }
            let state = self.load(order_id).await?.map(|d| d.state);
            if state.as_deref() != Some("returning") || std::time::Instant::now() > deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Returns the committed units of `line` to the shelf, once per order (the marker it
    /// leaves on the SKU guards a step retried after a crash until the return is done).
    pub(super) async fn unship(&self, order_id: &str, line: &Line) -> Result<(), StoreError> {
        let entry = hold(order_id, line.quantity);
        let change =
            doc! { "$inc": { "on_hand": line.quantity, "available": line.quantity }, "$push": { "returns": &entry } };
        let guard = doc! { "returns": { "$ne": &entry } };
        self.step(order_id, line, guard, change, (line.quantity, 0), "return").await?;
        Ok(())
    }

    /// Drops the marker [`MongoStockStore::unship`] left on the SKU.
    pub(super) async fn forget_return(&self, order_id: &str, line: &Line) -> Result<(), StoreError> {
        let entry = hold(order_id, line.quantity);
        let pull = doc! { "$pull": { "returns": &entry } };
        self.stock.update_one(doc! { "_id": &line.sku }, pull).await.map_err(unexpected)?;
        Ok(())
    }

    pub(super) async fn load(&self, order_id: &str) -> Result<Option<ReservationDoc>, StoreError> {
        self.reservations.find_one(doc! { "_id": order_id }).await.map_err(unexpected)
    }

    /// The outcome of an earlier reservation attempt for the same order; one that never
    /// settled (its process died) is finished here.
    pub(super) async fn outcome(&self, order_id: &str) -> Result<Reservation, StoreError> {
        // Another attempt may still be taking units: give it a moment to settle.
        for _ in 0..50 {
            let doc = self.load(order_id).await?.ok_or(StoreError::Refused(StockRefusal::NoReservation))?;
            let state = match doc.state.as_str() {
                "held" | "committing" => ReservationState::Held,
                "committed" => ReservationState::Committed,
                "failed" => {
                    return Err(StoreError::Refused(StockRefusal::OutOfStock(doc.failed_sku.unwrap_or_default())));
                }
                "released" | "releasing" | "returning" => return Err(StoreError::Refused(StockRefusal::Released)),
                _ => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            return Ok(Reservation {
                order_id: doc.order_id.clone(),
                lines: lines_of(&doc),
                state,
                expires_at: doc.expires_at,
            });
        }
        let doc = self.load(order_id).await?.ok_or(StoreError::Refused(StockRefusal::NoReservation))?;
        tracing::warn!(order_id, "finishing a reservation that never settled");
        self.settle(order_id, &lines_of(&doc), doc.expires_at).await
    }

    /// Takes every line (each step idempotent), then marks the reservation held — or, if a
    /// line is short or the order was released meanwhile, gives everything back.
    pub(super) async fn settle(
        &self,
        order_id: &str,
        lines: &[Line],
        expires_at: i64,
    ) -> Result<Reservation, StoreError> {
        let mut short = None;
        for line in lines {
            if !self.take(order_id, line).await? {
                short = Some(line.sku.clone());
                break;
            }
        }
        if short.is_none() && self.transition(order_id, &["reserving"], "held").await? {
            let held = ReservationState::Held;
            return Ok(Reservation { order_id: order_id.to_owned(), lines: lines.to_vec(), state: held, expires_at });
        }
        for line in lines {
            self.give_back(order_id, line).await?;
        }
        match short {
            Some(sku) => {
                let failed = doc! { "$set": { "state": "failed", "failed_sku": &sku } };
                let guard = doc! { "_id": order_id, "state": "reserving" };
                self.reservations.update_one(guard, failed).await.map_err(unexpected)?;
                Err(StoreError::Refused(StockRefusal::OutOfStock(sku)))
            }
            None => Err(StoreError::Refused(StockRefusal::Released)),
        }
    }
}
