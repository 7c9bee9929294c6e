//! Embedded stock store: one lock over everything, so each operation is atomic.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard},
};

use async_trait::async_trait;

use shop_service_kit::{Page, Paging};

use super::{StockStore, StoreError};
use crate::domain::StockRefusal;
use crate::domain::{LedgerEntry, Line, Reservation, ReservationState, Stock};

#[derive(Default)]
struct State {
    stock: HashMap<String, Stock>,
    low: std::collections::HashSet<String>,
    reservations: HashMap<String, Reservation>,
    /// Each SKU's ledger, oldest entry first.
    ledger: HashMap<String, Vec<LedgerEntry>>,
}

impl State {
    fn record(&mut self, entry: LedgerEntry) {
        self.ledger.entry(entry.sku.clone()).or_default().push(entry);
    }
}

#[derive(Default)]
pub struct MemoryStockStore {
    state: Mutex<State>,
}

impl MemoryStockStore {
    fn state(&self) -> MutexGuard<'_, State> {
        shop_platform::lock(&self.state)
    }
}

fn entry(sku: &str, on_hand: i64, reserved: i64, reason: &str, order: Option<&str>) -> LedgerEntry {
    LedgerEntry {
        id: uuid::Uuid::now_v7().to_string(),
        at: crate::domain::now_micros(),
        sku: sku.to_owned(),
        on_hand_delta: on_hand,
        reserved_delta: reserved,
        reason: reason.to_owned(),
        order_id: order.map(str::to_owned),
    }
}

fn blank(sku: &str) -> Stock {
    Stock {
        sku: sku.to_owned(),
        on_hand: 0,
        reserved: 0,
        available: 0,
        low_stock_threshold: 0,
        vendor_id: String::new(),
    }
}

#[async_trait]
impl StockStore for MemoryStockStore {
    async fn get(&self, sku: &str) -> Result<Option<Stock>, StoreError> {
        Ok(self.state().stock.get(sku).cloned())
    }

    async fn set(&self, sku: &str, on_hand: Option<i64>, threshold: Option<i64>) -> Result<Stock, StoreError> {
        let mut state = self.state();
        let mut stock = state.stock.get(sku).cloned().unwrap_or_else(|| blank(sku));
        if let Some(on_hand) = on_hand {
            if on_hand < stock.reserved {
                return Err(StoreError::Refused(StockRefusal::BelowReserved(stock.reserved)));
            }
            let delta = on_hand - stock.on_hand;
            stock.on_hand += delta;
            stock.available += delta;
            state.record(entry(sku, delta, 0, "set", None));
        }
        if let Some(threshold) = threshold {
            stock.low_stock_threshold = threshold;
        }
        state.stock.insert(sku.to_owned(), stock.clone());
        Ok(stock)
    }

    async fn restock(&self, sku: &str, quantity: i64) -> Result<Stock, StoreError> {
        let mut state = self.state();
        let stock = state.stock.entry(sku.to_owned()).or_insert_with(|| blank(sku));
        stock.on_hand += quantity;
        stock.available += quantity;
        let stock = stock.clone();
        state.record(entry(sku, quantity, 0, "restock", None));
        Ok(stock)
    }

    async fn reserve(&self, order_id: &str, lines: &[Line], expires_at: i64) -> Result<Reservation, StoreError> {
        let mut state = self.state();
        if let Some(existing) = state.reservations.get(order_id) {
            return match existing.state {
                ReservationState::Released => Err(StoreError::Refused(StockRefusal::Released)),
                _ => Ok(existing.clone()),
            };
        }
        if let Some(short) = lines.iter().find(|l| state.stock.get(&l.sku).is_none_or(|s| s.available < l.quantity)) {
            return Err(StoreError::Refused(StockRefusal::OutOfStock(short.sku.clone())));
        }
        for line in lines {
            let stock = state.stock.get_mut(&line.sku).expect("checked above");
            stock.available -= line.quantity;
            stock.reserved += line.quantity;
            state.record(entry(&line.sku, 0, line.quantity, "reserve", Some(order_id)));
        }
        let reservation = Reservation {
            order_id: order_id.to_owned(),
            lines: lines.to_vec(),
            state: ReservationState::Held,
            expires_at,
        };
        state.reservations.insert(order_id.to_owned(), reservation.clone());
        Ok(reservation)
    }

