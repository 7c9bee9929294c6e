//! The one error shape that crosses service boundaries.
//!
//! Each service maps its domain error enum to [`ApiError`] in exactly one place; `ApiError`
//! becomes a `tonic::Status` here, and the gateway turns a `Status` back into an `ApiError`
//! and then into an HTTP problem document. The stable snake_case `code` and the field
//! errors travel in the status details as JSON.

use serde::{Deserialize, Serialize};
use tonic::{Code, Status};

/// Broad class of an error; decides the gRPC code and the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    InvalidArgument,
    Unauthenticated,
    PermissionDenied,
    NotFound,
    Conflict,
    /// The request was understood but cannot be carried out (e.g. out of stock, declined).
    Unprocessable,
    PaymentRequired,
    RateLimited,
    Unavailable,
    Internal,
}

impl ErrorKind {
    pub const fn grpc_code(self) -> Code {
        match self {
            Self::InvalidArgument => Code::InvalidArgument,
            Self::Unauthenticated => Code::Unauthenticated,
            Self::PermissionDenied => Code::PermissionDenied,
            Self::NotFound => Code::NotFound,
            Self::Conflict => Code::AlreadyExists,
            Self::Unprocessable | Self::PaymentRequired => Code::FailedPrecondition,
            Self::RateLimited => Code::ResourceExhausted,
            Self::Unavailable => Code::Unavailable,
            Self::Internal => Code::Internal,
        }
    }

    /// The kind a bare status (one without shop details) stands for.
    pub const fn from_grpc_code(code: Code) -> Self {
        match code {
            Code::InvalidArgument | Code::OutOfRange => Self::InvalidArgument,
            Code::Unauthenticated => Self::Unauthenticated,
            Code::PermissionDenied => Self::PermissionDenied,
            Code::NotFound => Self::NotFound,
            Code::AlreadyExists | Code::Aborted => Self::Conflict,
            Code::FailedPrecondition => Self::Unprocessable,
            Code::ResourceExhausted => Self::RateLimited,
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => Self::Unavailable,
            _ => Self::Internal,
        }
    }

    pub const fn default_code(self) -> &'static str {
        match self {
            Self::InvalidArgument => "validation_failed",
            Self::Unauthenticated => "unauthorized",
            Self::PermissionDenied => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::Unprocessable => "unprocessable",
            Self::PaymentRequired => "payment_required",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "service_unavailable",
            Self::Internal => "internal_error",
        }
    }
}

pub use shop_types::FieldError;

/// Error codes that one service answers and another acts on: matched as these constants,
/// never as strings written out again.
pub mod code {
    /// Inventory could not reserve every line.
    pub const OUT_OF_STOCK: &str = "out_of_stock";
    /// Inventory released the reservation (it expired or the order was cancelled).
    pub const RESERVATION_RELEASED: &str = "reservation_released";
    /// The payment provider declined the charge.
    pub const PAYMENT_DECLINED: &str = "payment_declined";
    /// A charge's outcome is unknown; the same request may be retried.
    pub const PAYMENT_UNCONFIRMED: &str = "payment_unconfirmed";
}

/// A client-facing error: kind, stable code, safe message, field errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, code: kind.default_code().to_owned(), message: message.into(), fields: Vec::new() }
    }

    pub fn with_code(mut self, code: &str) -> Self {
        self.code = code.to_owned();
        self
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorKind::NotFound, format!("{what} not found"))
    }

    pub fn invalid(fields: Vec<FieldError>) -> Self {
        Self { fields, ..Self::new(ErrorKind::InvalidArgument, "the request has invalid fields") }
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }

    /// Logs the full error chain once and hides it from the client.
    pub fn internal(err: &anyhow::Error) -> Self {
        tracing::error!(error = format!("{err:#}"), "internal error");
        Self::new(ErrorKind::Internal, "an internal error occurred")
    }

    /// Reads a status produced by [`From<ApiError> for Status`], or classifies a bare one.
    pub fn from_status(status: &Status) -> Self {
        if let Ok(err) = serde_json::from_slice::<Self>(status.details()) {
            return err;
        }
        let kind = ErrorKind::from_grpc_code(status.code());
        match kind {
            // Never pass upstream internals on to clients.
            ErrorKind::Internal => Self::new(kind, "an internal error occurred"),
            ErrorKind::Unavailable => Self::new(kind, "a dependency is unavailable"),
            _ => Self::new(kind, status.message()),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// An upstream service's error passes through as what it said (internals stay hidden).
impl From<Status> for ApiError {
    fn from(status: Status) -> Self {
        Self::from_status(&status)
    }
}

impl From<ApiError> for Status {
    fn from(err: ApiError) -> Self {
        let details = serde_json::to_vec(&err).unwrap_or_default();
        Status::with_details(err.kind.grpc_code(), err.message, details.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_error_survives_the_trip_through_a_status() {
        let err = ApiError::invalid_field("id", "must be a UUID").with_code("bad_id");
        let status = Status::from(err.clone());
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(ApiError::from_status(&status), err);
    }

    #[test]
    fn a_bare_internal_status_hides_its_message() {
        let status = Status::internal("db password is hunter2");
        let err = ApiError::from_status(&status);
        assert_eq!(err.kind, ErrorKind::Internal);
        assert!(!err.message.contains("hunter2"));
    }
}
