//! Order's domain error, mapped once to the shared [`ApiError`] (and so to gRPC).

use shop_platform::{ApiError, ErrorKind, code};
use shop_service_kit::Refusal;

use crate::{cart::CartError, domain::IllegalTransition, storage::StoreError};

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("order not found")]
    NotFound,
    #[error("no product has this SKU")]
    UnknownSku,
    #[error("no cart line for this SKU")]
    NoCartLine,
    #[error("this product is not for sale")]
    NotForSale,
    #[error("{0} is no longer for sale")]
    NoLongerForSale(String),
    #[error(transparent)]
    Cart(CartError),
    #[error("the cart is empty")]
    CartEmpty,
    #[error("the cart mixes currencies")]
    MixedCurrencies,
    #[error("this Idempotency-Key was used for another request")]
    KeyReused,
    #[error(transparent)]
    IllegalTransition(#[from] IllegalTransition),
    #[error("the checkout of this order is still running")]
    CheckoutInProgress,
    #[error("at most {0} checkouts at once; wait for one to finish")]
    TooManyCheckouts(usize),
    /// The shop takes orders only from accounts whose address is proven.
    #[error("verify your email address before you check out")]
    EmailUnverified,
    #[error("a shipped order can no longer be cancelled")]
    NotCancellable,
    #[error("only a paid order can be refunded")]
    NotRefundable,
    #[error("the order keeps changing; try again")]
    KeepsChanging,
    #[error("an item is out of stock")]
    OutOfStock,
    #[error("the payment was declined")]
    PaymentDeclined,
    #[error("the checkout was interrupted and cancelled")]
    CheckoutCancelled,
    #[error("the payment could not be confirmed")]
    PaymentUnconfirmed,
    #[error("the refund did not complete")]
    RefundIncomplete,
    /// What another service answered, passed on as it was.
    #[error("{0}")]
    Upstream(ApiError),
    /// Bad input, no valid token, no right: refused the way every service refuses.
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for OrderError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::KeyUsed | StoreError::Stale => Self::KeepsChanging,
            StoreError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl From<CartError> for OrderError {
    fn from(err: CartError) -> Self {
        match err {
            CartError::Unexpected(e) => Self::Unexpected(e),
            limit => Self::Cart(limit),
        }
    }
}

impl From<tonic::Status> for OrderError {
    fn from(status: tonic::Status) -> Self {
        Self::Upstream(ApiError::from_status(&status))
    }
}

impl From<OrderError> for ApiError {
    fn from(err: OrderError) -> Self {
        let message = err.to_string();
        let with = |kind: ErrorKind, code: &str| ApiError::new(kind, message.clone()).with_code(code);
        match err {
            OrderError::NotFound => ApiError::not_found("order"),
            OrderError::UnknownSku => ApiError::not_found("product with this SKU"),
            OrderError::NoCartLine => ApiError::not_found("cart line"),
            OrderError::NotForSale => with(ErrorKind::Conflict, "not_for_sale"),
            OrderError::NoLongerForSale(_) => with(ErrorKind::Conflict, "item_unavailable"),
            OrderError::Cart(CartError::TooManyLines) => with(ErrorKind::Conflict, "cart_limit"),
            OrderError::Cart(_) => ApiError::invalid_field("quantity", message).with_code("cart_limit"),
            OrderError::CartEmpty => with(ErrorKind::Unprocessable, "cart_empty"),
            OrderError::MixedCurrencies => with(ErrorKind::Unprocessable, "mixed_currencies"),
            OrderError::KeyReused => with(ErrorKind::Unprocessable, "idempotency_key_reused"),
            OrderError::IllegalTransition(_) => with(ErrorKind::Conflict, "illegal_transition"),
            OrderError::CheckoutInProgress => with(ErrorKind::Conflict, "checkout_in_progress"),
            OrderError::TooManyCheckouts(_) => with(ErrorKind::RateLimited, "too_many_checkouts"),
            OrderError::EmailUnverified => with(ErrorKind::PermissionDenied, "email_unverified"),
            OrderError::NotCancellable => with(ErrorKind::Conflict, "not_cancellable"),
            OrderError::NotRefundable => with(ErrorKind::Conflict, "not_refundable"),
            OrderError::KeepsChanging => with(ErrorKind::Conflict, "conflict"),
            OrderError::OutOfStock => with(ErrorKind::Conflict, code::OUT_OF_STOCK),
            OrderError::PaymentDeclined => with(ErrorKind::PaymentRequired, code::PAYMENT_DECLINED),
            OrderError::CheckoutCancelled => with(ErrorKind::Conflict, "checkout_cancelled"),
            OrderError::PaymentUnconfirmed => ApiError::new(
                ErrorKind::Unavailable,
                "the payment could not be confirmed; retry with the same Idempotency-Key",
            )
            .with_code(code::PAYMENT_UNCONFIRMED),
            OrderError::RefundIncomplete => {
                ApiError::new(ErrorKind::Unavailable, "the refund did not complete; try again")
            }
            OrderError::Upstream(e) => e,
            OrderError::Refused(refusal) => refusal.into(),
            OrderError::Unexpected(e) => shop_service_kit::unexpected(e),
        }
    }
}

shop_service_kit::status_from!(OrderError);
