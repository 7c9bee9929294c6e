//! The mail templates (admin): list them, read one with its history, preview it with sample
//! data, save the shop's own version (refused with 400 unless it renders), reset it.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use shop_proto::notification::v1 as pb;
use tonic::Request;
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::Admin,
    error::{Problem, ProblemBody},
    routes::rfc3339,
    state::State,
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LocaleQuery {
    /// A language tag (`en`, `pt-BR`); `en` when not given.
    pub locale: Option<String>,
}

/// A template's three parts: MiniJinja source, the HTML part auto-escaped.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartsBody {
    /// One line; at most 1,000 bytes.
    pub subject: String,
    /// The plain-text part; at most 64 KiB.
    pub text: String,
    /// The HTML part; at most 64 KiB.
    pub html: String,
}

#[derive(Serialize, ToSchema)]
pub struct VersionView {
    pub version: u32,
    /// False for a reset to the shipped template.
    pub custom: bool,
    pub updated_by: String,
    /// RFC 3339.
    pub updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct TemplateView {
    pub name: String,
    pub locale: String,
    pub parts: PartsBody,
    /// Whether the shop's own version is in use (not the shipped one).
    pub custom: bool,
    /// The shop's versions, newest first.
    pub history: Vec<VersionView>,
}

#[derive(Serialize, ToSchema)]
pub struct RenderedView {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl From<pb::Template> for TemplateView {
    fn from(t: pb::Template) -> Self {
        let parts = t.parts.unwrap_or_default();
        Self {
            name: t.name,
            locale: t.locale,
            parts: PartsBody { subject: parts.subject, text: parts.text, html: parts.html },
            custom: t.custom,
            history: t
                .history
                .into_iter()
                .map(|v| VersionView {
                    version: v.version,
                    custom: v.custom,
                    updated_by: v.updated_by,
                    updated_at: rfc3339(v.updated_at),
                })
                .collect(),
        }
    }
}

fn template_ref(name: String, query: LocaleQuery) -> Option<pb::TemplateRef> {
    Some(pb::TemplateRef { name, locale: query.locale.unwrap_or_default() })
}

fn parts(body: PartsBody) -> Option<pb::TemplateParts> {
    Some(pb::TemplateParts { subject: body.subject, text: body.text, html: body.html })
}

/// Every mail template in a locale, and whether the shop changed it (admin).
#[utoipa::path(tag = "admin", params(LocaleQuery), security(("bearer" = ["admin"])), responses(
    (status = 200, body = Vec<TemplateView>),
))]
#[get("/admin/notifications/templates")]
pub async fn list_templates(
    state: web::Data<State>,
    Admin(caller): Admin,
    query: web::Query<LocaleQuery>,
) -> Result<HttpResponse, Problem> {
    let request = pb::ListTemplatesRequest { locale: query.into_inner().locale.unwrap_or_default() };
    let r = state.clients.notification.clone().list_templates(caller.authorize(Request::new(request))).await?;
    let templates: Vec<TemplateView> = r.into_inner().templates.into_iter().map(TemplateView::from).collect();
    Ok(HttpResponse::Ok().json(templates))
}

/// One mail template as it is in use, with the history of the shop's versions (admin).
#[utoipa::path(tag = "admin", params(("name" = String, Path, description = "Template name"), LocaleQuery),
    security(("bearer" = ["admin"])), responses((status = 200, body = TemplateView)))]
#[get("/admin/notifications/templates/{name}")]
pub async fn get_template(
    state: web::Data<State>,
    Admin(caller): Admin,
    name: web::Path<String>,
    query: web::Query<LocaleQuery>,
) -> Result<HttpResponse, Problem> {
    let request = template_ref(name.into_inner(), query.into_inner()).unwrap_or_default();
    let r = state.clients.notification.clone().get_template(caller.authorize(Request::new(request))).await?;
    Ok(HttpResponse::Ok().json(TemplateView::from(r.into_inner())))
}

/// A mail template rendered with sample data (admin): the parts in the body (what an
/// editor holds), or with no body the template in use. 400 names what does not render.
#[utoipa::path(tag = "admin", params(("name" = String, Path, description = "Template name"), LocaleQuery),
    request_body(content = PartsBody, description = "optional"), security(("bearer" = ["admin"])), responses(
        (status = 200, body = RenderedView),
        (status = 400, description = "the template does not render", body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[post("/admin/notifications/templates/{name}/preview")]
pub async fn preview_template(
    state: web::Data<State>,
    Admin(caller): Admin,
    name: web::Path<String>,
    query: web::Query<LocaleQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let given = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let body: PartsBody = serde_json::from_slice(&body).map_err(|e| Problem::invalid("body", e.to_string()))?;
        parts(body)
    };
    let request =
        pb::PreviewTemplateRequest { template: template_ref(name.into_inner(), query.into_inner()), parts: given };
    let r = state.clients.notification.clone().preview_template(caller.authorize(Request::new(request))).await?;
    let r = r.into_inner();
    Ok(HttpResponse::Ok().json(RenderedView { subject: r.subject, text: r.text, html: r.html }))
}

/// Saves the shop's version of a mail template (admin): kept only if it renders with the
/// template's sample data (else 400 naming the error), as a new version in its history.
#[utoipa::path(tag = "admin", params(("name" = String, Path, description = "Template name"), LocaleQuery),
    request_body = PartsBody, security(("bearer" = ["admin"])), responses(
        (status = 200, body = TemplateView),
        (status = 400, description = "the template does not render", body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[put("/admin/notifications/templates/{name}")]
pub async fn update_template(
    state: web::Data<State>,
    Admin(caller): Admin,
    name: web::Path<String>,
    query: web::Query<LocaleQuery>,
    body: web::Json<PartsBody>,
) -> Result<HttpResponse, Problem> {
    let request = pb::UpdateTemplateRequest {
        template: template_ref(name.into_inner(), query.into_inner()),
        parts: parts(body.into_inner()),
    };
    let r = state.clients.notification.clone().update_template(caller.authorize(Request::new(request))).await?;
    Ok(HttpResponse::Ok().json(TemplateView::from(r.into_inner())))
}

/// Puts the shipped mail template back in use (admin); the history keeps the shop's versions.
#[utoipa::path(tag = "admin", params(("name" = String, Path, description = "Template name"), LocaleQuery),
    security(("bearer" = ["admin"])), responses((status = 200, body = TemplateView)))]
#[delete("/admin/notifications/templates/{name}")]
pub async fn reset_template(
    state: web::Data<State>,
    Admin(caller): Admin,
    name: web::Path<String>,
    query: web::Query<LocaleQuery>,
) -> Result<HttpResponse, Problem> {
    let request = template_ref(name.into_inner(), query.into_inner()).unwrap_or_default();
    let r = state.clients.notification.clone().reset_template(caller.authorize(Request::new(request))).await?;
    Ok(HttpResponse::Ok().json(TemplateView::from(r.into_inner())))
}
