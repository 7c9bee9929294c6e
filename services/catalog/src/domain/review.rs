//! Reviews: one per user per product, with helpful votes.

use time::OffsetDateTime;

use super::ProductId;

shop_platform::uuid_id!(
    /// A review id.
    ReviewId
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub id: ReviewId,
    pub product_id: ProductId,
    pub user_id: String,
    /// 1 to 5 stars.
    pub rating: u8,
    pub comment: String,
    /// Set by the platform: the user has a paid order with this product.
    pub verified_purchase: bool,
    pub helpful_count: u32,
    pub created_at: OffsetDateTime,
}

pub fn rating(stars: u32) -> Result<u8, String> {
    u8::try_from(stars).ok().filter(|s| (1..=5).contains(s)).ok_or_else(|| "must be from 1 to 5".to_owned())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewSort {
    Newest,
    Helpful,
}
