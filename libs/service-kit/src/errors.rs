//! Failures nobody planned for, classified once: a backend that cannot be reached (Redis,
//! MongoDB, another service) is a 503 the client may retry; anything else is a 500 whose
//! details stay in the log.

use shop_auth::AuthError;
use shop_platform::{ApiError, ErrorKind, FieldError};

/// What every service refuses the same way, whatever its domain: bad input, a caller
/// without a valid token, a caller without the right. A service's error enum holds these
/// as one variant (`Refused(#[from] Refusal)`) beside its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("authentication required")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
}

impl Refusal {
    /// One invalid field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    /// A parsed value, or the refusal naming `field` with the parser's message.
    pub fn check<T>(field: &str, parsed: Result<T, String>) -> Result<T, Self> {
        parsed.map_err(|message| Self::invalid(field, message))
    }
}

impl From<AuthError> for Refusal {
    fn from(_: AuthError) -> Self {
        Self::Unauthenticated
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Invalid(fields) => ApiError::invalid(fields),
            Refusal::Unauthenticated => crate::auth::unauthenticated(),
            Refusal::Forbidden => ApiError::new(ErrorKind::PermissionDenied, "not allowed"),
        }
    }
}

crate::status_from!(Refusal);

/// The client-facing error for an unexpected failure, its whole chain logged once.
pub fn unexpected(err: impl Into<anyhow::Error>) -> ApiError {
    let err = err.into();
    if is_unavailable(&err) {
        tracing::warn!(error = format!("{err:#}"), "a backend is unavailable");
        ApiError::new(ErrorKind::Unavailable, "a backend is unavailable; try again shortly")
    } else {
        ApiError::internal(&err)
    }
}

/// Whether anything in `err`'s chain says a backend could not be reached or did not answer
/// in time (as opposed to answering wrongly).
pub fn is_unavailable(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        if let Some(e) = cause.downcast_ref::<deadpool_redis::redis::RedisError>() {
            return e.is_io_error() || e.is_connection_refusal() || e.is_timeout() || e.is_connection_dropped();
        }
        if let Some(e) = cause.downcast_ref::<deadpool_redis::PoolError>() {
            return matches!(e, deadpool_redis::PoolError::Timeout(_) | deadpool_redis::PoolError::Closed);
        }
        if let Some(e) = cause.downcast_ref::<mongodb::error::Error>() {
            use mongodb::error::{ErrorKind as Mongo, TRANSIENT_TRANSACTION_ERROR};
            return matches!(
                *e.kind,
                Mongo::Io(_) | Mongo::ServerSelection { .. } | Mongo::ConnectionPoolCleared { .. }
            ) || e.contains_label(TRANSIENT_TRANSACTION_ERROR);
        }
        if let Some(e) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as Io;
            return matches!(
                e.kind(),
                Io::ConnectionRefused
                    | Io::ConnectionReset
                    | Io::ConnectionAborted
                    | Io::NotConnected
                    | Io::BrokenPipe
                    | Io::TimedOut
                    | Io::UnexpectedEof
            );
        }
        if let Some(status) = cause.downcast_ref::<tonic::Status>() {
            return ApiError::from_status(status).kind == ErrorKind::Unavailable;
        }
        false
    })
}

/// `impl From<$error> for tonic::Status` through the service's one mapping to
/// [`ApiError`](shop_platform::ApiError).
#[macro_export]
macro_rules! status_from {
    ($error:ty) => {
        impl From<$error> for ::tonic::Status {
            fn from(err: $error) -> Self {
                ::shop_platform::ApiError::from(err).into()
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_is_unavailable_however_deep() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let err = anyhow::Error::from(io).context("loading the cart").context("checkout");
        assert_eq!(unexpected(err).kind, ErrorKind::Unavailable);
    }

    #[test]
    fn anything_else_is_internal_and_says_nothing() {
        let err = anyhow::anyhow!("stored status banana");
        let api = unexpected(err);
        assert_eq!(api.kind, ErrorKind::Internal);
        assert!(!api.message.contains("banana"));
    }
}
