//! User administration (admins): every account, a page at a time, and changes of role.

use actix_web::{HttpResponse, get, patch, web};
use serde::Deserialize;
use shop_proto::identity::v1 as pb;
use tonic::Request;
use utoipa::ToSchema;

use crate::{
    auth::Admin,
    error::{Problem, ProblemBody},
    routes::{Page, PageQuery, identity::UserView},
    state::State,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolePatch {
    /// `customer`, `vendor` or `admin`.
    pub role: String,
}

/// Every user, a page at a time (admin).
#[utoipa::path(tag = "admin", params(PageQuery), security(("bearer" = ["admin"])), responses(
    (status = 200, body = Page<UserView>),
    (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/admin/users")]
pub async fn list_users(
    state: web::Data<State>,
    Admin(caller): Admin,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, Problem> {
    let page = query.into_inner().validate()?;
    let request = pb::ListUsersRequest { page: Some(page) };
    let r = state.clients.identity.clone().list_users(caller.authorize(Request::new(request))).await?.into_inner();
    let info = r.page.unwrap_or_default();
    Ok(HttpResponse::Ok().json(Page::new(r.users.into_iter().map(UserView::from).collect(), &info)))
}

/// Changes a user's role (admin). Takes effect with the user's next token.
#[utoipa::path(tag = "admin", request_body = RolePatch, security(("bearer" = ["admin"])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, body = UserView),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[patch("/admin/users/{id}")]
pub async fn set_role(
    state: web::Data<State>,
    Admin(caller): Admin,
    id: web::Path<String>,
    body: web::Json<RolePatch>,
) -> Result<HttpResponse, Problem> {
    let role = shop_auth::Role::parse(&body.role).map_err(|e| Problem::invalid("role", e))?;
    let request = pb::SetRoleRequest { user_id: id.into_inner(), role: role.to_proto().into() };
    let user = state.clients.identity.clone().set_role(caller.authorize(Request::new(request))).await?;
    Ok(HttpResponse::Ok().json(UserView::from(user.into_inner())))
}
