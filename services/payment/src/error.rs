//! Payment's domain error, mapped once to the shared [`ApiError`] (and so to gRPC).

use shop_platform::{ApiError, ErrorKind};
use shop_service_kit::Refusal;

use crate::storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("no payment for this order")]
    NotFound,
    #[error("this order was charged with another amount")]
    Mismatch,
    #[error("only a captured payment can be refunded")]
    NotRefundable,
    #[error("at most {0} can be refunded")]
    RefundTooLarge(i64),
    #[error("the payment provider is unavailable")]
    ProviderUnavailable,
    #[error("the payment changed meanwhile")]
    Conflict,
    #[error("bad webhook: {0}")]
    Webhook(#[from] crate::webhook::WebhookError),
    /// Bad input, no valid token, no right: refused the way every service refuses.
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for PaymentError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Stale => Self::Conflict,
            StoreError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl From<PaymentError> for ApiError {
    fn from(err: PaymentError) -> Self {
        let conflict = |code: &str, message: String| ApiError::new(ErrorKind::Conflict, message).with_code(code);
        match err {
            PaymentError::NotFound => ApiError::not_found("payment"),
            PaymentError::Mismatch => {
                ApiError::new(ErrorKind::Unprocessable, "this order was charged with another amount")
                    .with_code("idempotency_key_reused")
            }
            PaymentError::NotRefundable => conflict("not_refundable", "only a captured payment can be refunded".into()),
            PaymentError::RefundTooLarge(left) => {
                ApiError::invalid_field("amount", format!("at most {left} can be refunded"))
                    .with_code("refund_too_large")
            }
            PaymentError::ProviderUnavailable => {
                ApiError::new(ErrorKind::Unavailable, "the payment provider is unavailable; try again")
                    .with_code("provider_unavailable")
            }
            PaymentError::Conflict => conflict("conflict", "the payment changed meanwhile; try again".into()),
            PaymentError::Webhook(e) => {
                ApiError::new(ErrorKind::InvalidArgument, e.to_string()).with_code("bad_webhook")
            }
            PaymentError::Refused(refusal) => refusal.into(),
            PaymentError::Unexpected(e) => shop_service_kit::unexpected(e),
        }
    }
}

shop_service_kit::status_from!(PaymentError);
