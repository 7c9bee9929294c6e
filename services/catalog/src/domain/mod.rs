//! Catalog domain types and rules; no transport or storage types in here.

pub mod money;
pub mod product;

pub use money::{Currency, Money};
pub use product::{Image, Product, ProductId, ProductStatus, RatingSummary, Sku, Variant};
