//! Bulk import and export of products, as CSV or NDJSON.
//!
//! **CSV**: a header row, then one row per variant. Rows sharing a `handle` (one after
//! another) are one product, whose own fields come from its first row; a row with no handle
//! is a product of its own. Lists are `|`-separated: `tags` (`a|b`), `attributes` and
//! `variant_attributes` (`name=value|name=value`), `images` (`url alt text|url`). `price`
//! is in minor units, as everywhere in the API.
//!
//! **NDJSON**: one product a line, shaped as the REST API's product input (`variants` with
//! `sku`, `price {amount, currency}` and `attributes`), plus `vendor_id`.
//!
//! A product is found by its SKUs: none known, it is created; all of one product, that
//! product is updated to what the file says; a file that says what the product already is
//! changes nothing (so an import runs twice to the same end). Each product is written whole
//! or not at all; a bad row is reported (row, field, message) and the next one read. A
//! vendor imports into its own products only; an admin into anyone's, naming the vendor of
//! new products in `vendor_id` (else owning them itself).

use std::{
    collections::{BTreeMap, HashSet},
    sync::Arc,
};

use shop_auth::{Caller, Role};
use shop_messaging::kind;
use shop_platform::FieldError;
use shop_tabular::{Format, Row, Rows, TabularError, Values};

mod export;
mod rows;

use rows::{from_json, product_of, variant_of};

pub use export::{EXPORT_BATCH, Exporter, export_batch};
use time::OffsetDateTime;

use crate::{
    catalog::{Catalog, changed, may_edit, price_changes},
    domain::{Product, Sku, input::ProductFields},
    error::CatalogError,
    storage::{ProductStore, StoreError},
};

/// The CSV columns, in the order export writes them.
pub const COLUMNS: [&str; 13] = [
    "handle",
    "vendor_id",
    "name",
    "description",
    "category_id",
    "tags",
    "status",
    "attributes",
    "images",
    "sku",
    "price",
    "currency",
    "variant_attributes",
];

/// Most rows one import may hold.
pub const MAX_ROWS: u64 = 1_000_000;
/// Attempts at a product that raced another write.
const RETRIES: usize = 5;

/// One row's failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: u64,
    pub field: String,
    pub message: String,
}

/// What an import has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Data rows read.
    pub rows: u64,
    /// Products created, updated, found unchanged.
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows of products not written.
    pub failed: u64,
}

/// What ends an import early (rows before it stay written).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] TabularError),
    #[error("an import holds at most {MAX_ROWS} rows")]
    TooManyRows,
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// A product as a file describes it.
struct Described {
    /// Its first row, and how many rows it spans.
    row: u64,
    rows: u64,
    vendor_id: String,
    fields: ProductFields,
    /// Problems found reading it (it is not written then).
    errors: Vec<RowError>,
}

/// A CSV product whose rows are still being read.
struct Pending {
    handle: String,
    product: Described,
}

/// Reads a file of products as it arrives and writes each one as soon as it is whole.
pub struct Importer {
    catalog: Arc<Catalog>,
    caller: Caller,
    rows: Rows,
    categories: HashSet<String>,
    pending: Option<Pending>,
    counts: Counts,
}

