//! Inventory's domain error, mapped once to the shared [`ApiError`] (and so to gRPC).

use shop_platform::{ApiError, ErrorKind, FieldError};

use crate::storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("no stock record for this SKU")]
    UnknownSku,
    #[error("not enough stock of {0}")]
    OutOfStock(String),
    #[error("on hand cannot go below the {0} units reserved")]
    BelowReserved(i64),
    #[error("the reservation was released")]
    Released,
    #[error("no reservation for this order")]
    NoReservation,
    #[error("authentication required")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl InventoryError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError { field: field.to_owned(), message: message.into() }])
    }
}

impl From<StoreError> for InventoryError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::OutOfStock(sku) => Self::OutOfStock(sku),
            StoreError::BelowReserved(n) => Self::BelowReserved(n),
            StoreError::Released => Self::Released,
            StoreError::NoReservation => Self::NoReservation,
            StoreError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl From<shop_auth::AuthError> for InventoryError {
    fn from(_: shop_auth::AuthError) -> Self {
        Self::Unauthenticated
    }
}

impl From<InventoryError> for ApiError {
    fn from(err: InventoryError) -> Self {
        match err {
            InventoryError::Invalid(fields) => ApiError::invalid(fields),
            InventoryError::UnknownSku => ApiError::not_found("stock record"),
            InventoryError::OutOfStock(sku) => {
                ApiError::new(ErrorKind::Conflict, format!("not enough stock of {sku}")).with_code("out_of_stock")
            }
            InventoryError::BelowReserved(n) => {
                ApiError::new(ErrorKind::Conflict, format!("{n} units are reserved; on hand cannot go below that"))
                    .with_code("below_reserved")
            }
            InventoryError::Released => {
                ApiError::new(ErrorKind::Conflict, "the reservation was released").with_code("reservation_released")
            }
            InventoryError::NoReservation => ApiError::not_found("reservation"),
            InventoryError::Unauthenticated => ApiError::new(ErrorKind::Unauthenticated, "authentication required"),
            InventoryError::Forbidden => ApiError::new(ErrorKind::PermissionDenied, "not allowed"),
            InventoryError::Unexpected(e) => ApiError::internal(&e),
        }
    }
}

impl From<InventoryError> for tonic::Status {
    fn from(err: InventoryError) -> Self {
        ApiError::from(err).into()
    }
}
