//! A product as its document stores it.

use std::collections::BTreeMap;

use mongodb::bson::{self, doc};
use serde::{Deserialize, Serialize};
use shop_storage::timestamp;

use crate::domain::{Currency, Image, Money, Product, ProductStatus, RatingSummary, Sku, Variant};

#[derive(Debug, Serialize, Deserialize)]
struct MoneyDoc {
    amount: i64,
    currency: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct VariantDoc {
    sku: String,
    price: MoneyDoc,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ImageDoc {
    url: String,
    alt: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ProductDoc {
    #[serde(rename = "_id")]
    id: String,
    name: String,
    description: String,
    category_id: Option<String>,
    tags: Vec<String>,
    images: Vec<ImageDoc>,
    attributes: BTreeMap<String, String>,
    status: String,
    vendor_id: String,
    variants: Vec<VariantDoc>,
    rating_count: u32,
    rating_histogram: [u32; 5],
    /// Denormalised for sorting.
    rating_average: f64,
    /// The lowest variant price, for price filters and sorts.
    min_price: i64,
    /// Available units per SKU as inventory reported; `in_stock` summarises it.
    #[serde(default)]
    stock: BTreeMap<String, i64>,
    in_stock: Option<bool>,
    created_at: bson::DateTime,
    updated_at: bson::DateTime,
    version: i64,
}

impl From<&Product> for ProductDoc {
    fn from(p: &Product) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name.clone(),
            description: p.description.clone(),
            category_id: p.category_id.clone(),
            tags: p.tags.clone(),
            images: p.images.iter().map(|i| ImageDoc { url: i.url.clone(), alt: i.alt.clone() }).collect(),
            attributes: p.attributes.clone(),
            status: p.status.as_str().to_owned(),
            vendor_id: p.vendor_id.clone(),
            variants: p
                .variants
                .iter()
                .map(|v| VariantDoc {
                    sku: v.sku.as_str().to_owned(),
                    price: MoneyDoc { amount: v.price.amount, currency: v.price.currency.to_string() },
                    attributes: v.attributes.clone(),
                })
                .collect(),
            rating_count: p.rating.count,
            rating_histogram: p.rating.histogram,
            rating_average: p.rating.average(),
            min_price: p.min_price(),
            stock: p.stock.iter().map(|(k, v)| (k.as_str().to_owned(), *v)).collect(),
            in_stock: p.in_stock(),
            created_at: timestamp::to_bson(p.created_at),
            updated_at: timestamp::to_bson(p.updated_at),
            version: i64::try_from(p.version).unwrap_or(i64::MAX),
        }
    }
}

impl TryFrom<ProductDoc> for Product {
    type Error = anyhow::Error;

    fn try_from(d: ProductDoc) -> anyhow::Result<Self> {
        let bad = |what: &str, e: String| anyhow::anyhow!("stored product {}: {what}: {e}", d.id);
        let variants = d
            .variants
            .iter()
            .map(|v| {
                let currency = Currency::parse(&v.price.currency).map_err(|e| bad("currency", e))?;
                Ok(Variant {
                    sku: Sku::parse(&v.sku).map_err(|e| bad("sku", e))?,
                    price: Money::new(v.price.amount, currency).map_err(|e| bad("price", e))?,
                    attributes: v.attributes.clone(),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            id: d.id.parse().map_err(|e| bad("id", e))?,
            status: ProductStatus::parse(&d.status).map_err(|e| bad("status", e))?,
            name: d.name,
            description: d.description,
            category_id: d.category_id,
            tags: d.tags,
            images: d.images.into_iter().map(|i| Image { url: i.url, alt: i.alt }).collect(),
            attributes: d.attributes,
            vendor_id: d.vendor_id,
            variants,
            rating: RatingSummary { count: d.rating_count, histogram: d.rating_histogram },
            stock: d
                .stock
                .iter()
                .map(|(k, v)| Ok((Sku::parse(k).map_err(|e| bad("stock", e))?, *v)))
                .collect::<anyhow::Result<_>>()?,
            created_at: timestamp::from_bson(d.created_at)?,
            updated_at: timestamp::from_bson(d.updated_at)?,
            version: u64::try_from(d.version)?,
        })
    }
}
