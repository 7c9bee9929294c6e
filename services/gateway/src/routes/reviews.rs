//! Product reviews and helpful votes.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use shop_proto::catalog::v1 as pb;
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::Authenticated,
    error::{Problem, ProblemBody},
    routes::{Page, PageQuery, rfc3339},
    state::State,
};

#[derive(Serialize, ToSchema)]
pub struct ReviewView {
    pub id: String,
    pub product_id: String,
    pub user_id: String,
    /// 1 to 5.
    pub rating: u32,
    pub comment: String,
    /// Set by the platform when the reviewer bought the product.
    pub verified_purchase: bool,
    pub helpful_count: u32,
    /// RFC 3339.
    pub created_at: String,
}

impl From<pb::Review> for ReviewView {
    fn from(r: pb::Review) -> Self {
        Self {
            id: r.id,
            product_id: r.product_id,
            user_id: r.user_id,
            rating: r.rating,
            comment: r.comment,
            verified_purchase: r.verified_purchase,
            helpful_count: r.helpful_count,
            created_at: rfc3339(r.created_at),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// 1 to 5 stars.
    pub rating: u32,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReviewParams {
    /// `newest` (default) or `helpful`.
    pub sort: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// The previous page's `next_cursor` (instead of `page`).
    pub cursor: Option<String>,
}

/// A product's reviews, a page at a time.
#[utoipa::path(tag = "catalog", params(("id" = String, Path, description = "Product id"), ReviewParams), responses(
    (status = 200, body = Page<ReviewView>),
    (status = 404, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/products/{id}/reviews")]
pub async fn list_reviews(
    state: web::Data<State>,
    id: web::Path<String>,
    query: web::Query<ReviewParams>,
) -> Result<HttpResponse, Problem> {
    let q = query.into_inner();
    let sort = match q.sort.as_deref().unwrap_or("newest") {
        "newest" => pb::ReviewSort::Newest,
        "helpful" => pb::ReviewSort::Helpful,
        _ => return Err(Problem::invalid("sort", "must be newest or helpful")),
    };
    let page = PageQuery { page: q.page, per_page: q.per_page, cursor: q.cursor }.validate()?;
    let request = pb::ListReviewsRequest { product_id: id.into_inner(), sort: sort.into(), page: Some(page) };
    let found = state.clients.catalog.clone().list_reviews(request).await?.into_inner();
    let info = found.page.unwrap_or_default();
    Ok(HttpResponse::Ok().json(Page::new(found.reviews.into_iter().map(ReviewView::from).collect(), &info)))
}

/// Reviews a product: once per user (a second review is a 409).
#[utoipa::path(tag = "catalog", request_body = ReviewBody, security(("bearer" = [])),
    params(("id" = String, Path, description = "Product id")),
    responses(
        (status = 201, body = ReviewView),
        (status = 400, body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[post("/products/{id}/reviews")]
pub async fn create_review(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    id: web::Path<String>,
    body: web::Json<ReviewBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let message = pb::CreateReviewRequest { product_id: id.into_inner(), rating: b.rating, comment: b.comment };
    let review = state.clients.catalog.clone().create_review(caller.authorize(tonic::Request::new(message))).await?;
    Ok(HttpResponse::Created().json(ReviewView::from(review.into_inner())))
}

/// Marks a review helpful; a user's second vote changes nothing.
#[utoipa::path(tag = "catalog", security(("bearer" = [])),
    params(("id" = String, Path, description = "Review id")),
    responses(
        (status = 200, body = ReviewView),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[post("/reviews/{id}/helpful")]
pub async fn vote_helpful(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let message = pb::VoteReviewHelpfulRequest { review_id: id.into_inner() };
    let review =
        state.clients.catalog.clone().vote_review_helpful(caller.authorize(tonic::Request::new(message))).await?;
    Ok(HttpResponse::Ok().json(ReviewView::from(review.into_inner())))
}
