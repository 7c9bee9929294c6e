//! Analytics' gRPC face, through the gateway: the reports. An admin reads the shop's
//! figures or any vendor's; a vendor reads its own, whatever it names; a customer none.

use std::{collections::BTreeMap, sync::Arc};

use shop_auth::{Caller, Role, Verifier};
use shop_platform::now_ms;
use shop_proto::{
    analytics::v1::{self as pb, analytics_service_server::AnalyticsService},
    timestamp_ms,
};
use shop_service_kit::{
    Refusal,
    auth::Authenticator,
    policy::{GATEWAY, Policy},
};
use tokio_stream::{StreamExt, wrappers::ReceiverStream};
use tonic::{Request, Response, Status, codegen::BoxStream};
use tracing::Instrument;

use crate::{
    behaviour::{self, Raw},
    domain::{Activity, Counters, Day, Dim, Rebuild},
    export,
    ingest::Ingest,
    rebuild::{Rebuilder, running},
    reports::{Funnel, Interval, Range, RankBy, Ranked, Reports, Scope},
    storage::Searched,
};

/// Who may call each RPC (see `shop_service_kit::policy`).
pub const POLICY: Policy = Policy {
    service: pb::analytics_service_server::SERVICE_NAME,
    callee: crate::SERVICE,
    rules: &[
        ("Summary", GATEWAY),
        ("Series", GATEWAY),
        ("TopProducts", GATEWAY),
        ("TopCategories", GATEWAY),
        ("Customers", GATEWAY),
        ("Rebuild", GATEWAY),
        ("GetRebuild", GATEWAY),
        ("Track", GATEWAY),
        ("Funnel", GATEWAY),
        ("Searches", GATEWAY),
        ("ExportOrders", GATEWAY),
    ],
};

/// The days a report covers when it names no range: the last 30, today included.
const DEFAULT_DAYS: i32 = 30;

pub struct AnalyticsGrpc {
    auth: Authenticator,
    /// The shop's calendar, and where what visitors do is counted.
    ingest: Arc<Ingest>,
    reports: Arc<Reports>,
    /// Names of categories, by id (from catalog).
    categories: Arc<dyn CategoryNames>,
    rebuilder: Arc<Rebuilder>,
}

/// Names categories for top lists.
#[tonic::async_trait]
pub trait CategoryNames: Send + Sync + 'static {
    /// Names of categories by id as `caller` may see them, `ids` among them if they exist.
    async fn names(&self, ids: &[String], caller: &Caller) -> anyhow::Result<BTreeMap<String, String>>;
}

impl AnalyticsGrpc {
    pub fn new(
        verifier: Arc<Verifier>,
        reports: Arc<Reports>,
        categories: Arc<dyn CategoryNames>,
        rebuilder: Arc<Rebuilder>,
        ingest: Arc<Ingest>,
    ) -> Self {
        Self { auth: Authenticator::new(verifier), ingest, reports, categories, rebuilder }
    }

    pub fn server(self) -> pb::analytics_service_server::AnalyticsServiceServer<Self> {
        pb::analytics_service_server::AnalyticsServiceServer::new(self)
    }

    /// The range and scope a request may read.
    async fn scope<T>(
        &self,
        req: &Request<T>,
        range: Option<&pb::ReportRequest>,
    ) -> Result<(Caller, Scope, Range), Status> {
        let caller = self.auth.user(req).await?;
        let r = range.cloned().unwrap_or_default();
        let scope = match caller.role {
            Role::Admin if r.vendor_id.is_empty() => Scope::Shop,
            Role::Admin => Scope::Vendor(r.vendor_id.clone()),
            Role::Vendor => Scope::Vendor(caller.user_id.clone()),
            Role::Customer => return Err(Refusal::Forbidden.into()),
        };
        if r.vendor_id.len() > 64 {
            return Err(Refusal::invalid("vendor_id", "is not an id").into());
        }
        let day = |field: &str, value: &str, otherwise: Day| match value {
            "" => Ok(otherwise),
            value => Day::parse(value).ok_or_else(|| Refusal::invalid(field, "must be a date, YYYY-MM-DD")),
        };
        let to = day("to", &r.to, self.ingest.calendar.today())?;
        let from = day("from", &r.from, to.plus(-(DEFAULT_DAYS - 1)))?;
        let range = Range::new(from, to).map_err(|why| Refusal::invalid("to", why))?;
        Ok((caller, scope, range))
    }
}

