//! MongoDB stock store. Every change to a SKU is one guarded update of its document, so
//! units are never taken below zero; each hold is written on the stock document itself
//! (`holds` lists `order|quantity`) in the same update as the counters, which makes every
//! step idempotent and a crashed reservation resumable from the stock alone.

mod steps;

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::{Collection, bson::doc};
use serde::{Deserialize, Serialize};
use shop_service_kit::{Page, Paging};
use shop_storage::{Kind, Order};

use super::{StockStore, StoreError};
use crate::domain::StockRefusal;
use crate::domain::{LedgerEntry, Line, Reservation, ReservationState, Stock};

fn unexpected(err: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Unexpected(err.into())
}

#[derive(Debug, Serialize, Deserialize)]
struct StockDoc {
    #[serde(rename = "_id")]
    sku: String,
    on_hand: i64,
    reserved: i64,
    available: i64,
    threshold: i64,
    #[serde(default)]
    holds: Vec<String>,
    /// Committed holds whose units came back (`order|quantity`), so each returns once.
    #[serde(default)]
    returns: Vec<String>,
    #[serde(default)]
    vendor_id: String,
    /// 1 while at or under the threshold (so each crossing alerts once).
    #[serde(default)]
    low: i32,
}

impl From<StockDoc> for Stock {
    fn from(d: StockDoc) -> Self {
        Self {
            sku: d.sku,
            on_hand: d.on_hand,
            reserved: d.reserved,
            available: d.available,
            low_stock_threshold: d.threshold,
            vendor_id: d.vendor_id,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct LineDoc {
    sku: String,
    quantity: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct ReservationDoc {
    #[serde(rename = "_id")]
    order_id: String,
    lines: Vec<LineDoc>,
    /// reserving → held | failed; held → committing → committed; → releasing → released.
    state: String,
    failed_sku: Option<String>,
    expires_at: i64,
    /// While `returning`: until when (Unix ms) its returner holds the return; past it a
    /// returner that died is taken over.
    #[serde(default)]
    returning_until: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct LedgerDoc {
    #[serde(rename = "_id")]
    id: String,
    /// Unix microseconds.
    #[serde(default)]
    at: i64,
    sku: String,
    on_hand_delta: i64,
    reserved_delta: i64,
    reason: String,
    order_id: Option<String>,
}

pub struct MongoStockStore {
    stock: Collection<StockDoc>,
    reservations: Collection<ReservationDoc>,
    ledger: Collection<LedgerDoc>,
}

fn hold(order_id: &str, quantity: i64) -> String {
    format!("{order_id}|{quantity}")
}

fn lines_of(doc: &ReservationDoc) -> Vec<Line> {
    doc.lines.iter().map(|l| Line { sku: l.sku.clone(), quantity: l.quantity }).collect()
}

#[async_trait]
impl StockStore for MongoStockStore {
    async fn get(&self, sku: &str) -> Result<Option<Stock>, StoreError> {
        Ok(self.stock.find_one(doc! { "_id": sku }).await.map_err(unexpected)?.map(Stock::from))
    }

    async fn set(&self, sku: &str, on_hand: Option<i64>, threshold: Option<i64>) -> Result<Stock, StoreError> {
        let fresh = StockDoc {
            sku: sku.to_owned(),
            on_hand: 0,
            reserved: 0,
            available: 0,
            threshold: 0,
            holds: Vec::new(),
            returns: Vec::new(),
            vendor_id: String::new(),
            low: 0,
        };
        if let Err(err) = self.stock.insert_one(fresh).await
            && !shop_storage::is_duplicate_key(&err)
        {
            return Err(unexpected(err));
        }
        if let Some(threshold) = threshold {
            self.stock
                .update_one(doc! { "_id": sku }, doc! { "$set": { "threshold": threshold } })
                .await
                .map_err(unexpected)?;
        }
        if let Some(target) = on_hand {
            loop {
                let current = self.get(sku).await?.ok_or(StoreError::Refused(StockRefusal::NoReservation))?;
                if target < current.reserved {
                    return Err(StoreError::Refused(StockRefusal::BelowReserved(current.reserved)));
                }
                let delta = target - current.on_hand;
                let guard = doc! { "_id": sku, "on_hand": current.on_hand, "reserved": current.reserved };
                let change = doc! { "$inc": { "on_hand": delta, "available": delta } };
                if self.stock.update_one(guard, change).await.map_err(unexpected)?.matched_count == 1 {
                    let id = uuid::Uuid::now_v7().to_string();
                    self.record(id, sku, delta, 0, "set", None).await?;
                    break;
                }
            }
        }
        self.get(sku).await?.ok_or_else(|| unexpected(anyhow::anyhow!("stock of {sku} vanished")))
    }

    async fn restock(&self, sku: &str, quantity: i64) -> Result<Stock, StoreError> {
        self.set(sku, None, None).await?;
        let change = doc! { "$inc": { "on_hand": quantity, "available": quantity } };
        self.stock.update_one(doc! { "_id": sku }, change).await.map_err(unexpected)?;
        self.record(uuid::Uuid::now_v7().to_string(), sku, quantity, 0, "restock", None).await?;
        self.get(sku).await?.ok_or_else(|| unexpected(anyhow::anyhow!("stock of {sku} vanished")))
    }

    async fn reserve(&self, order_id: &str, lines: &[Line], expires_at: i64) -> Result<Reservation, StoreError> {
        let doc = ReservationDoc {
            order_id: order_id.to_owned(),
            lines: lines.iter().map(|l| LineDoc { sku: l.sku.clone(), quantity: l.quantity }).collect(),
            state: "reserving".into(),
            failed_sku: None,
            expires_at,
            returning_until: 0,
        };
        match self.reservations.insert_one(doc).await {
            Ok(_) => {}
            Err(err) if shop_storage::is_duplicate_key(&err) => return self.outcome(order_id).await,
            Err(err) => return Err(unexpected(err)),
        }
        self.settle(order_id, lines, expires_at).await
    }

    async fn commit(&self, order_id: &str) -> Result<Reservation, StoreError> {
        let doc = self.load(order_id).await?.ok_or(StoreError::Refused(StockRefusal::NoReservation))?;
        match doc.state.as_str() {
            "committed" => {}
            "held" | "committing" => {
                self.transition(order_id, &["held"], "committing").await?;
                for line in lines_of(&doc) {
                    self.ship(order_id, &line).await?;
                }
                self.transition(order_id, &["committing"], "committed").await?;
            }
            _ => return Err(StoreError::Refused(StockRefusal::Released)),
        }
        let lines = lines_of(&doc);
        Ok(Reservation {
            order_id: order_id.to_owned(),
            lines,
            state: ReservationState::Committed,
            expires_at: doc.expires_at,
        })
    }

    async fn release(&self, order_id: &str) -> Result<(), StoreError> {
        let tombstone = ReservationDoc {
            order_id: order_id.to_owned(),
            lines: Vec::new(),
            state: "released".into(),
            failed_sku: None,
            expires_at: 0,
            returning_until: 0,
        };
        if self.reservations.insert_one(tombstone).await.is_ok() {
            return Ok(());
        }
        let doc = self.load(order_id).await?.ok_or(StoreError::Refused(StockRefusal::NoReservation))?;
        if !self.transition(order_id, &["reserving", "held", "releasing"], "releasing").await? {
            return Ok(());
        }
        for line in lines_of(&doc) {
            self.give_back(order_id, &line).await?;
        }
        self.transition(order_id, &["releasing"], "released").await?;
        Ok(())
    }

    async fn reservation(&self, order_id: &str) -> Result<Option<Reservation>, StoreError> {
        let Some(doc) = self.load(order_id).await? else { return Ok(None) };
        let state = match doc.state.as_str() {
            "committed" | "returning" => ReservationState::Committed,
            "released" | "releasing" | "failed" => ReservationState::Released,
            _ => ReservationState::Held,
        };
        Ok(Some(Reservation {
            order_id: doc.order_id.clone(),
            lines: lines_of(&doc),
            state,
            expires_at: doc.expires_at,
        }))
    }

    async fn put_back(&self, order_id: &str) -> Result<(), StoreError> {
        let Some(doc) = self.load(order_id).await? else { return Ok(()) };
        if !self.claim_return(order_id).await? {
            return Ok(());
        }
        let lines = lines_of(&doc);
        for line in &lines {
            self.unship(order_id, line).await?;
        }
        if self.transition(order_id, &["returning"], "released").await? {
            // Released, the reservation guards against a second return: the SKUs' markers
            // can go, so a SKU's document does not grow with every return ever made.
            for line in &lines {
                self.forget_return(order_id, line).await?;
            }
        }
        Ok(())
    }

    async fn expired(&self, now: i64) -> Result<Vec<String>, StoreError> {
        let docs: Vec<ReservationDoc> = self
            .reservations
            .find(doc! { "state": "held", "expires_at": { "$lt": now } })
            .await
            .map_err(unexpected)?
            .try_collect()
            .await
            .map_err(unexpected)?;
        Ok(docs.into_iter().map(|d| d.order_id).collect())
    }

    async fn low(&self, vendor: Option<&str>, page: Paging) -> Result<Page<Stock>, StoreError> {
        let filter = match vendor {
            Some(vendor) => doc! { "vendor_id": vendor, "low": 1 },
            None => doc! { "low": 1 },
        };
        let found = shop_storage::page(&self.stock, filter, Order::by_id(false), page.start(), page.limit())
            .await
            .map_err(unexpected)?;
        Ok(Page { items: found.items.into_iter().map(Stock::from).collect(), total: found.total, next: found.next })
    }

    async fn ledger(&self, sku: &str, page: Paging) -> Result<Page<LedgerEntry>, StoreError> {
        let order = Order::by("at", Kind::Int, true);
        let found = shop_storage::page(&self.ledger, doc! { "sku": sku }, order, page.start(), page.limit())
            .await
            .map_err(unexpected)?;
        let items = found
            .items
            .into_iter()
            .map(|d| LedgerEntry {
                id: d.id,
                at: d.at,
                sku: d.sku,
                on_hand_delta: d.on_hand_delta,
                reserved_delta: d.reserved_delta,
                reason: d.reason,
                order_id: d.order_id,
            })
            .collect();
        Ok(Page { items, total: found.total, next: found.next })
    }

    async fn adopt(&self, sku: &str, vendor_id: &str, on_hand: i64) -> Result<bool, StoreError> {
        let fresh = StockDoc {
            sku: sku.to_owned(),
            on_hand,
            reserved: 0,
            available: on_hand,
            threshold: 0,
            holds: Vec::new(),
            returns: Vec::new(),
            vendor_id: vendor_id.to_owned(),
            low: 0,
        };
        match self.stock.insert_one(fresh).await {
            Ok(_) => {
                if on_hand != 0 {
                    self.record(format!("adopt:{sku}"), sku, on_hand, 0, "restock", None).await?;
                }
                Ok(true)
            }
            Err(err) if shop_storage::is_duplicate_key(&err) => {
                let owner = doc! { "$set": { "vendor_id": vendor_id } };
                self.stock.update_one(doc! { "_id": sku }, owner).await.map_err(unexpected)?;
                Ok(false)
            }
            Err(err) => Err(unexpected(err)),
        }
    }

    async fn mark_low(&self, sku: &str, low: bool) -> Result<bool, StoreError> {
        let (from, to) = if low { (0, 1) } else { (1, 0) };
        let flipped = self
            .stock
            .update_one(doc! { "_id": sku, "low": from }, doc! { "$set": { "low": to } })
            .await
            .map_err(unexpected)?;
        Ok(flipped.modified_count == 1)
    }

    async fn held(&self, sku: &str) -> Result<i64, StoreError> {
        let holds =
            self.stock.find_one(doc! { "_id": sku }).await.map_err(unexpected)?.map(|d| d.holds).unwrap_or_default();
        Ok(holds.iter().filter_map(|h| h.rsplit_once('|')).filter_map(|(_, q)| q.parse::<i64>().ok()).sum())
    }
}
