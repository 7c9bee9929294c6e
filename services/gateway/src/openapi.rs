//! The OpenAPI document: generated from the route annotations, then completed with every
//! error an operation can answer, derived from what the operation takes (a token, a role,
//! parameters, a body) and from the one place errors become statuses ([`status_of`]).
//! Routes document only the errors of their own domain (`409 out_of_stock`, …).

use actix_web::App;
use shop_platform::ErrorKind;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        ContentBuilder, HeaderBuilder, Ref, ResponseBuilder, Type,
        path::{Operation, ParameterIn},
        schema::ObjectBuilder,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};
use utoipa_actix_web::AppExt;

use crate::{
    error::{PAYLOAD_TOO_LARGE, RETRY_UNAVAILABLE_SECS, status_of},
    routes,
};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build();
        api.components.get_or_insert_with(Default::default).add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Shop API",
        description = "The public REST API of the shop platform. Errors are RFC 9457 problem documents with a stable `code`; a 503 carries `Retry-After`. Operations whose bearer requirement names a role (`admin`, `vendor`) answer 403 to other roles."
    ),
    modifiers(&BearerAuth),
    // What a sign-in answers instead of a session when a second factor is needed.
    components(schemas(routes::identity::ChallengeView, routes::external::LinkedView))
)]
pub struct ApiDoc;

/// The OpenAPI document the gateway serves.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = routes::api(App::new().into_utoipa_app().openapi(ApiDoc::openapi())).split_for_parts();
    ErrorResponses.modify(&mut api);
    api
}

/// A failure any operation of some shape can meet, and why.
struct Class {
    kind: ErrorKind,
    /// The status when it is not the kind's own (413 is an invalid request too).
    status: Option<u16>,
    why: &'static str,
}

const fn class(kind: ErrorKind, why: &'static str) -> Class {
    Class { kind, status: None, why }
}

/// The error classes an operation can answer, from its shape.
fn classes(path: &str, op: &Operation) -> Vec<Class> {
    if crate::edge::is_probe(path) {
        return vec![class(ErrorKind::Internal, "an unexpected failure")];
    }
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_path_param =
        params.iter().any(|p| matches!(p, utoipa::openapi::RefOr::T(p) if p.parameter_in == ParameterIn::Path));
    let has_body = op.request_body.is_some();
    // Files (imports) stream through; JSON bodies have a size limit.
    let json_body = op
        .request_body
        .as_ref()
        .is_some_and(|b| matches!(b, utoipa::openapi::RefOr::T(b) if b.content.contains_key("application/json")));
    let roles = required_roles(op);
    let mut out = vec![
        class(
            ErrorKind::Unauthenticated,
            "a missing, malformed or expired bearer token (a token is checked on every route)",
        ),
        class(ErrorKind::RateLimited, "too many requests; see Retry-After"),
        class(ErrorKind::Internal, "an unexpected failure"),
        class(ErrorKind::Unavailable, "a service or backend is unavailable; see Retry-After"),
    ];
    if !params.is_empty() || has_body {
        out.push(class(ErrorKind::InvalidArgument, "a parameter or the body is invalid (`errors` names the fields)"));
    }
    if json_body {
        out.push(Class {
            kind: ErrorKind::InvalidArgument,
            status: Some(413),
            why: "the body exceeds the size limit (1 MiB by default)",
        });
    }
    if !roles.is_empty() {
        out.push(class(ErrorKind::PermissionDenied, "the caller's role or ownership does not allow this"));
    }
    if has_path_param {
        out.push(class(ErrorKind::NotFound, "no such resource, or not one the caller may see"));
    }
    out
}

/// The roles named in the operation's bearer requirement (`security(("bearer" = ["admin"]))`).
fn required_roles(op: &Operation) -> Vec<String> {
    let requirements = op.security.as_deref().unwrap_or_default();
    requirements
        .iter()
        .filter_map(|r| serde_json::to_value(r).ok())
        .filter_map(|v| v.get("bearer").and_then(|s| s.as_array()).cloned())
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// Adds the derived error responses to every operation that does not document them.
struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut api.paths.paths {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in operations.into_iter().flatten() {
                for class in classes(path, op) {
                    let status = class.status.unwrap_or_else(|| status_of(class.kind).as_u16());
                    op.responses.responses.entry(status.to_string()).or_insert_with(|| problem(&class, status).into());
                }
            }
        }
    }
}

fn problem(class: &Class, status: u16) -> utoipa::openapi::Response {
    let code = if status == 413 { PAYLOAD_TOO_LARGE } else { class.kind.default_code() };
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ProblemBody"))).build();
    let mut response = ResponseBuilder::new()
        .description(format!("`{code}`: {}", class.why))
        .content("application/problem+json", content);
    if matches!(status, 429 | 503) {
        let seconds = ObjectBuilder::new().schema_type(Type::Integer).build();
        let description = format!("seconds to wait before retrying ({RETRY_UNAVAILABLE_SECS} for a 503)");
        response = response
            .header("Retry-After", HeaderBuilder::new().schema(Some(seconds)).description(Some(description)).build());
    }
    response.build()
}
