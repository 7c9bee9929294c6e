//! What a catalog search asks for, already validated.

use super::{CategoryId, ProductStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchSort {
    /// Text relevance when there is a query, else newest.
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
    Rating,
}

/// Whose drafts a search may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Active products only.
    Public,
    /// Active products and every product of this vendor.
    Vendor(String),
    /// Everything.
    Admin,
}

impl Visibility {
    pub fn sees(&self, status: ProductStatus, vendor_id: &str) -> bool {
        match self {
            Self::Public => status == ProductStatus::Active,
            Self::Vendor(me) => status == ProductStatus::Active || vendor_id == me,
            Self::Admin => true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SearchQuery {
    /// Lower-cased words to look for (any of them); empty means no text filter.
    pub terms: Vec<String>,
    /// A category and all of its descendants.
    pub categories: Option<Vec<CategoryId>>,
    pub tag: Option<String>,
    /// Only this vendor's products.
    pub vendor: Option<String>,
    /// Attribute values a product must all have: `(name, value)`.
    pub attributes: Vec<(String, String)>,
    /// Bounds on the product's lowest variant price, minor units.
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub in_stock: bool,
    pub sort: SearchSort,
    pub offset: u64,
    pub limit: u64,
    pub visibility: Visibility,
}

impl SearchQuery {
    /// What the public's plain search for `words` asks: no filter, by relevance, the first 20.
    pub fn words(words: &str) -> Self {
        Self {
            terms: terms(words),
            categories: None,
            tag: None,
            vendor: None,
            attributes: Vec::new(),
            min_price: None,
            max_price: None,
            in_stock: false,
            sort: SearchSort::Relevance,
            offset: 0,
            limit: 20,
            visibility: Visibility::Public,
        }
    }
}

/// Text weights: a term in the name counts most, then tags, then the description.
pub const NAME_WEIGHT: u32 = 10;
pub const TAG_WEIGHT: u32 = 5;
pub const DESCRIPTION_WEIGHT: u32 = 1;

/// Splits a query into lower-case words (at most 10, each 1–40 characters).
pub fn terms(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.chars().count() <= 40)
        .map(str::to_lowercase)
        .take(10)
        .collect()
}
