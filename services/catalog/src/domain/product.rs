//! Products: what a vendor sells, in one or more variants each with its own SKU and price.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::{Money, Sku};

shop_platform::uuid_id!(
    /// A product id.
    ProductId
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductStatus {
    Draft,
    Active,
    Archived,
}

impl ProductStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "draft" => Ok(Self::Draft),
            "active" => Ok(Self::Active),
            "archived" => Ok(Self::Archived),
            _ => Err("must be draft, active or archived".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub url: String,
    pub alt: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub sku: Sku,
    pub price: Money,
    pub attributes: BTreeMap<String, String>,
}

/// Review statistics kept on the product.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RatingSummary {
    pub count: u32,
    /// Reviews per star, index 0 = one star.
    pub histogram: [u32; 5],
}

impl RatingSummary {
    pub fn average(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let stars: u32 = self.histogram.iter().zip(1u32..).map(|(n, star)| n * star).sum();
        f64::from(stars) / f64::from(self.count)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    pub description: String,
    pub category_id: Option<String>,
    pub tags: Vec<String>,
    pub images: Vec<Image>,
    pub attributes: BTreeMap<String, String>,
    pub status: ProductStatus,
    pub vendor_id: String,
    pub variants: Vec<Variant>,
    pub rating: RatingSummary,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Available units per SKU, as inventory last reported them (empty: not tracked).
    pub stock: BTreeMap<Sku, i64>,
    /// Bumped on every write; stale writes are refused.
    pub version: u64,
}

impl Product {
    /// A new product owned by `vendor_id`.
    pub fn create(fields: super::input::ValidProduct, vendor_id: &str, now: OffsetDateTime) -> Self {
        let mut product = Self {
            id: ProductId::new(),
            name: String::new(),
            description: String::new(),
            category_id: None,
            tags: Vec::new(),
            images: Vec::new(),
            attributes: BTreeMap::new(),
            status: ProductStatus::Draft,
            vendor_id: vendor_id.to_owned(),
            variants: Vec::new(),
            rating: RatingSummary::default(),
            created_at: now,
            updated_at: now,
            stock: BTreeMap::new(),
            version: 0,
        };
        product.apply(fields, now);
        product
    }

    /// Replaces the client-settable fields and bumps the version.
    pub fn apply(&mut self, fields: super::input::ValidProduct, now: OffsetDateTime) {
        self.name = fields.name;
        self.description = fields.description;
        self.category_id = fields.category_id.map(|c| c.to_string());
        self.tags = fields.tags;
        self.images = fields.images;
        self.attributes = fields.attributes;
        self.status = fields.status;
        self.variants = fields.variants;
        self.stock.retain(|sku, _| self.variants.iter().any(|v| &v.sku == sku));
        self.updated_at = now;
        self.version += 1;
    }

    pub fn skus(&self) -> impl Iterator<Item = &Sku> {
        self.variants.iter().map(|v| &v.sku)
    }

    /// The lowest variant price ("from" price), what price filters and sorts use.
    pub fn min_price(&self) -> i64 {
        self.variants.iter().map(|v| v.price.amount).min().unwrap_or(0)
    }

    /// Whether any variant is available; `None` when inventory has not reported.
    pub fn in_stock(&self) -> Option<bool> {
        (!self.stock.is_empty()).then(|| self.stock.values().any(|n| *n > 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_ids_accept_only_canonical_uuids() {
        let id = ProductId::new();
        assert_eq!(id.to_string().parse::<ProductId>(), Ok(id));
        for bad in ["", "42", "not-a-uuid", "{\"$gt\":\"\"}", "0190a0e2a0e27000800000000000000a"] {
            assert!(bad.parse::<ProductId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn skus_are_short_and_plain() {
        assert!(Sku::parse("TEE-RED-M").is_ok());
        assert!(Sku::parse("").is_err());
        assert!(Sku::parse("has space").is_err());
        assert!(Sku::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn the_average_rating_weights_each_star() {
        let r = RatingSummary { count: 4, histogram: [0, 0, 1, 1, 2] };
        assert!((r.average() - 4.25).abs() < 1e-9);
        assert!(RatingSummary::default().average().abs() < f64::EPSILON);
    }
}