fn figures(currency: &str, c: &Counters) -> pb::Figures {
    pb::Figures {
        currency: currency.to_owned(),
        orders: c.orders,
        units: c.units,
        gross: c.gross,
        refunded_orders: c.refunded_orders,
        refunds: c.refunds,
        cancelled_orders: c.cancelled_orders,
        cancellations: c.cancellations,
        net: c.net(),
        average_order_value: c.aov(),
        placed: c.placed,
        failed: c.failed,
        shipped: c.shipped,
    }
}

fn all(sums: &BTreeMap<String, Counters>) -> Vec<pb::Figures> {
    sums.iter().map(|(currency, c)| figures(currency, c)).collect()
}

fn activity(a: &Activity) -> pb::Activity {
    pb::Activity {
        signups: a.signups,
        stock_low_alerts: a.stock_low,
        new_customers: a.new_customers,
        returning_customers: a.returning_customers,
    }
}

fn rebuild_status(r: Option<Rebuild>) -> pb::RebuildStatus {
    let Some(r) = r else { return pb::RebuildStatus::default() };
    pb::RebuildStatus {
        started: true,
        running: running(&r, now_ms()),
        started_at: Some(timestamp_ms(r.started_at)),
        finished_at: r.finished_at.map(timestamp_ms),
        orders: r.orders,
        facts: r.facts,
        error: r.error.unwrap_or_default(),
        started_by: r.started_by,
    }
}

fn steps(f: &Funnel) -> pb::FunnelSteps {
    pb::FunnelSteps {
        visitors: f.visitors,
        product_views: f.product_views,
        added_to_cart: f.added_to_cart,
        checkouts_started: f.checkouts_started,
        orders_paid: f.orders_paid,
    }
}

fn terms(found: Vec<Searched>) -> Vec<pb::SearchTerm> {
    found.into_iter().map(|s| pb::SearchTerm { query: s.query, searches: s.times, without_results: s.empty }).collect()
}

fn unexpected(err: anyhow::Error) -> Status {
    shop_service_kit::unexpected(err).into()
}

/// Most entries per currency in a top list.
const MAX_LIMIT: u32 = 100;

impl AnalyticsGrpc {
    async fn top(&self, req: Request<pb::TopRequest>, dim: Dim) -> Result<Response<pb::TopResponse>, Status> {
        let (caller, scope, range) = self.scope(&req, req.get_ref().range.as_ref()).await?;
        let r = req.into_inner();
        let by = match pb::RankBy::try_from(r.by).unwrap_or_default() {
            pb::RankBy::Unspecified | pb::RankBy::Revenue => RankBy::Revenue,
            pb::RankBy::Units => RankBy::Units,
        };
        if r.limit > MAX_LIMIT {
            return Err(Refusal::invalid("limit", format!("at most {MAX_LIMIT}")).into());
        }
        let limit = if r.limit == 0 { 10 } else { r.limit as usize };
        let ranked = self.reports.top(&scope, dim, range, by, limit).await.map_err(unexpected)?;
        let items = match dim {
            Dim::Product => self.name_products(ranked).await?,
            _ => {
                let ids: Vec<String> = ranked.iter().map(|r| r.id.clone()).collect();
                let names = self.categories.names(&ids, &caller).await.unwrap_or_else(|err| {
                    tracing::warn!(error = format!("{err:#}"), "category names unavailable");
                    BTreeMap::new()
                });
                ranked
                    .into_iter()
                    .map(|r| pb::Ranked {
                        name: names.get(&r.id).cloned().unwrap_or_default(),
                        figures: Some(figures(&r.currency, &r.counters)),
                        vendor_id: String::new(),
                        id: r.id,
                    })
                    .collect()
            }
        };
        Ok(Response::new(pb::TopResponse { items }))
    }

