//! RFC 9457 problem documents: the one place an [`ApiError`] becomes an HTTP response.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde::Serialize;
use shop_platform::{ApiError, ErrorKind, FieldError};

/// The code of a body over the size limit (413).
pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";

/// Seconds a client is told to wait before retrying a 503.
pub const RETRY_UNAVAILABLE_SECS: u64 = 1;

/// An error answered as `application/problem+json`.
#[derive(Debug)]
pub struct Problem {
    pub error: ApiError,
    status: StatusCode,
    /// Seconds to wait before trying again (a 429's `Retry-After`).
    retry_after: Option<u64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemBody {
    /// A URI reference naming the problem type (`/problems/<code>`).
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `not_found`, `validation_failed`.
    pub code: String,
    /// The offending fields of a `validation_failed` problem.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldErrorBody>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Self::from(ApiError::new(kind, detail))
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::from(ApiError::invalid_field(field, message))
    }

    /// The problem document of this problem.
    pub fn body(&self) -> ProblemBody {
        body(&self.error, self.status)
    }

    /// A body over the size limit.
    pub fn too_large(limit: usize) -> Self {
        let error = ApiError::new(ErrorKind::InvalidArgument, format!("the request body exceeds {limit} bytes"))
            .with_code(PAYLOAD_TOO_LARGE);
        Self { error, status: StatusCode::PAYLOAD_TOO_LARGE, retry_after: None }
    }

    /// Too many requests: try again in `wait` (rounded up to whole seconds, at least one).
    pub fn rate_limited(wait: std::time::Duration) -> Self {
        let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let error = ApiError::new(ErrorKind::RateLimited, format!("too many requests; retry in {seconds} s"))
            .with_code("rate_limited");
        Self { retry_after: Some(seconds), ..Self::from(error) }
    }

    /// The problem for a status the web framework itself answered (a body over a limit, a
    /// method not allowed): the same shape as every other error.
    pub fn for_status(status: StatusCode) -> Self {
        let kind = match status.as_u16() {
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::PermissionDenied,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            422 => ErrorKind::Unprocessable,
            429 => ErrorKind::RateLimited,
            503 => ErrorKind::Unavailable,
            500..=599 => ErrorKind::Internal,
            _ => ErrorKind::InvalidArgument,
        };
        let code = match status.as_u16() {
            405 => "method_not_allowed",
            413 => PAYLOAD_TOO_LARGE,
            415 => "unsupported_media_type",
            _ => kind.default_code(),
        };
        let detail = status.canonical_reason().unwrap_or("error").to_lowercase();
        Self { error: ApiError::new(kind, detail).with_code(code), status, retry_after: None }
    }
}

impl From<ApiError> for Problem {
    fn from(error: ApiError) -> Self {
        let status = status_of(error.kind);
        Self { error, status, retry_after: None }
    }
}

impl From<tonic::Status> for Problem {
    fn from(status: tonic::Status) -> Self {
        let err = ApiError::from_status(&status);
        if matches!(err.kind, ErrorKind::Internal | ErrorKind::Unavailable) {
            tracing::error!(grpc_code = ?status.code(), message = status.message(), "upstream call failed");
        }
        Self::from(err)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

pub const fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::InvalidArgument => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::PermissionDenied => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::PaymentRequired => StatusCode::PAYMENT_REQUIRED,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The problem body for `status` (a status the gateway itself decided, e.g. 404 route).
pub fn body(err: &ApiError, status: StatusCode) -> ProblemBody {
    ProblemBody {
        problem_type: format!("/problems/{}", err.code),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: err.message.clone(),
        code: err.code.clone(),
        errors: err
            .fields
            .iter()
            .map(|FieldError { field, message }| FieldErrorBody { field: field.clone(), message: message.clone() })
            .collect(),
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after {
            res.insert_header((actix_web::http::header::RETRY_AFTER, seconds));
        } else if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // A dependency is away; clients and proxies may try again shortly.
            res.insert_header((actix_web::http::header::RETRY_AFTER, RETRY_UNAVAILABLE_SECS));
        }
        res.content_type("application/problem+json").json(body(&self.error, self.status))
    }
}
