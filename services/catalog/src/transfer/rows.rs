//! How a file's rows read as products: a CSV row's cells (the product's own on its first
//! row, a variant's on each), an NDJSON line's object; and the NDJSON shape export writes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Described, RowError};
use crate::domain::input::{ProductFields, VariantFields};

fn list(cell: &str) -> Vec<String> {
    cell.split('|').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn pairs(row: u64, field: &str, cell: &str, errors: &mut Vec<RowError>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for pair in list(cell) {
        match pair.split_once('=') {
            Some((name, value)) => {
                out.insert(name.trim().to_owned(), value.trim().to_owned());
            }
            None => {
                errors.push(RowError { row, field: field.to_owned(), message: format!("{pair:?} is not name=value") })
            }
        }
    }
    out
}

/// The product-level cells of a CSV row (its first).
pub(super) fn product_of(row: u64, columns: &BTreeMap<String, String>) -> Described {
    let cell = |name: &str| columns.get(name).map_or("", |v| v.trim());
    let mut errors = Vec::new();
    let images = list(cell("images"))
        .into_iter()
        .map(|image| match image.split_once(' ') {
            Some((url, alt)) => (url.to_owned(), alt.trim().to_owned()),
            None => (image, String::new()),
        })
        .collect();
    let fields = ProductFields {
        name: cell("name").to_owned(),
        description: columns.get("description").cloned().unwrap_or_default(),
        category_id: cell("category_id").to_owned(),
        tags: list(cell("tags")),
        images,
        attributes: pairs(row, "attributes", cell("attributes"), &mut errors),
        status: cell("status").to_owned(),
        variants: Vec::new(),
    };
    Described { row, rows: 1, vendor_id: cell("vendor_id").to_owned(), fields, errors }
}

/// The variant a CSV row describes.
pub(super) fn variant_of(row: u64, columns: &BTreeMap<String, String>) -> (VariantFields, Vec<RowError>) {
    let cell = |name: &str| columns.get(name).map_or("", |v| v.trim());
    let mut errors = Vec::new();
    let amount = match cell("price").parse::<i64>() {
        Ok(amount) => amount,
        Err(_) => {
            let message = "must be a whole number of minor units (cents)".to_owned();
            errors.push(RowError { row, field: "price".into(), message });
            0
        }
    };
    let variant = VariantFields {
        sku: cell("sku").to_owned(),
        amount,
        currency: cell("currency").to_owned(),
        attributes: pairs(row, "variant_attributes", cell("variant_attributes"), &mut errors),
    };
    (variant, errors)
}

/// A product as an NDJSON line describes it (the REST input shape, plus its vendor).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JsonProduct {
    /// Written by export, ignored by import (products are found by SKU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) id: Option<String>,
    #[serde(default)]
    pub(super) vendor_id: String,
    pub(super) name: String,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) category_id: String,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    #[serde(default)]
    pub(super) images: Vec<JsonImage>,
    #[serde(default)]
    pub(super) attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) status: String,
    pub(super) variants: Vec<JsonVariant>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JsonImage {
    pub(super) url: String,
    #[serde(default)]
    pub(super) alt: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JsonVariant {
    pub(super) sku: String,
    pub(super) price: JsonMoney,
    #[serde(default)]
    pub(super) attributes: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JsonMoney {
    pub(super) amount: i64,
    pub(super) currency: String,
}

pub(super) fn from_json(row: u64, object: serde_json::Map<String, serde_json::Value>) -> Described {
    match serde_json::from_value::<JsonProduct>(serde_json::Value::Object(object)) {
        Ok(p) => Described {
            row,
            rows: 1,
            vendor_id: p.vendor_id,
            fields: ProductFields {
                name: p.name,
                description: p.description,
                category_id: p.category_id,
                tags: p.tags,
                images: p.images.into_iter().map(|i| (i.url, i.alt)).collect(),
                attributes: p.attributes,
                status: p.status,
                variants: p
                    .variants
                    .into_iter()
                    .map(|v| VariantFields {
                        sku: v.sku,
                        amount: v.price.amount,
                        currency: v.price.currency,
                        attributes: v.attributes,
                    })
                    .collect(),
            },
            errors: Vec::new(),
        },
        Err(err) => Described {
            row,
            rows: 1,
            vendor_id: String::new(),
            fields: ProductFields::default(),
            errors: vec![RowError { row, field: "product".into(), message: err.to_string() }],
        },
    }
}
