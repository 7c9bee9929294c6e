//! Stock levels from a file: CSV (`sku`, `on_hand`, `low_stock_threshold`; either number
//! may be left empty) or NDJSON (one `{"sku", "on_hand", "low_stock_threshold"}` a line),
//! read as it arrives (the kit's [`Import`]). Each row sets one SKU as [`Inventory::set`]
//! does, for the same callers (owner vendor or admin); a row saying what the stock already
//! is changes nothing, so a file imports twice to the same end. A row refused is reported
//! and the next one read.

use std::sync::Arc;

use async_trait::async_trait;
use shop_auth::{Caller, Role};
use shop_platform::ApiError;
use shop_proto::common::v1::{ImportCounts, ImportRowError};
use shop_service_kit::{Refusal, import::Import};
use shop_tabular::{Format, Row, Rows, Values};
use tonic::Status;

use crate::{domain, error::InventoryError, inventory::Inventory};

/// Most rows one stock import may hold.
pub const MAX_ROWS: u64 = 1_000_000;

/// What one row asks for.
struct Wanted {
    sku: String,
    on_hand: Option<i64>,
    threshold: Option<i64>,
}

pub struct StockImport {
    inventory: Arc<Inventory>,
    caller: Caller,
    rows: Rows,
    counts: ImportCounts,
}

impl StockImport {
    /// An import by `caller` (a vendor or an admin).
    pub fn start(inventory: Arc<Inventory>, caller: Caller, format: Format) -> Result<Self, InventoryError> {
        if !matches!(caller.role, Role::Vendor | Role::Admin) {
            return Err(Refusal::Forbidden.into());
        }
        Ok(Self { inventory, caller, rows: Rows::new(format), counts: ImportCounts::default() })
    }

    async fn take(&mut self, rows: Vec<Row>) -> Result<Vec<ImportRowError>, Status> {
        let mut errors = Vec::new();
        for row in rows {
            self.counts.rows += 1;
            if self.counts.rows > MAX_ROWS {
                let refused = Refusal::invalid("file", format!("a stock import holds at most {MAX_ROWS} rows"));
                return Err(ApiError::from(refused).into());
            }
            let number = row.number;
            let outcome = match row.values.map_err(|message| ("row", message)).and_then(wanted) {
                Ok(wanted) => self.apply(wanted).await,
                Err((field, message)) => Err((field, message)),
            };
            if let Err((field, message)) = outcome {
                self.counts.failed += 1;
                errors.push(ImportRowError { row: number, field: field.to_owned(), message });
            }
        }
        Ok(errors)
    }

    /// Sets one SKU (unless it already is as asked).
    async fn apply(&mut self, w: Wanted) -> Result<(), (&'static str, String)> {
        let refused = |err: InventoryError| match err {
            InventoryError::UnknownSku => ("sku", "no stock record for this SKU".to_owned()),
            InventoryError::Refused(Refusal::Forbidden) => ("sku", "belongs to another vendor".to_owned()),
            InventoryError::Stock(refusal) => ("on_hand", refusal.to_string()),
            other => ("row", ApiError::from(other).message),
        };
        let now = self.inventory.stock(&self.caller, &w.sku).await.map_err(refused)?;
        let same =
            w.on_hand.is_none_or(|n| n == now.on_hand) && w.threshold.is_none_or(|n| n == now.low_stock_threshold);
        if same {
            self.counts.unchanged += 1;
            return Ok(());
        }
        self.inventory.set(&self.caller, &w.sku, w.on_hand, w.threshold).await.map_err(refused)?;
        self.counts.updated += 1;
        Ok(())
    }
}

/// A row's SKU and numbers, checked.
fn wanted(values: Values) -> Result<Wanted, (&'static str, String)> {
    let (sku, on_hand, threshold) = match values {
        Values::Columns(columns) => {
            let cell = |name: &str| columns.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
            let number = |name: &'static str| {
                cell(name).map(|text| text.parse::<i64>().map_err(|_| (name, "must be a whole number".to_owned())))
            };
            (cell("sku"), number("on_hand").transpose()?, number("low_stock_threshold").transpose()?)
        }
        Values::Json(object) => {
            let number = |name: &'static str| match object.get(name) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(v) => v.as_i64().map(Some).ok_or((name, "must be a whole number".to_owned())),
            };
            let sku = match object.get("sku") {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => Some(s.trim().to_owned()),
                Some(_) => return Err(("sku", "must be a string".to_owned())),
            };
            (sku, number("on_hand")?, number("low_stock_threshold")?)
        }
    };
    let sku = sku.filter(|s| !s.is_empty()).ok_or(("sku", "is required".to_owned()))?;
    let sku = shop_types::Sku::parse(&sku).map_err(|m| ("sku", m))?.as_str().to_owned();
    if on_hand.is_none() && threshold.is_none() {
        return Err(("on_hand", "give on_hand, low_stock_threshold or both".to_owned()));
    }
    let on_hand = on_hand.map(domain::units).transpose().map_err(|m| ("on_hand", m))?;
    let threshold = threshold.map(domain::units).transpose().map_err(|m| ("low_stock_threshold", m))?;
    Ok(Wanted { sku, on_hand, threshold })
}

#[async_trait]
impl Import for StockImport {
    async fn push(&mut self, chunk: &[u8]) -> Result<Vec<ImportRowError>, Status> {
        let rows = self.rows.push(chunk).map_err(file)?;
        self.take(rows).await
    }

    async fn finish(&mut self) -> Result<Vec<ImportRowError>, Status> {
        let rows = self.rows.finish().map_err(file)?;
        self.take(rows).await
    }

    fn counts(&self) -> ImportCounts {
        self.counts
    }
}

/// A file that cannot be read on: the import stops.
fn file(err: shop_tabular::TabularError) -> Status {
    ApiError::from(Refusal::invalid("file", err.to_string())).into()
}
