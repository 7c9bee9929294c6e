//! The shop's figures for its staff: a summary with the period before it, a series, the top
//! products and categories, and the customers. An admin reads the shop's figures, or a
//! vendor's with `vendor_id`; a vendor reads its own; a customer gets 403. Days are the
//! shop's (`SHOP_TIME_ZONE`), money is in minor units per currency.

use actix_web::{HttpResponse, get, web};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use shop_proto::analytics::v1 as pb;
use tonic::Request;
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::Authenticated,
    error::{Problem, ProblemBody},
    state::State,
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today). At most 731 days in all.
    pub to: Option<String>,
    /// Admins: a vendor's figures instead of the shop's. Vendors always get their own.
    pub vendor_id: Option<String>,
    /// Series: `day` (default), `week` (from Monday) or `month`.
    pub interval: Option<String>,
    /// Top lists: `revenue` (net, the default) or `units`.
    pub by: Option<String>,
    /// Top lists: entries per currency, 1 to 100 (default 10).
    pub limit: Option<u32>,
}

impl RangeQuery {
    pub fn range(&self) -> pb::ReportRequest {
        pb::ReportRequest {
            from: self.from.clone().unwrap_or_default(),
            to: self.to.clone().unwrap_or_default(),
            vendor_id: self.vendor_id.clone().unwrap_or_default(),
        }
    }

    fn top(&self) -> Result<pb::TopRequest, Problem> {
        let by = match self.by.as_deref() {
            None | Some("revenue") => pb::RankBy::Revenue,
            Some("units") => pb::RankBy::Units,
            Some(_) => return Err(Problem::invalid("by", "revenue or units")),
        };
        if self.limit == Some(0) {
            return Err(Problem::invalid("limit", "1 to 100"));
        }
        Ok(pb::TopRequest { range: Some(self.range()), by: by.into(), limit: self.limit.unwrap_or_default() })
    }
}

/// Figures of one currency, in its minor units.
#[derive(Serialize, ToSchema)]
pub struct FiguresView {
    pub currency: String,
    /// Orders paid, their units, and what they came to.
    pub orders: i64,
    pub units: i64,
    pub gross: i64,
    /// Money given back, dated the day it was: refunds, and paid orders cancelled.
    pub refunded_orders: i64,
    pub refunds: i64,
    pub cancelled_orders: i64,
    pub cancellations: i64,
    /// `gross - refunds - cancellations`.
    pub net: i64,
    /// `gross / orders`.
    pub average_order_value: i64,
    /// Checkouts placed, and those that did not go through (declined, out of stock).
    pub placed: i64,
    pub failed: i64,
    pub shipped: i64,
}

impl From<pb::Figures> for FiguresView {
    fn from(f: pb::Figures) -> Self {
        Self {
            currency: f.currency,
            orders: f.orders,
            units: f.units,
            gross: f.gross,
            refunded_orders: f.refunded_orders,
            refunds: f.refunds,
            cancelled_orders: f.cancelled_orders,
            cancellations: f.cancellations,
            net: f.net,
            average_order_value: f.average_order_value,
            placed: f.placed,
            failed: f.failed,
            shipped: f.shipped,
        }
    }
}

/// Change from the previous period, in percent (one decimal); null when it had none.
#[derive(Serialize, ToSchema)]
pub struct ChangeView {
    pub orders: Option<f64>,
    pub units: Option<f64>,
    pub gross: Option<f64>,
    pub net: Option<f64>,
    pub average_order_value: Option<f64>,
}

fn percent(now: i64, before: i64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)] // money in minor units: far below 2^52
    (before != 0).then(|| ((now - before) as f64 / before.abs() as f64 * 1000.0).round() / 10.0)
}

#[derive(Serialize, ToSchema)]
pub struct CurrencySummary {
    pub currency: String,
    pub current: FiguresView,
    pub previous: FiguresView,
    pub change: ChangeView,
}

#[derive(Serialize, ToSchema)]
pub struct ActivityView {
    pub signups: i64,
    pub stock_low_alerts: i64,
    pub new_customers: i64,
    pub returning_customers: i64,
}

