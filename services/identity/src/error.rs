//! Identity's domain error, mapped once to the shared [`ApiError`] (and so to gRPC).

use shop_platform::{ApiError, ErrorKind, FieldError};

use crate::storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("the email address is already registered")]
    EmailTaken,
    /// Unknown email and wrong password alike.
    #[error("invalid email or password")]
    BadCredentials,
    #[error("the refresh token is invalid, expired or revoked")]
    InvalidRefreshToken,
    #[error("authentication required")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error("user not found")]
    UserNotFound,
    #[error("the account changed meanwhile; try again")]
    Conflict,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl IdentityError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError { field: field.to_owned(), message: message.into() }])
    }
}

impl From<StoreError> for IdentityError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::EmailTaken => Self::EmailTaken,
            StoreError::Stale => Self::Conflict,
            StoreError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl From<shop_auth::AuthError> for IdentityError {
    fn from(_: shop_auth::AuthError) -> Self {
        Self::Unauthenticated
    }
}

impl From<IdentityError> for ApiError {
    fn from(err: IdentityError) -> Self {
        match err {
            IdentityError::Invalid(fields) => ApiError::invalid(fields),
            IdentityError::EmailTaken => {
                ApiError::new(ErrorKind::Conflict, "the email address is already registered").with_code("email_taken")
            }
            IdentityError::BadCredentials => {
                ApiError::new(ErrorKind::Unauthenticated, "invalid email or password").with_code("invalid_credentials")
            }
            IdentityError::InvalidRefreshToken => {
                ApiError::new(ErrorKind::Unauthenticated, "the refresh token is invalid, expired or revoked")
                    .with_code("invalid_refresh_token")
            }
            IdentityError::Unauthenticated => ApiError::new(ErrorKind::Unauthenticated, "authentication required"),
            IdentityError::Forbidden => ApiError::new(ErrorKind::PermissionDenied, "not allowed"),
            IdentityError::UserNotFound => ApiError::not_found("user"),
            IdentityError::Conflict => ApiError::new(ErrorKind::Conflict, "the account changed meanwhile; try again"),
            IdentityError::Unexpected(e) => ApiError::internal(&e),
        }
    }
}

impl From<IdentityError> for tonic::Status {
    fn from(err: IdentityError) -> Self {
        ApiError::from(err).into()
    }
}
