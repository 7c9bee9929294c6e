//! The events analytics reads, each turned into the change of figures it makes and applied
//! once in the same step as the figures — an order's by what happened to it (placed, paid,
//! shipped, cancelled, refunded: each once in an order's life, whatever event says it), an
//! account's registration by the account, a low-stock alert by its event. The day is the
//! one the change happened on in the shop's time zone (the order's own time of the change,
//! which a rebuild reads back from order, so live and rebuilt figures agree).

use std::sync::Arc;

use async_trait::async_trait;
use prometheus::{IntCounterVec, Opts, Registry};
use shop_messaging::{Envelope, kind};
use shop_proto::events::v1::{OrderEvent, ProductChanged, StockLevel, UserRegistered};
use shop_service_kit::Consumer;

use crate::{
    behaviour::{Behaviour, counted, kept_query, visitor_key},
    domain::{Activity, Calendar, Change, Product, SHOP},
    facts::{Fact, Sale, SaleLine, activity_change, fact_key, order_change},
    storage::RollupStore,
};

/// The events of each consumer (one durable queue each).
pub const ORDER_EVENTS: [&str; 5] =
    [kind::ORDER_PLACED, kind::ORDER_PAID, kind::ORDER_SHIPPED, kind::ORDER_CANCELLED, kind::ORDER_REFUNDED];
pub const SIGNUP_EVENTS: [&str; 1] = [kind::USER_REGISTERED];
pub const STOCK_EVENTS: [&str; 1] = [kind::STOCK_LOW];
pub const PRODUCT_EVENTS: [&str; 2] = [kind::PRODUCT_CREATED, kind::PRODUCT_UPDATED];

/// Orders paid and revenue, as Prometheus counts them (live events only).
#[derive(Clone)]
pub struct SalesMetrics {
    orders: IntCounterVec,
    revenue: IntCounterVec,
}

impl SalesMetrics {
    pub fn new(registry: Option<&Registry>) -> anyhow::Result<Self> {
        let orders = IntCounterVec::new(
            Opts::new("shop_analytics_orders_total", "Orders paid, cancelled and refunded, by currency"),
            &["currency", "change"],
        )?;
        let revenue = IntCounterVec::new(
            Opts::new("shop_analytics_revenue_minor_total", "Money taken (paid) and given back, in minor units"),
            &["currency", "change"],
        )?;
        if let Some(registry) = registry {
            registry.register(Box::new(orders.clone()))?;
            registry.register(Box::new(revenue.clone()))?;
        }
        Ok(Self { orders, revenue })
    }

    fn count(&self, fact: Fact, sale: &Sale) {
        let change = match fact {
            Fact::Paid => "paid",
            Fact::Cancelled if sale.charged => "cancelled",
            Fact::Refunded => "refunded",
            _ => return,
        };
        let amount: i64 = sale.lines.iter().map(|l| l.amount).sum();
        self.orders.with_label_values(&[sale.currency.as_str(), change]).inc();
        self.revenue.with_label_values(&[sale.currency.as_str(), change]).inc_by(amount.unsigned_abs());
    }
}

/// Applies changes to the store, on the shop's calendar.
pub struct Ingest {
    pub store: Arc<dyn RollupStore>,
    pub calendar: Calendar,
    pub metrics: SalesMetrics,
}

/// When an event's change happened (Unix ms): its own time if it carries one, else when
/// it was published.
fn when(at: Option<&shop_proto::Timestamp>, about: &Envelope) -> i64 {
    at.or(about.occurred_at.as_ref()).map_or(0, shop_proto::millis)
}

/// The sale an order event describes.
pub fn sale_of(event: &OrderEvent) -> Sale {
    let currency = event.total.as_ref().map(|m| m.currency.clone()).unwrap_or_default();
    let lines = event
        .lines
        .iter()
        .map(|l| SaleLine {
            product_id: l.product_id.clone(),
            vendor_id: l.vendor_id.clone(),
            category_ids: l.category_ids.clone(),
            name: l.name.clone(),
            quantity: l.quantity,
            amount: l.amount,
        })
        .collect();
    Sale { order_id: event.order_id.clone(), user_id: event.user_id.clone(), currency, lines, charged: event.charged }
}

pub fn fact_of(event_type: &str) -> Option<Fact> {
    Some(match event_type {
        kind::ORDER_PLACED => Fact::Placed,
        kind::ORDER_PAID => Fact::Paid,
        kind::ORDER_SHIPPED => Fact::Shipped,
        kind::ORDER_CANCELLED => Fact::Cancelled,
        kind::ORDER_REFUNDED => Fact::Refunded,
        _ => return None,
    })
}

