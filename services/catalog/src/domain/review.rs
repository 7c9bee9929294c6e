//! Reviews: one per user per product, with helpful votes.

use std::fmt;

use time::OffsetDateTime;
use uuid::Uuid;

use super::ProductId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReviewId(Uuid);

impl ReviewId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() != 36 {
            return Err("must be a UUID".into());
        }
        Uuid::parse_str(s).map(Self).map_err(|_| "must be a UUID".into())
    }
}

impl Default for ReviewId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ReviewId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

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