impl Importer {
    /// An import by `caller` (a vendor or an admin).
    pub async fn start(catalog: Arc<Catalog>, caller: Caller, format: Format) -> Result<Self, CatalogError> {
        if !matches!(caller.role, Role::Vendor | Role::Admin) {
            return Err(shop_service_kit::Refusal::Forbidden.into());
        }
        let categories = catalog.categories.all().await?.into_iter().map(|c| c.id.to_string()).collect();
        Ok(Self { catalog, caller, rows: Rows::new(format), categories, pending: None, counts: Counts::default() })
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Reads `chunk` and writes the products it completes; the rows that failed.
    pub async fn push(&mut self, chunk: &[u8]) -> Result<Vec<RowError>, ImportError> {
        let rows = self.rows.push(chunk)?;
        self.take(rows).await
    }

    /// Ends the file: writes the last product; the rows that failed.
    pub async fn finish(&mut self) -> Result<Vec<RowError>, ImportError> {
        let rows = self.rows.finish()?;
        let mut errors = self.take(rows).await?;
        if let Some(last) = self.pending.take() {
            errors.extend(self.write(last.product).await?);
        }
        Ok(errors)
    }

    async fn take(&mut self, rows: Vec<Row>) -> Result<Vec<RowError>, ImportError> {
        let mut errors = Vec::new();
        for row in rows {
            self.counts.rows += 1;
            if self.counts.rows > MAX_ROWS {
                return Err(ImportError::TooManyRows);
            }
            let number = row.number;
            match row.values {
                Err(message) => errors.extend(self.fail_row(number, "row", message)),
                Ok(Values::Json(object)) => {
                    let product = from_json(number, object);
                    errors.extend(self.write(product).await?);
                }
                Ok(Values::Columns(columns)) => errors.extend(self.csv_row(number, columns).await?),
            }
        }
        Ok(errors)
    }

    /// A row that could not be read: it fails the product it belongs to (a CSV product
    /// still being read), or stands alone.
    fn fail_row(&mut self, row: u64, field: &str, message: String) -> Vec<RowError> {
        let error = RowError { row, field: field.to_owned(), message };
        match &mut self.pending {
            Some(pending) => {
                pending.product.rows += 1;
                pending.product.errors.push(error);
                Vec::new()
            }
            None => {
                self.counts.failed += 1;
                vec![error]
            }
        }
    }

    async fn csv_row(&mut self, row: u64, columns: BTreeMap<String, String>) -> Result<Vec<RowError>, ImportError> {
        let cell = |name: &str| columns.get(name).map_or("", |v| v.trim());
        let handle = cell("handle").to_owned();
        let mut errors = Vec::new();
        let continues = !handle.is_empty() && self.pending.as_ref().is_some_and(|p| p.handle == handle);
        if !continues && let Some(done) = self.pending.take() {
            errors.extend(self.write(done.product).await?);
        }
        let (variant, problems) = variant_of(row, &columns);
        match &mut self.pending {
            Some(pending) if continues => {
                pending.product.rows += 1;
                pending.product.fields.variants.push(variant);
                pending.product.errors.extend(problems);
            }
            _ => {
                let mut product = product_of(row, &columns);
                product.fields.variants.push(variant);
                product.errors.extend(problems);
                if handle.is_empty() {
                    errors.extend(self.write(product).await?);
                } else {
                    self.pending = Some(Pending { handle, product });
                }
            }
        }
        Ok(errors)
    }

    /// Writes one product the file describes; its rows' errors if it is not written.
    async fn write(&mut self, product: Described) -> Result<Vec<RowError>, ImportError> {
        let (row, rows) = (product.row, product.rows);
        let outcome = if product.errors.is_empty() { self.upsert(&product).await? } else { Err(product.errors) };
        match outcome {
            Ok(Outcome::Created) => self.counts.created += 1,
            Ok(Outcome::Updated) => self.counts.updated += 1,
            Ok(Outcome::Unchanged) => self.counts.unchanged += 1,
            Err(mut errors) => {
                self.counts.failed += rows;
                for e in &mut errors {
                    e.row = e.row.max(row);
                }
                return Ok(errors);
            }
        }
        Ok(Vec::new())
    }

    /// Creates or updates the product; `Err` holds why it was refused (row errors), the
    /// outer error what ends the import.
    async fn upsert(&self, described: &Described) -> Result<Result<Outcome, Vec<RowError>>, ImportError> {
        let row = described.row;
        let refused = |field: &str, message: &str| {
            Ok(Err(vec![RowError { row, field: field.to_owned(), message: message.to_owned() }]))
        };
        let vendor = match (&self.caller.role, described.vendor_id.as_str()) {
            (_, "") => self.caller.user_id.clone(),
            (Role::Admin, named) => named.to_owned(),
            (_, named) if named == self.caller.user_id => named.to_owned(),
            _ => return refused("vendor_id", "a vendor imports its own products only"),
        };
        let valid = match described.fields.validate() {
            Ok(valid) => valid,
            Err(fields) => return Ok(Err(fields.into_iter().map(|f| field_error(row, f)).collect())),
        };
        if let Some(category) = valid.category_id
            && !self.categories.contains(&category.to_string())
        {
            return refused("category_id", "no such category");
        }
        let skus: Vec<Sku> = valid.variants.iter().map(|v| v.sku.clone()).collect();
        let products = &self.catalog.products;
        for _ in 0..RETRIES {
            let now = OffsetDateTime::now_utc();
            let owners = products.by_skus(&skus).await.map_err(CatalogError::from)?;
            let result = match owners.as_slice() {
                [] => {
                    let product = Product::create(valid.clone(), &vendor, now);
                    let event = changed(kind::PRODUCT_CREATED, &product);
                    products.insert_batched(&product, &[event]).await.map(|()| Outcome::Created)
                }
                [before] => {
                    if !may_edit(&self.caller, before) {
                        return refused("sku", "belongs to another vendor's product");
                    }
                    if !described.vendor_id.is_empty() && described.vendor_id != before.vendor_id {
                        return refused("vendor_id", "the product belongs to another vendor");
                    }
                    let mut after = before.clone();
                    after.apply(valid.clone(), now);
                    if ProductFields::of(&after) == ProductFields::of(before) {
                        return Ok(Ok(Outcome::Unchanged));
                    }
                    let mut events = vec![changed(kind::PRODUCT_UPDATED, &after)];
                    events.extend(price_changes(before, &after));
                    products.update_batched(&after, &events).await.map(|()| Outcome::Updated)
                }
                _ => return refused("sku", "these SKUs belong to different products"),
            };
            match result {
                Ok(outcome) => return Ok(Ok(outcome)),
                // Raced another write: read again.
                Err(StoreError::Stale | StoreError::DuplicateId) => {}
                Err(StoreError::DuplicateSku(sku)) => {
                    return refused("sku", &format!("SKU {sku} belongs to another product"));
                }
                Err(other) => return Err(CatalogError::from(other).into()),
            }
        }
        refused("sku", "the product kept changing during the import; import it again")
    }
}

enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// A validation error where it belongs: a variant's on that variant's row.
fn field_error(row: u64, error: FieldError) -> RowError {
    let variant = error
        .field
        .strip_prefix("variants[")
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(n, _)| n.parse::<u64>().ok());
    RowError { row: row + variant.unwrap_or(0), field: error.field, message: error.message }
}
