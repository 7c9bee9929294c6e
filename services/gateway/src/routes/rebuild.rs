//! Rebuilding the shop's figures from the orders (admin): start one, and read how it goes.

use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;
use shop_proto::analytics::v1 as pb;
use tonic::Request;
use utoipa::ToSchema;

use crate::{
    auth::Admin,
    error::{Problem, ProblemBody},
    routes::rfc3339,
    state::State,
};

#[derive(Serialize, ToSchema)]
pub struct RebuildView {
    /// Whether a rebuild ever started; the rest is null until one has.
    pub started: bool,
    pub running: bool,
    /// RFC 3339.
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Orders read back, and the facts (placed, paid, shipped, cancelled, refunded) counted.
    pub orders: i64,
    pub facts: i64,
    pub error: Option<String>,
    pub started_by: Option<String>,
}

impl From<pb::RebuildStatus> for RebuildView {
    fn from(r: pb::RebuildStatus) -> Self {
        let at = |t: Option<shop_proto::Timestamp>| t.is_some().then(|| rfc3339(t));
        Self {
            started: r.started,
            running: r.running,
            started_at: at(r.started_at),
            finished_at: at(r.finished_at),
            orders: r.orders,
            facts: r.facts,
            error: (!r.error.is_empty()).then_some(r.error),
            started_by: (!r.started_by.is_empty()).then_some(r.started_by),
        }
    }
}

/// Rebuilds every figure from the orders order keeps (admin): after a lost database, or to
/// count a new figure for the past. Answers at once (202) with the rebuild's progress; a
/// rebuild already running is answered as it stands. Live events go on being counted,
/// once, meanwhile.
#[utoipa::path(tag = "analytics", security(("bearer" = ["admin"])), responses(
    (status = 202, body = RebuildView),
    (status = 403, body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/admin/analytics/rebuild")]
pub async fn rebuild(state: web::Data<State>, Admin(caller): Admin) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(Request::new(pb::RebuildRequest {}));
    let status = state.clients.analytics.clone().rebuild(request).await?.into_inner();
    Ok(HttpResponse::Accepted().json(RebuildView::from(status)))
}

/// How the last rebuild went, or goes (admin).
#[utoipa::path(tag = "analytics", security(("bearer" = ["admin"])), responses(
    (status = 200, body = RebuildView),
    (status = 403, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/admin/analytics/rebuild")]
pub async fn rebuild_status(state: web::Data<State>, Admin(caller): Admin) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(Request::new(pb::RebuildRequest {}));
    let status = state.clients.analytics.clone().get_rebuild(request).await?.into_inner();
    Ok(HttpResponse::Ok().json(RebuildView::from(status)))
}
