//! The REST routes, each documented for the generated OpenAPI document.

pub mod ops;
pub mod products;

use actix_web::{HttpRequest, HttpResponse, web};
use shop_platform::ErrorKind;
use utoipa_actix_web::{UtoipaApp, scope};

use crate::error::Problem;

/// Registers the documented API routes.
pub fn api<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: actix_web::dev::ServiceFactory<
            actix_web::dev::ServiceRequest,
            Config = (),
            Error = actix_web::Error,
            InitError = (),
        >,
{
    app.service(ops::healthz)
        .service(ops::readyz)
        .service(scope("/api/v1").service(products::get_product))
}

/// Answer for paths no route matches.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, Problem> {
    Err(Problem::new(
        ErrorKind::NotFound,
        format!("no route for {} {}", req.method(), req.path()),
    ))
}

/// Turns body/path/query extraction failures into problem documents.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, _| {
            use actix_web::error::JsonPayloadError;
            let problem = match &err {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => Problem::too_large(limit),
                JsonPayloadError::ContentType => {
                    Problem::new(ErrorKind::InvalidArgument, "expected application/json")
                }
                _ => Problem::invalid("body", err.to_string()),
            };
            problem.into()
        })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err, _| Problem::invalid("path", err.to_string()).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|err, _| Problem::invalid("query", err.to_string()).into())
}
