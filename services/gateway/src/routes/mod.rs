//! The REST routes, each documented for the generated OpenAPI document.

pub mod account;
pub mod analytics;
pub mod behaviour;
pub mod cart;
pub mod categories;
pub mod external;
pub mod identity;
pub mod inventory;
pub mod notifications;
pub mod ops;
pub mod orders;
pub mod payments;
pub mod products;
pub mod rebuild;
pub mod reviews;
pub mod search;
pub mod second_factor;
pub mod templates;
pub mod transfer;
pub mod users;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use shop_platform::ErrorKind;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::{UtoipaApp, scope};

use crate::error::Problem;

/// `?page=1&per_page=20` (per_page at most 100), or `?cursor=` from the previous page's
/// `next_cursor`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// The previous page's `next_cursor` (instead of `page`).
    pub cursor: Option<String>,
}

/// The longest cursor a list hands out.
const MAX_CURSOR: usize = 256;

impl PageQuery {
    /// The page asked for, by the one paging rule (explicit zeroes are refused).
    pub fn validate(self) -> Result<shop_proto::common::v1::PageRequest, Problem> {
        for (field, value) in [("page", self.page), ("per_page", self.per_page)] {
            if value == Some(0) {
                return Err(Problem::invalid(field, "must be at least 1"));
            }
        }
        let per_page = self.per_page.unwrap_or_default();
        let paging = match self.cursor {
            Some(_) if self.page.is_some() => {
                return Err(Problem::invalid("cursor", "give page or cursor, not both"));
            }
            Some(cursor) if cursor.len() > MAX_CURSOR => {
                return Err(Problem::invalid("cursor", "is not a cursor this list gave"));
            }
            Some(cursor) => {
                shop_service_kit::Paging::after(&cursor, per_page)?;
                return Ok(shop_proto::common::v1::PageRequest { page: 0, per_page, cursor });
            }
            None => shop_service_kit::Paging::parse(self.page.unwrap_or_default(), per_page)?,
        };
        Ok(paging.to_proto())
    }
}

/// One page of a list.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
    /// Where the next page starts (`?cursor=`); null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, info: &shop_proto::common::v1::PageInfo) -> Self {
        let next_cursor = Some(info.next_cursor.clone()).filter(|c| !c.is_empty());
        Self { items, page: info.page, per_page: info.per_page, total: info.total, next_cursor }
    }
}

/// A gRPC request carrying the caller's token, when there is a caller.
pub fn as_caller<T>(caller: Option<&shop_auth::Caller>, message: T) -> tonic::Request<T> {
    let request = tonic::Request::new(message);
    match caller {
        Some(caller) => caller.authorize(request),
        None => request,
    }
}

/// A protobuf timestamp as RFC 3339 (UTC).
pub fn rfc3339(t: Option<shop_proto::Timestamp>) -> String {
    let t = t.unwrap_or_default();
    time::OffsetDateTime::from_unix_timestamp(t.seconds)
        .map(|d| d + time::Duration::nanoseconds(i64::from(t.nanos)))
        .ok()
        .and_then(|d| d.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

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
    app.service(ops::healthz).service(ops::readyz).service(ops::upstreams).service(identity::jwks).service(
        scope("/api/v1")
            .service(identity::register)
            .service(identity::login)
            .service(second_factor::complete)
            .service(second_factor::enrol_at_sign_in)
            .service(second_factor::begin)
            .service(second_factor::confirm)
            .service(second_factor::disable)
            .service(external::providers)
            .service(external::start)
            .service(external::callback)
            .service(external::callback_form)
            .service(external::list)
            .service(external::link)
            .service(external::unlink)
            .service(identity::refresh)
            .service(identity::logout)
            .service(identity::me)
            .service(identity::update_me)
            .service(identity::change_password)
            .service(account::verify_email)
            .service(account::resend_verification)
            .service(account::request_password_reset)
            .service(account::confirm_password_reset)
            .service(account::request_email_change)
            .service(account::confirm_email_change)
            .service(users::list_users)
            .service(users::set_role)
            .service(search::search_products)
            .service(search::suggest_products)
            .service(transfer::import_products)
            .service(transfer::export_products)
            .service(transfer::import_stock)
            .service(products::create_product)
            .service(products::get_product)
            .service(products::update_product)
            .service(products::delete_product)
            .service(categories::list_categories)
            .service(categories::create_category)
            .service(categories::update_category)
            .service(categories::delete_category)
            .service(reviews::list_reviews)
            .service(reviews::create_review)
            .service(reviews::vote_helpful)
            .service(inventory::get_stock)
            .service(inventory::set_stock)
            .service(inventory::alerts)
            .service(inventory::ledger)
            .service(payments::webhook)
            .service(cart::get_cart)
            .service(cart::add_item)
            .service(cart::update_item)
            .service(cart::remove_item)
            .service(orders::place_order)
            .service(orders::my_orders)
            .service(orders::get_order)
            .service(orders::cancel_order)
            .service(orders::all_orders)
            .service(orders::ship_order)
            .service(orders::refund_order)
            .service(notifications::list_messages)
            .service(notifications::resend)
            .service(notifications::mailbox)
            .service(notifications::get_preferences)
            .service(notifications::update_preferences)
            .service(templates::list_templates)
            .service(templates::get_template)
            .service(templates::preview_template)
            .service(templates::update_template)
            .service(templates::reset_template)
            .service(analytics::summary)
            .service(analytics::series)
            .service(analytics::top_products)
            .service(analytics::top_categories)
            .service(analytics::customers)
            .service(analytics::export_orders)
            .service(behaviour::track)
            .service(behaviour::funnel)
            .service(behaviour::searches)
            .service(rebuild::rebuild)
            .service(rebuild::rebuild_status),
    )
}

/// Answer for paths no route matches.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, Problem> {
    Err(Problem::new(ErrorKind::NotFound, format!("no route for {} {}", req.method(), req.path())))
}

/// Turns body/path/query extraction failures into problem documents.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(move |err, _| {
        use actix_web::error::JsonPayloadError;
        let problem = match &err {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
                Problem::too_large(limit)
            }
            JsonPayloadError::ContentType => Problem::new(ErrorKind::InvalidArgument, "expected application/json"),
            _ => Problem::invalid("body", err.to_string()),
        };
        problem.into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _| Problem::invalid("path", err.to_string()).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| Problem::invalid("query", err.to_string()).into())
}
