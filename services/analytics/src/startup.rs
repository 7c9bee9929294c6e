//! Builds analytics from its settings: its store, the consumers of the events it counts,
//! and the gRPC host of its reports.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use shop_auth::Caller;
use shop_messaging::InProcessBus;
use shop_platform::{Shutdown, lock};
use shop_proto::{
    catalog::v1::{Category, ListCategoriesRequest, catalog_service_client::CatalogServiceClient},
    order::v1::order_service_client::OrderServiceClient,
};
use shop_service_kit::{Frame, Service, Storage, Upstream};

use crate::{
    SERVICE, Settings,
    domain::Calendar,
    grpc::{AnalyticsGrpc, CategoryNames},
    ingest::{
        Ingest, ORDER_EVENTS, OrderFacts, PRODUCT_EVENTS, ProductFacts, SIGNUP_EVENTS, STOCK_EVENTS, SalesMetrics,
        Signups, StockAlerts,
    },
    rebuild::Rebuilder,
    reports::Reports,
    storage::{MemoryRollupStore, MongoRollupStore, RollupStore},
};

/// The durable queue of each consumer.
pub const QUEUES: [&str; 4] = ["analytics-orders", "analytics-signups", "analytics-stock", "analytics-products"];

/// How long category names are reused before catalog is asked again; a name missing
/// from them (a category made meanwhile) is asked for after [`MISSING_AFTER`].
const NAMES_FOR: Duration = Duration::from_secs(60);
const MISSING_AFTER: Duration = Duration::from_secs(2);

type Names = BTreeMap<String, String>;

/// Category names from catalog as the caller may see them (an admin's include inactive
/// categories), read at most once a minute for admins and once for everyone else.
struct CatalogNames {
    catalog: CatalogServiceClient<Upstream>,
    /// By whether the caller is an admin: when read, and the names.
    cached: Mutex<HashMap<bool, (Instant, Names)>>,
}

fn flatten(categories: Vec<Category>, into: &mut BTreeMap<String, String>) {
    for c in categories {
        into.insert(c.id.clone(), c.name.clone());
        flatten(c.children, into);
    }
}

#[tonic::async_trait]
impl CategoryNames for CatalogNames {
    async fn names(&self, ids: &[String], caller: &Caller) -> anyhow::Result<BTreeMap<String, String>> {
        let fresh = |at: &Instant, names: &BTreeMap<String, String>| {
            at.elapsed() < MISSING_AFTER || (at.elapsed() < NAMES_FOR && ids.iter().all(|id| names.contains_key(id)))
        };
        let admin = caller.is_admin();
        if let Some((_, names)) = lock(&self.cached).get(&admin).filter(|(at, names)| fresh(at, names)) {
            return Ok(names.clone());
        }
        let request = caller.authorize(tonic::Request::new(ListCategoriesRequest {}));
        let roots = self.catalog.clone().list_categories(request).await?.into_inner().roots;
        let mut names = BTreeMap::new();
        flatten(roots, &mut names);
        lock(&self.cached).insert(admin, (Instant::now(), names.clone()));
        Ok(names)
    }
}

pub async fn build(settings: Settings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    let calendar = Calendar::new(&settings.extra.time_zone)?;
    let mut frame = Frame::connect(SERVICE, settings, &embedded, shutdown).await?;
    let store: Arc<dyn RollupStore> = match &frame.backends.storage {
        Storage::Mongo { db, .. } => Arc::new(MongoRollupStore::open(db).await?),
        Storage::Embedded { .. } => Arc::new(MemoryRollupStore::default()),
    };
    let metrics = SalesMetrics::new(Some(frame.registry()))?;
    let ingest = Arc::new(Ingest { store: store.clone(), calendar: calendar.clone(), metrics });
    let order_url = frame.settings.extra.order_url.clone();
    let rebuilder = Arc::new(Rebuilder {
        ingest: ingest.clone(),
        orders: OrderServiceClient::new(frame.upstream("order", &order_url)?),
    });
    let [orders, signups, stock, products] = QUEUES;
    frame.consume(orders, &ORDER_EVENTS, OrderFacts(ingest.clone())).await?;
    frame.consume(signups, &SIGNUP_EVENTS, Signups(ingest.clone())).await?;
    frame.consume(stock, &STOCK_EVENTS, StockAlerts(ingest.clone())).await?;
    frame.consume(products, &PRODUCT_EVENTS, ProductFacts(ingest.clone())).await?;
    let catalog_url = frame.settings.extra.catalog_url.clone();
    let categories = Arc::new(CatalogNames {
        catalog: CatalogServiceClient::new(frame.upstream("catalog", &catalog_url)?),
        cached: Mutex::new(HashMap::new()),
    });
    let verifier = frame.verifier()?;
    let reports = Arc::new(Reports { store });
    let server = AnalyticsGrpc::new(verifier.clone(), reports, categories, rebuilder, ingest).server();
    frame.serve(&crate::grpc::POLICY, verifier, server).await
}