impl From<Option<pb::Activity>> for ActivityView {
    fn from(a: Option<pb::Activity>) -> Self {
        let a = a.unwrap_or_default();
        Self {
            signups: a.signups,
            stock_low_alerts: a.stock_low_alerts,
            new_customers: a.new_customers,
            returning_customers: a.returning_customers,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SummaryView {
    pub from: String,
    pub to: String,
    /// The period of as many days just before.
    pub previous_from: String,
    pub previous_to: String,
    /// One entry per currency sold in either period.
    pub currencies: Vec<CurrencySummary>,
    pub activity: ActivityView,
    pub previous_activity: ActivityView,
}

fn summarize(s: pb::SummaryResponse) -> SummaryView {
    let mut currencies: Vec<String> = s.current.iter().chain(&s.previous).map(|f| f.currency.clone()).collect();
    currencies.sort();
    currencies.dedup();
    let of = |list: &[pb::Figures], c: &str| {
        list.iter()
            .find(|f| f.currency == c)
            .cloned()
            .unwrap_or(pb::Figures { currency: c.to_owned(), ..Default::default() })
    };
    let currencies = currencies
        .into_iter()
        .map(|c| {
            let (now, before) = (of(&s.current, &c), of(&s.previous, &c));
            let change = ChangeView {
                orders: percent(now.orders, before.orders),
                units: percent(now.units, before.units),
                gross: percent(now.gross, before.gross),
                net: percent(now.net, before.net),
                average_order_value: percent(now.average_order_value, before.average_order_value),
            };
            CurrencySummary { currency: c, current: now.into(), previous: before.into(), change }
        })
        .collect();
    SummaryView {
        from: s.from,
        to: s.to,
        previous_from: s.previous_from,
        previous_to: s.previous_to,
        currencies,
        activity: s.current_activity.into(),
        previous_activity: s.previous_activity.into(),
    }
}

/// Totals of a range per currency, with the period of as many days before it and the
/// change from it.
#[utoipa::path(tag = "analytics", params(RangeQuery), security(("bearer" = ["admin", "vendor"])), responses(
    (status = 200, body = SummaryView),
    (status = 400, description = "a bad date or range", body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, description = "a customer", body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/admin/analytics/summary")]
pub async fn summary(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(Request::new(query.range()));
    let s = state.clients.analytics.clone().summary(request).await?.into_inner();
    Ok(HttpResponse::Ok().json(summarize(s)))
}

#[derive(Serialize, ToSchema)]
pub struct PointView {
    /// The period's first day within the range (weeks start on Monday).
    pub start: String,
    pub figures: Vec<FiguresView>,
}

#[derive(Serialize, ToSchema)]
pub struct SeriesView {
    pub interval: String,
    /// Every period of the range, oldest first; one without sales has no figures.
    pub points: Vec<PointView>,
}

/// Totals per day, week or month of a range.
#[utoipa::path(tag = "analytics", params(RangeQuery), security(("bearer" = ["admin", "vendor"])), responses(
    (status = 200, body = SeriesView),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/admin/analytics/series")]
pub async fn series(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, Problem> {
    let interval = match query.interval.as_deref() {
        None | Some("day") => pb::Interval::Day,
        Some("week") => pb::Interval::Week,
        Some("month") => pb::Interval::Month,
        Some(_) => return Err(Problem::invalid("interval", "day, week or month")),
    };
    let request = pb::SeriesRequest { range: Some(query.range()), interval: interval.into() };
    let s = state.clients.analytics.clone().series(caller.authorize(Request::new(request))).await?.into_inner();
    let points = s
        .points
        .into_iter()
        .map(|p| PointView { start: p.start, figures: p.figures.into_iter().map(FiguresView::from).collect() })
        .collect();
    let interval = interval.as_str_name().trim_start_matches("INTERVAL_").to_lowercase();
    Ok(HttpResponse::Ok().json(SeriesView { interval, points }))
}

#[derive(Serialize, ToSchema)]
pub struct RankedView {
    pub id: String,
    pub name: String,
    /// A product's vendor (empty for a category).
    pub vendor_id: String,
    #[serde(flatten)]
    pub figures: FiguresView,
}

#[derive(Serialize, ToSchema)]
pub struct TopView {
    /// Best first within each currency.
    pub items: Vec<RankedView>,
}

fn ranked(r: pb::TopResponse) -> TopView {
    let items = r
        .items
        .into_iter()
        .map(|i| RankedView {
            id: i.id,
            name: i.name,
            vendor_id: i.vendor_id,
            figures: i.figures.unwrap_or_default().into(),
        })
        .collect();
    TopView { items }
}

/// The products that sold most in a range (the shop's, or a vendor's own), by net revenue
/// or by units, per currency.
#[utoipa::path(tag = "analytics", params(RangeQuery), security(("bearer" = ["admin", "vendor"])), responses(
    (status = 200, body = TopView),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/admin/analytics/top-products")]
pub async fn top_products(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(Request::new(query.top()?));
    Ok(HttpResponse::Ok().json(ranked(state.clients.analytics.clone().top_products(request).await?.into_inner())))
}

/// The categories that sold most in a range — a category counts what its sub-categories
/// sold — by net revenue or by units, per currency.
#[utoipa::path(tag = "analytics", params(RangeQuery), security(("bearer" = ["admin", "vendor"])), responses(
    (status = 200, body = TopView),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/admin/analytics/top-categories")]
pub async fn top_categories(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(Request::new(query.top()?));
    Ok(HttpResponse::Ok().json(ranked(state.clients.analytics.clone().top_categories(request).await?.into_inner())))
}

#[derive(Serialize, ToSchema)]
pub struct CustomersView {
    /// Customers whose first paid order was in the range.
    pub new_customers: i64,
    /// Days on which a customer who had ordered before ordered again.
    pub returning_customers: i64,
    /// Customers with a paid order by the end of the range, and with two or more.
    pub customers: i64,
    pub repeat_customers: i64,
    /// `repeat_customers / customers`, in percent (two decimals).
    pub repeat_rate: f64,
    pub previous_new_customers: i64,
    pub previous_returning_customers: i64,
}

/// New and returning customers of a range, and the repeat rate at its end.
#[utoipa::path(tag = "analytics", params(RangeQuery), security(("bearer" = ["admin", "vendor"])), responses(
    (status = 200, body = CustomersView),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/admin/analytics/customers")]
pub async fn customers(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(Request::new(query.range()));
    let c = state.clients.analytics.clone().customers(request).await?.into_inner();
    #[allow(clippy::cast_precision_loss)] // basis points: small
    let repeat_rate = c.repeat_rate_bp as f64 / 100.0;
    Ok(HttpResponse::Ok().json(CustomersView {
        new_customers: c.new_customers,
        returning_customers: c.returning_customers,
        customers: c.customers,
        repeat_customers: c.repeat_customers,
        repeat_rate,
        previous_new_customers: c.previous_new_customers,
        previous_returning_customers: c.previous_returning_customers,
    }))
}

/// The orders placed in a range (days of the shop's time zone) as CSV, streamed: one row
/// per order — id, placed, status, customer id, currency, units, total (minor units) and
/// when it was paid, shipped, cancelled, refunded (RFC 3339, UTC). A vendor's rows hold its
/// own lines only (orders without any are left out); a customer gets 403.
#[utoipa::path(tag = "analytics", params(RangeQuery), security(("bearer" = ["admin", "vendor"])), responses(
    (status = 200, content_type = "text/csv", description = "the orders, a header row first"),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/admin/analytics/orders.csv")]
pub async fn export_orders(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(Request::new(query.range()));
    let chunks = state.clients.analytics.clone().export_orders(request).await?.into_inner();
    // A failure mid-way breaks the response off (the file is visibly incomplete).
    let body = chunks.map(|chunk| match chunk {
        Ok(chunk) => Ok(actix_web::web::Bytes::from(chunk.data)),
        Err(status) => {
            tracing::warn!(code = ?status.code(), message = status.message(), "an export broke off");
            Err(actix_web::error::ErrorServiceUnavailable("the export broke off"))
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((actix_web::http::header::CONTENT_DISPOSITION, "attachment; filename=\"orders.csv\""))
        .streaming(body))
}
