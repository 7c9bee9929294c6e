//! Products written out in the shapes import reads back.

use std::collections::BTreeMap;

use shop_auth::{Caller, Role};
use shop_tabular::{CsvWriter, Format};

use super::{
    COLUMNS,
    rows::{JsonImage, JsonMoney, JsonProduct, JsonVariant},
};
use crate::{
    catalog::Catalog,
    domain::{Product, ProductId},
    error::CatalogError,
    storage::ProductStore,
};

fn joined<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    items.into_iter().map(String::as_str).collect::<Vec<_>>().join("|")
}

fn joined_pairs(pairs: &BTreeMap<String, String>) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("|")
}

/// Writes products out in a format import reads back to the same products.
pub struct Exporter {
    format: Format,
    csv: CsvWriter,
    json: Vec<u8>,
}

impl Exporter {
    /// An exporter; a CSV one has written its header.
    pub fn new(format: Format) -> Self {
        let mut csv = CsvWriter::default();
        if format == Format::Csv {
            csv.row(&COLUMNS);
        }
        Self { format, csv, json: Vec::new() }
    }

    pub fn write(&mut self, p: &Product) {
        match self.format {
            Format::Csv => self.csv_rows(p),
            Format::Ndjson => self.json_line(p),
        }
    }

    fn csv_rows(&mut self, p: &Product) {
        let handle = p.id.to_string();
        let images =
            p.images.iter().map(|i| if i.alt.is_empty() { i.url.clone() } else { format!("{} {}", i.url, i.alt) });
        let images: Vec<String> = images.collect();
        for (i, v) in p.variants.iter().enumerate() {
            let first = i == 0;
            let product_cell = |value: String| if first { value } else { String::new() };
            self.csv.row(&[
                handle.clone(),
                product_cell(p.vendor_id.clone()),
                product_cell(p.name.clone()),
                product_cell(p.description.clone()),
                product_cell(p.category_id.clone().unwrap_or_default()),
                product_cell(joined(&p.tags)),
                product_cell(p.status.as_str().to_owned()),
                product_cell(joined_pairs(&p.attributes)),
                product_cell(joined(&images)),
                v.sku.as_str().to_owned(),
                v.price.amount.to_string(),
                v.price.currency.to_string(),
                joined_pairs(&v.attributes),
            ]);
        }
    }

    fn json_line(&mut self, p: &Product) {
        let line = JsonProduct {
            id: Some(p.id.to_string()),
            vendor_id: p.vendor_id.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            category_id: p.category_id.clone().unwrap_or_default(),
            tags: p.tags.clone(),
            images: p.images.iter().map(|i| JsonImage { url: i.url.clone(), alt: i.alt.clone() }).collect(),
            attributes: p.attributes.clone(),
            status: p.status.as_str().to_owned(),
            variants: p
                .variants
                .iter()
                .map(|v| JsonVariant {
                    sku: v.sku.as_str().to_owned(),
                    price: JsonMoney { amount: v.price.amount, currency: v.price.currency.to_string() },
                    attributes: v.attributes.clone(),
                })
                .collect(),
        };
        // A product always serializes (strings and numbers only).
        if serde_json::to_writer(&mut self.json, &line).is_ok() {
            self.json.push(b'\n');
        }
    }

    /// What was written since the last take.
    pub fn take(&mut self) -> Vec<u8> {
        match self.format {
            Format::Csv => self.csv.take(),
            Format::Ndjson => std::mem::take(&mut self.json),
        }
    }
}

/// Products read from the store per round trip of an export.
pub const EXPORT_BATCH: usize = 500;

/// The next batch of an export by `caller`: a vendor's own products, or everyone's for an
/// admin, in id order after `after`.
pub async fn export_batch(
    catalog: &Catalog,
    caller: &Caller,
    after: Option<ProductId>,
) -> Result<Vec<Product>, CatalogError> {
    let vendor = match caller.role {
        Role::Admin => None,
        Role::Vendor => Some(caller.user_id.as_str()),
        Role::Customer => return Err(shop_service_kit::Refusal::Forbidden.into()),
    };
    Ok(catalog.products.page_after(after, vendor, EXPORT_BATCH).await?)
}
