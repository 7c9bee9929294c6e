//! Authentication at the edge: the bearer token of every request is verified (EdDSA only,
//! `exp`/`nbf`/`iss`/`aud`, key by `kid` from identity's JWKS); handlers ask for the caller
//! they need with the [`Authenticated`] and [`Admin`] extractors.

use std::future::Ready;

use actix_web::{
    Error, FromRequest, HttpMessage, HttpRequest,
    body::{EitherBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    middleware::Next,
    web,
};
use shop_auth::{Caller, Role, Verifier};
use shop_platform::{ApiError, ErrorKind};

use crate::error::Problem;

fn unauthorized(detail: &str) -> Problem {
    Problem::from(ApiError::new(ErrorKind::Unauthenticated, detail))
}

/// Verifies the bearer token, if any, and records the caller for the handlers. A token
/// that is present but not valid is refused outright, whatever the route.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let header = req.headers().get(actix_web::http::header::AUTHORIZATION).map(|v| v.to_str().map(str::to_owned));
    if let Some(value) = header.filter(|_| !crate::edge::is_probe(req.path())) {
        match caller(&req, value.ok()).await {
            Ok(caller) => {
                tracing::Span::current().record("user_id", caller.user_id.as_str());
                req.extensions_mut().insert(caller);
            }
            Err(problem) => {
                let mut res = req.error_response(problem);
                res.headers_mut().insert(
                    actix_web::http::header::WWW_AUTHENTICATE,
                    actix_web::http::header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
                return Ok(res.map_into_right_body());
            }
        }
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

async fn caller(req: &ServiceRequest, header: Option<String>) -> Result<Caller, Problem> {
    let verifier = req.app_data::<web::Data<Verifier>>().cloned().expect("verifier configured");
    let value = header.ok_or_else(|| unauthorized("malformed authorization header"))?;
    let token = shop_auth::bearer(&value).ok_or_else(|| unauthorized("expected a bearer token"))?;
    let claims = verifier.verify(token).await.map_err(|e| {
        tracing::debug!(reason = %e, "token refused");
        unauthorized("invalid or expired token")
    })?;
    Ok(Caller { user_id: claims.sub, role: claims.role, token: token.to_owned() })
}

/// The signed-in caller; 401 without one.
pub struct Authenticated(pub Caller);

impl FromRequest for Authenticated {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            req.extensions().get::<Caller>().cloned().map(Self).ok_or_else(|| unauthorized("authentication required")),
        )
    }
}

/// A signed-in admin; 401 without a caller, 403 for any other role.
pub struct Admin(pub Caller);

impl FromRequest for Admin {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = req.extensions().get::<Caller>().cloned();
        std::future::ready(match caller {
            None => Err(unauthorized("authentication required")),
            Some(c) if c.role == Role::Admin => Ok(Self(c)),
            Some(_) => Err(Problem::new(ErrorKind::PermissionDenied, "this needs the admin role")),
        })
    }
}