impl Ingest {
    /// Applies what happened to an order (once per order and fact); whether it was new.
    pub async fn order(&self, fact: Fact, sale: &Sale, at_ms: i64) -> anyhow::Result<bool> {
        let change = order_change(&fact_key(&sale.order_id, fact), fact, sale, self.calendar.day_of(at_ms));
        self.apply(&change).await
    }

    pub async fn apply(&self, change: &Change) -> anyhow::Result<bool> {
        self.store.apply(change).await
    }

    /// Counts a batch of what a visitor did today, once per batch: the events counted (none
    /// for a batch counted before).
    pub async fn track(&self, visitor_id: &str, batch_id: &str, batch: &[Behaviour]) -> anyhow::Result<u32> {
        let day = self.calendar.today();
        let products: Vec<String> = batch
            .iter()
            .filter_map(|b| match b {
                Behaviour::ProductViewed { product_id } | Behaviour::AddedToCart { product_id } => {
                    Some(product_id.clone())
                }
                _ => None,
            })
            .collect();
        let known = self.store.products(&products).await?;
        let vendor_of = |id: &str| known.iter().find(|p| p.id == id).map(|p| p.vendor_id.as_str());
        let mut change = Change::new(&format!("visit:{batch_id}"), day);
        let mut scopes = vec![SHOP.to_owned()];
        for behaviour in batch {
            let vendor = match behaviour {
                Behaviour::ProductViewed { product_id } | Behaviour::AddedToCart { product_id } => {
                    vendor_of(product_id)
                }
                _ => None,
            };
            scopes.extend(vendor.map(str::to_owned));
            change.activity.extend(counted(behaviour, vendor));
            if let Behaviour::SearchPerformed { query, results } = behaviour
                && let Some(kept) = kept_query(query)
            {
                change.searches.push((kept, *results == 0));
            }
        }
        scopes.sort();
        scopes.dedup();
        change.visitor = Some((visitor_key(visitor_id, day), scopes));
        let counted = if self.apply(&change).await? { batch.len() } else { 0 };
        Ok(u32::try_from(counted).unwrap_or(u32::MAX))
    }
}

pub struct OrderFacts(pub Arc<Ingest>);

#[async_trait]
impl Consumer for OrderFacts {
    type Event = OrderEvent;

    async fn consume(&self, about: &Envelope, event: OrderEvent) -> anyhow::Result<()> {
        let Some(fact) = fact_of(&about.r#type) else { return Ok(()) };
        let sale = sale_of(&event);
        if self.0.order(fact, &sale, when(event.at.as_ref(), about)).await? {
            self.0.metrics.count(fact, &sale);
        }
        Ok(())
    }
}

/// Accounts registered: a figure of the shop's, without a currency.
pub struct Signups(pub Arc<Ingest>);

#[async_trait]
impl Consumer for Signups {
    type Event = UserRegistered;

    async fn consume(&self, about: &Envelope, user: UserRegistered) -> anyhow::Result<()> {
        let day = self.0.calendar.day_of(when(None, about));
        let signup = Activity { signups: 1, ..Activity::default() };
        self.0.apply(&activity_change(&format!("signup:{}", user.user_id), day, &[SHOP], signup)).await?;
        Ok(())
    }
}

/// Products as catalog names them, and whose they are: a storefront visit to a product
/// counts for its vendor too.
pub struct ProductFacts(pub Arc<Ingest>);

#[async_trait]
impl Consumer for ProductFacts {
    type Event = ProductChanged;

    async fn consume(&self, about: &Envelope, p: ProductChanged) -> anyhow::Result<()> {
        let day = self.0.calendar.day_of(when(None, about));
        let named = Product { id: p.product_id, name: p.name, vendor_id: p.vendor_id };
        self.0.apply(&Change { products: vec![named], ..Change::new(&about.event_id, day) }).await?;
        Ok(())
    }
}

/// Low-stock alerts, the shop's and the SKU's vendor's.
pub struct StockAlerts(pub Arc<Ingest>);

#[async_trait]
impl Consumer for StockAlerts {
    type Event = StockLevel;

    async fn consume(&self, about: &Envelope, level: StockLevel) -> anyhow::Result<()> {
        let day = self.0.calendar.day_of(when(None, about));
        let scopes = [SHOP, level.vendor_id.as_str()];
        let scopes = if level.vendor_id.is_empty() { &scopes[..1] } else { &scopes[..] };
        let alert = Activity { stock_low: 1, ..Activity::default() };
        self.0.apply(&activity_change(&about.event_id, day, scopes, alert)).await?;
        Ok(())
    }
}
