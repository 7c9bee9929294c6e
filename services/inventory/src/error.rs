//! Inventory's domain error, mapped once to the shared [`ApiError`] (and so to gRPC).

use shop_platform::{ApiError, ErrorKind, code};
use shop_service_kit::Refusal;

use crate::{domain::StockRefusal, storage::StoreError};

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("no stock record for this SKU")]
    UnknownSku,
    #[error(transparent)]
    Stock(#[from] StockRefusal),
    /// Bad input, no valid token, no right: refused the way every service refuses.
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for InventoryError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Refused(refusal) => Self::Stock(refusal),
            StoreError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl From<InventoryError> for ApiError {
    fn from(err: InventoryError) -> Self {
        match err {
            InventoryError::UnknownSku => ApiError::not_found("stock record"),
            InventoryError::Stock(StockRefusal::OutOfStock(sku)) => {
                ApiError::new(ErrorKind::Conflict, format!("not enough stock of {sku}")).with_code(code::OUT_OF_STOCK)
            }
            InventoryError::Stock(StockRefusal::BelowReserved(n)) => {
                ApiError::new(ErrorKind::Conflict, format!("{n} units are reserved; on hand cannot go below that"))
                    .with_code("below_reserved")
            }
            InventoryError::Stock(StockRefusal::Released) => {
                ApiError::new(ErrorKind::Conflict, "the reservation was released").with_code(code::RESERVATION_RELEASED)
            }
            InventoryError::Stock(StockRefusal::NoReservation) => ApiError::not_found("reservation"),
            InventoryError::Refused(refusal) => refusal.into(),
            InventoryError::Unexpected(e) => shop_service_kit::unexpected(e),
        }
    }
}

shop_service_kit::status_from!(InventoryError);
