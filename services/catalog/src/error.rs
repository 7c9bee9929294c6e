//! The catalog's domain error, mapped once to the shared [`ApiError`] (and so to gRPC).

use shop_platform::{ApiError, ErrorKind};
use shop_service_kit::Refusal;

use crate::storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("product not found")]
    ProductNotFound,
    #[error("category not found")]
    CategoryNotFound,
    #[error("review not found")]
    ReviewNotFound,
    #[error("SKU {0} is already used by another product")]
    DuplicateSku(String),
    #[error("the slug is taken")]
    SlugTaken,
    #[error("this user already reviewed this product")]
    AlreadyReviewed,
    #[error("the category still has products or sub-categories")]
    CategoryInUse,
    #[error("the record changed meanwhile; try again")]
    Conflict,
    /// Bad input, no valid token, no right: refused the way every service refuses.
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for CatalogError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::DuplicateSku(sku) => Self::DuplicateSku(sku),
            StoreError::DuplicateId => Self::Unexpected(anyhow::anyhow!("id collision")),
            StoreError::SlugTaken => Self::SlugTaken,
            StoreError::DuplicateReview => Self::AlreadyReviewed,
            StoreError::Stale => Self::Conflict,
            StoreError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(err: CatalogError) -> Self {
        let conflict = |code: &str, message: String| ApiError::new(ErrorKind::Conflict, message).with_code(code);
        match err {
            CatalogError::ProductNotFound => ApiError::not_found("product"),
            CatalogError::CategoryNotFound => ApiError::not_found("category"),
            CatalogError::ReviewNotFound => ApiError::not_found("review"),
            CatalogError::DuplicateSku(sku) => conflict("duplicate_sku", format!("SKU {sku} is already used")),
            CatalogError::SlugTaken => conflict("slug_taken", "the slug is taken".into()),
            CatalogError::AlreadyReviewed => conflict("already_reviewed", "you already reviewed this product".into()),
            CatalogError::CategoryInUse => {
                conflict("category_in_use", "the category still has products or sub-categories".into())
            }
            CatalogError::Conflict => conflict("conflict", "the record changed meanwhile; try again".into()),
            CatalogError::Refused(refusal) => refusal.into(),
            CatalogError::Unexpected(e) => shop_service_kit::unexpected(e),
        }
    }
}

shop_service_kit::status_from!(CatalogError);