    async fn name_products(&self, ranked: Vec<Ranked>) -> Result<Vec<pb::Ranked>, Status> {
        let ids: Vec<String> = ranked.iter().map(|r| r.id.clone()).collect();
        let known = self.reports.store.products(&ids).await.map_err(unexpected)?;
        let known: BTreeMap<&str, _> = known.iter().map(|p| (p.id.as_str(), p)).collect();
        Ok(ranked
            .into_iter()
            .map(|r| {
                let product = known.get(r.id.as_str());
                pb::Ranked {
                    name: product.map(|p| p.name.clone()).unwrap_or_default(),
                    vendor_id: product.map(|p| p.vendor_id.clone()).unwrap_or_default(),
                    figures: Some(figures(&r.currency, &r.counters)),
                    id: r.id,
                }
            })
            .collect())
    }
}

#[tonic::async_trait]
impl AnalyticsService for AnalyticsGrpc {
    #[tracing::instrument(skip_all)]
    async fn summary(&self, req: Request<pb::ReportRequest>) -> Result<Response<pb::SummaryResponse>, Status> {
        let (_, scope, range) = self.scope(&req, Some(req.get_ref())).await?;
        let s = self.reports.summary(&scope, range).await.map_err(unexpected)?;
        let before = range.previous();
        Ok(Response::new(pb::SummaryResponse {
            from: range.from.to_string(),
            to: range.to.to_string(),
            current: all(&s.current),
            previous_from: before.from.to_string(),
            previous_to: before.to.to_string(),
            previous: all(&s.previous),
            current_activity: Some(activity(&s.current_activity)),
            previous_activity: Some(activity(&s.previous_activity)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn series(&self, req: Request<pb::SeriesRequest>) -> Result<Response<pb::SeriesResponse>, Status> {
        let (_, scope, range) = self.scope(&req, req.get_ref().range.as_ref()).await?;
        let interval = match pb::Interval::try_from(req.get_ref().interval).unwrap_or_default() {
            pb::Interval::Unspecified | pb::Interval::Day => Interval::Day,
            pb::Interval::Week => Interval::Week,
            pb::Interval::Month => Interval::Month,
        };
        let series = self.reports.series(&scope, range, interval).await.map_err(unexpected)?;
        let points =
            series.iter().map(|(start, sums)| pb::Point { start: start.to_string(), figures: all(sums) }).collect();
        Ok(Response::new(pb::SeriesResponse { points }))
    }

    #[tracing::instrument(skip_all)]
    async fn top_products(&self, req: Request<pb::TopRequest>) -> Result<Response<pb::TopResponse>, Status> {
        self.top(req, Dim::Product).await
    }

    #[tracing::instrument(skip_all)]
    async fn top_categories(&self, req: Request<pb::TopRequest>) -> Result<Response<pb::TopResponse>, Status> {
        self.top(req, Dim::Category).await
    }

    #[tracing::instrument(skip_all)]
    async fn customers(&self, req: Request<pb::ReportRequest>) -> Result<Response<pb::CustomersResponse>, Status> {
        let (_, scope, range) = self.scope(&req, Some(req.get_ref())).await?;
        let c = self.reports.customers(&scope, range).await.map_err(unexpected)?;
        Ok(Response::new(pb::CustomersResponse {
            new_customers: c.new,
            returning_customers: c.returning,
            customers: c.customers,
            repeat_customers: c.repeat,
            repeat_rate_bp: if c.customers == 0 { 0 } else { c.repeat * 10_000 / c.customers },
            previous_new_customers: c.previous_new,
            previous_returning_customers: c.previous_returning,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn rebuild(&self, req: Request<pb::RebuildRequest>) -> Result<Response<pb::RebuildStatus>, Status> {
        let caller = self.auth.admin(&req).await?;
        let started = self.rebuilder.start(&caller.user_id).await.map_err(unexpected)?;
        Ok(Response::new(rebuild_status(Some(started))))
    }

    #[tracing::instrument(skip_all)]
    async fn get_rebuild(&self, req: Request<pb::RebuildRequest>) -> Result<Response<pb::RebuildStatus>, Status> {
        self.auth.admin(&req).await?;
        let noted = self.reports.store.rebuild().await.map_err(unexpected)?;
        Ok(Response::new(rebuild_status(noted)))
    }

    #[tracing::instrument(skip_all, fields(events = req.get_ref().events.len()))]
    async fn track(&self, req: Request<pb::TrackRequest>) -> Result<Response<pb::TrackResponse>, Status> {
        let r = req.into_inner();
        let refused = |e: behaviour::Refused| Status::from(Refusal::invalid(&e.field, e.why));
        behaviour::check_id("visitor_id", &r.visitor_id).map_err(refused)?;
        behaviour::check_id("batch_id", &r.batch_id).map_err(refused)?;
        let raws: Vec<Raw> = r
            .events
            .into_iter()
            .map(|e| Raw { kind: e.r#type, product_id: e.product_id, query: e.query, results: e.results })
            .collect();
        let batch = behaviour::check(&raws).map_err(refused)?;
        let counted = self.ingest.track(&r.visitor_id, &r.batch_id, &batch).await.map_err(unexpected)?;
        Ok(Response::new(pb::TrackResponse { counted }))
    }

    #[tracing::instrument(skip_all)]
    async fn funnel(&self, req: Request<pb::ReportRequest>) -> Result<Response<pb::FunnelResponse>, Status> {
        let (_, scope, range) = self.scope(&req, Some(req.get_ref())).await?;
        let current = self.reports.funnel(&scope, range).await.map_err(unexpected)?;
        let previous = self.reports.funnel(&scope, range.previous()).await.map_err(unexpected)?;
        Ok(Response::new(pb::FunnelResponse { current: Some(steps(&current)), previous: Some(steps(&previous)) }))
    }

    #[tracing::instrument(skip_all)]
    async fn searches(&self, req: Request<pb::SearchesRequest>) -> Result<Response<pb::SearchesResponse>, Status> {
        self.auth.admin(&req).await?;
        let (_, _, range) = self.scope(&req, req.get_ref().range.as_ref()).await?;
        let limit = match req.get_ref().limit {
            0 => 20,
            n @ 1..=MAX_LIMIT => n as usize,
            _ => return Err(Refusal::invalid("limit", format!("at most {MAX_LIMIT}")).into()),
        };
        let store = &self.reports.store;
        let top = store.searches(range.from, range.to, limit, false).await.map_err(unexpected)?;
        let not_found = store.searches(range.from, range.to, limit, true).await.map_err(unexpected)?;
        let seen = self.reports.activity(&Scope::Shop, range).await.map_err(unexpected)?;
        Ok(Response::new(pb::SearchesResponse {
            searches: seen.searches,
            without_results: seen.empty_searches,
            top: terms(top),
            not_found: terms(not_found),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn export_orders(
        &self,
        req: Request<pb::ReportRequest>,
    ) -> Result<Response<BoxStream<pb::ExportChunk>>, Status> {
        let (_, scope, range) = self.scope(&req, Some(req.get_ref())).await?;
        let calendar = &self.ingest.calendar;
        let within = (calendar.start_of(range.from), calendar.start_of(range.to.plus(1)));
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let orders = self.rebuilder.orders.clone();
        tokio::spawn(export::stream(orders, scope, within, tx).instrument(tracing::Span::current()));
        let chunks = ReceiverStream::new(rx).map(|chunk| chunk.map(|data| pb::ExportChunk { data }));
        Ok(Response::new(Box::pin(chunks)))
    }
}