    async fn commit(&self, order_id: &str) -> Result<Reservation, StoreError> {
        let mut state = self.state();
        let reservation =
            state.reservations.get(order_id).cloned().ok_or(StoreError::Refused(StockRefusal::NoReservation))?;
        match reservation.state {
            ReservationState::Committed => return Ok(reservation),
            ReservationState::Released => return Err(StoreError::Refused(StockRefusal::Released)),
            ReservationState::Held => {}
        }
        for line in &reservation.lines {
            let stock = state.stock.get_mut(&line.sku).expect("held units exist");
            stock.on_hand -= line.quantity;
            stock.reserved -= line.quantity;
            state.record(entry(&line.sku, -line.quantity, -line.quantity, "commit", Some(order_id)));
        }
        let committed = Reservation { state: ReservationState::Committed, ..reservation };
        state.reservations.insert(order_id.to_owned(), committed.clone());
        Ok(committed)
    }

    async fn release(&self, order_id: &str) -> Result<(), StoreError> {
        let mut state = self.state();
        let Some(reservation) = state.reservations.get(order_id).cloned() else {
            let tombstone = Reservation {
                order_id: order_id.to_owned(),
                lines: Vec::new(),
                state: ReservationState::Released,
                expires_at: 0,
            };
            state.reservations.insert(order_id.to_owned(), tombstone);
            return Ok(());
        };
        if reservation.state != ReservationState::Held {
            return Ok(());
        }
        for line in &reservation.lines {
            let stock = state.stock.get_mut(&line.sku).expect("held units exist");
            stock.available += line.quantity;
            stock.reserved -= line.quantity;
            state.record(entry(&line.sku, 0, -line.quantity, "release", Some(order_id)));
        }
        state
            .reservations
            .insert(order_id.to_owned(), Reservation { state: ReservationState::Released, ..reservation });
        Ok(())
    }

    async fn reservation(&self, order_id: &str) -> Result<Option<Reservation>, StoreError> {
        Ok(self.state().reservations.get(order_id).cloned())
    }

    async fn put_back(&self, order_id: &str) -> Result<(), StoreError> {
        let mut state = self.state();
        let Some(reservation) = state.reservations.get(order_id).cloned() else { return Ok(()) };
        if reservation.state != ReservationState::Committed {
            return Ok(());
        }
        for line in &reservation.lines {
            let stock = state.stock.get_mut(&line.sku).expect("committed units' SKU exists");
            stock.on_hand += line.quantity;
            stock.available += line.quantity;
            state.record(entry(&line.sku, line.quantity, 0, "return", Some(order_id)));
        }
        state
            .reservations
            .insert(order_id.to_owned(), Reservation { state: ReservationState::Released, ..reservation });
        Ok(())
    }

    async fn expired(&self, now: i64) -> Result<Vec<String>, StoreError> {
        let state = self.state();
        Ok(state
            .reservations
            .values()
            .filter(|r| r.state == ReservationState::Held && r.expires_at < now)
            .map(|r| r.order_id.clone())
            .collect())
    }

    async fn low(&self, vendor: Option<&str>, page: Paging) -> Result<Page<Stock>, StoreError> {
        let state = self.state();
        let low: Vec<Stock> = state
            .low
            .iter()
            .filter_map(|sku| state.stock.get(sku))
            .filter(|s| vendor.is_none_or(|v| s.vendor_id == v))
            .cloned()
            .collect();
        Ok(page.of(low, |s| (None, s.sku.clone()), false))
    }

    async fn ledger(&self, sku: &str, page: Paging) -> Result<Page<LedgerEntry>, StoreError> {
        let entries = self.state().ledger.get(sku).cloned().unwrap_or_default();
        Ok(page.of(entries, |e| (Some(e.at), e.id.clone()), true))
    }

    async fn adopt(&self, sku: &str, vendor_id: &str, on_hand: i64) -> Result<bool, StoreError> {
        let mut state = self.state();
        if let Some(stock) = state.stock.get_mut(sku) {
            vendor_id.clone_into(&mut stock.vendor_id);
            return Ok(false);
        }
        let stock = Stock { on_hand, available: on_hand, vendor_id: vendor_id.to_owned(), ..blank(sku) };
        state.stock.insert(sku.to_owned(), stock);
        if on_hand != 0 {
            state.record(entry(sku, on_hand, 0, "restock", None));
        }
        Ok(true)
    }

    async fn mark_low(&self, sku: &str, low: bool) -> Result<bool, StoreError> {
        let mut state = self.state();
        Ok(if low { state.low.insert(sku.to_owned()) } else { state.low.remove(sku) })
    }

    async fn held(&self, sku: &str) -> Result<i64, StoreError> {
        let state = self.state();
        Ok(state
            .reservations
            .values()
            .filter(|r| r.state == ReservationState::Held)
            .flat_map(|r| r.lines.iter().filter(|l| l.sku == sku).map(|l| l.quantity))
            .sum())
    }
}
