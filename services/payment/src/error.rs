//! Payment's domain error, mapped once to the shared [`ApiError`] (and so to gRPC).

use shop_platform::{ApiError, ErrorKind, FieldError};

use crate::storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
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
    #[error("authentication required")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl PaymentError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError { field: field.to_owned(), message: message.into() }])
    }
}

impl From<StoreError> for PaymentError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Stale => Self::Conflict,
            StoreError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl From<shop_auth::AuthError> for PaymentError {
    fn from(_: shop_auth::AuthError) -> Self {
        Self::Unauthenticated
    }
}

impl From<PaymentError> for ApiError {
    fn from(err: PaymentError) -> Self {
        let conflict = |code: &str, message: String| ApiError::new(ErrorKind::Conflict, message).with_code(code);
        match err {
            PaymentError::Invalid(fields) => ApiError::invalid(fields),
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
            PaymentError::Unauthenticated => ApiError::new(ErrorKind::Unauthenticated, "authentication required"),
            PaymentError::Forbidden => ApiError::new(ErrorKind::PermissionDenied, "this needs the admin role"),
            PaymentError::Unexpected(e) => ApiError::internal(&e),
        }
    }
}

impl From<PaymentError> for tonic::Status {
    fn from(err: PaymentError) -> Self {
        ApiError::from(err).into()
    }
}
