//! Catalog domain types and rules; no transport or storage types in here.

pub mod category;
pub mod input;
pub mod money;
pub mod product;
pub mod review;
pub mod search;

pub use category::{Category, CategoryId, Slug};
pub use money::{Currency, Money};
pub use product::{Image, Product, ProductId, ProductStatus, RatingSummary, Sku, Variant};
pub use review::{Review, ReviewId};
pub use search::{SearchQuery, SearchSort, Visibility};

/// Checks a free-text field: at most `max` characters, no control characters but newlines
/// and tabs.
pub fn text(value: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("must not contain control characters".into());
    }
    Ok(value.to_owned())
}
