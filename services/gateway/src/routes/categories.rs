//! The category tree and its administration.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use shop_proto::catalog::v1 as pb;
use utoipa::ToSchema;

use crate::{
    auth::{Admin, Authenticated},
    error::{Problem, ProblemBody},
    routes::as_caller,
    state::State,
};

#[derive(Serialize, ToSchema)]
pub struct CategoryView {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub parent_id: Option<String>,
    pub image: Option<String>,
    pub active: bool,
    #[schema(no_recursion)]
    pub children: Vec<CategoryView>,
}

impl From<pb::Category> for CategoryView {
    fn from(c: pb::Category) -> Self {
        Self {
            id: c.id,
            name: c.name,
            slug: c.slug,
            description: c.description,
            parent_id: Some(c.parent_id).filter(|p| !p.is_empty()),
            image: Some(c.image).filter(|i| !i.is_empty()),
            active: c.active,
            children: c.children.into_iter().map(Self::from).collect(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryBody {
    pub name: Option<String>,
    /// 1-64 of a-z, 0-9 and inner hyphens; unique.
    pub slug: Option<String>,
    pub description: Option<String>,
    /// Empty or absent: a top-level category.
    pub parent_id: Option<String>,
    pub image: Option<String>,
    pub active: Option<bool>,
}

impl CategoryBody {
    fn into_input(self) -> (pb::Category, Vec<String>) {
        let mask = [
            ("name", self.name.is_some()),
            ("slug", self.slug.is_some()),
            ("description", self.description.is_some()),
            ("parent_id", self.parent_id.is_some()),
            ("image", self.image.is_some()),
            ("active", self.active.is_some()),
        ]
        .into_iter()
        .filter(|(_, here)| *here)
        .map(|(name, _)| name.to_owned())
        .collect();
        let input = pb::Category {
            name: self.name.unwrap_or_default(),
            slug: self.slug.unwrap_or_default(),
            description: self.description.unwrap_or_default(),
            parent_id: self.parent_id.unwrap_or_default(),
            image: self.image.unwrap_or_default(),
            active: self.active.unwrap_or(true),
            ..pb::Category::default()
        };
        (input, mask)
    }
}

/// The category tree (admins also see inactive categories).
#[utoipa::path(tag = "catalog", responses((status = 200, body = Vec<CategoryView>)))]
#[get("/categories")]
pub async fn list_categories(state: web::Data<State>, caller: Option<Authenticated>) -> Result<HttpResponse, Problem> {
    let request = as_caller(caller.as_ref().map(|c| &c.0), pb::ListCategoriesRequest {});
    let roots = state.clients.catalog.clone().list_categories(request).await?.into_inner().roots;
    Ok(HttpResponse::Ok().json(roots.into_iter().map(CategoryView::from).collect::<Vec<_>>()))
}

/// Creates a category (admin).
#[utoipa::path(tag = "admin", request_body = CategoryBody, security(("bearer" = ["admin"])), responses(
    (status = 201, body = CategoryView),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, body = ProblemBody, content_type = "application/problem+json"),
    (status = 409, description = "slug taken", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/categories")]
pub async fn create_category(
    state: web::Data<State>,
    Admin(caller): Admin,
    body: web::Json<CategoryBody>,
) -> Result<HttpResponse, Problem> {
    let (input, _) = body.into_inner().into_input();
    let request = caller.authorize(tonic::Request::new(pb::CreateCategoryRequest { category: Some(input) }));
    let category = state.clients.catalog.clone().create_category(request).await?.into_inner();
    Ok(HttpResponse::Created().json(CategoryView::from(category)))
}

/// Changes a category (admin); it cannot be moved below itself.
#[utoipa::path(tag = "admin", request_body = CategoryBody, security(("bearer" = ["admin"])),
    params(("id" = String, Path, description = "Category id")),
    responses(
        (status = 200, body = CategoryView),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[patch("/categories/{id}")]
pub async fn update_category(
    state: web::Data<State>,
    Admin(caller): Admin,
    id: web::Path<String>,
    body: web::Json<CategoryBody>,
) -> Result<HttpResponse, Problem> {
    let (input, mask) = body.into_inner().into_input();
    if mask.is_empty() {
        return Err(Problem::invalid("body", "nothing to change"));
    }
    let message = pb::UpdateCategoryRequest { id: id.into_inner(), category: Some(input), update_mask: mask };
    let category =
        state.clients.catalog.clone().update_category(caller.authorize(tonic::Request::new(message))).await?;
    Ok(HttpResponse::Ok().json(CategoryView::from(category.into_inner())))
}

/// Deletes an empty category (admin); one with products or sub-categories is a 409.
#[utoipa::path(tag = "admin", security(("bearer" = ["admin"])),
    params(("id" = String, Path, description = "Category id")),
    responses(
        (status = 204),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[delete("/categories/{id}")]
pub async fn delete_category(
    state: web::Data<State>,
    Admin(caller): Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(tonic::Request::new(pb::DeleteCategoryRequest { id: id.into_inner() }));
    state.clients.catalog.clone().delete_category(request).await?;
    Ok(HttpResponse::NoContent().finish())
}
