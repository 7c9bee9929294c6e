//! The catalog's domain error, mapped once to the shared [`ApiError`] (and so to gRPC).

use shop_platform::{ApiError, ErrorKind, FieldError};

use crate::storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("product not found")]
    ProductNotFound,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("SKU {0} is already used by another product")]
    DuplicateSku(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl CatalogError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError { field: field.to_owned(), message: message.into() }])
    }
}

impl From<StoreError> for CatalogError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::DuplicateSku(sku) => Self::DuplicateSku(sku),
            StoreError::DuplicateId => Self::Unexpected(anyhow::anyhow!("product id collision")),
            StoreError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(err: CatalogError) -> Self {
        match err {
            CatalogError::ProductNotFound => ApiError::not_found("product"),
            CatalogError::Invalid(fields) => ApiError::invalid(fields),
            CatalogError::DuplicateSku(sku) => {
                ApiError::new(ErrorKind::Conflict, format!("SKU {sku} is already used")).with_code("duplicate_sku")
            }
            CatalogError::Unexpected(e) => ApiError::internal(&e),
        }
    }
}

impl From<CatalogError> for tonic::Status {
    fn from(err: CatalogError) -> Self {
        ApiError::from(err).into()
    }
}
