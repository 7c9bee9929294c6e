//! Catalog domain types and rules; no transport or storage types in here.

pub mod category;
pub mod input;
pub mod product;
pub mod review;
pub mod search;

pub use category::{Category, CategoryId, Slug};
pub use product::{Image, Product, ProductId, ProductStatus, RatingSummary, Variant};
pub use review::{Review, ReviewId};
pub use search::{SearchQuery, SearchSort, Visibility};
pub use shop_types::{Currency, Money, Sku, text};
