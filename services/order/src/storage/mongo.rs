//! MongoDB order store: `orders`, one document per order written whole with a version
//! guard; (user, idempotency key) unique; an order and its events share a transaction.

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::{
    Collection, Database, IndexModel,
    bson::{Document, doc},
    options::IndexOptions,
};
use serde::{Deserialize, Serialize};
use shop_messaging::{Envelope, outbox::MongoOutbox};

use super::{BOUGHT, OrderFilter, OrderStore, StoreError};
use shop_service_kit::{Page, Paging};
use shop_storage::unexpected;
use shop_types::AddressInput;

use crate::domain::{CancelReason, Order, OrderLine, PaymentState, Shipment, Status};

#[derive(Debug, Serialize, Deserialize)]
struct LineDoc {
    sku: String,
    product_id: String,
    name: String,
    quantity: i64,
    unit_price: i64,
    #[serde(default)]
    vendor_id: String,
    #[serde(default)]
    category_ids: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct OrderDoc {
    #[serde(rename = "_id")]
    id: String,
    user_id: String,
    status: String,
    lines: Vec<LineDoc>,
    /// The products ordered, as plain values (for purchase checks).
    product_ids: Vec<String>,
    currency: String,
    total: i64,
    shipping: AddressInput,
    payment: String,
    /// Why it was cancelled or refunded: kind and detail.
    cancel_reason: Option<[String; 2]>,
    /// Carrier and tracking number, once shipped.
    #[serde(default)]
    shipment: Option<[String; 2]>,
    idempotency_key: String,
    request_hash: String,
    created_at: i64,
    updated_at: i64,
    /// `[status, at]`, oldest first.
    #[serde(default)]
    history: Vec<(String, i64)>,
    version: i64,
}

impl From<&Order> for OrderDoc {
    fn from(o: &Order) -> Self {
        Self {
            id: o.id.clone(),
            user_id: o.user_id.clone(),
            status: o.status.as_str().to_owned(),
            lines: o
                .lines
                .iter()
                .map(|l| LineDoc {
                    sku: l.sku.clone(),
                    product_id: l.product_id.clone(),
                    name: l.name.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    vendor_id: l.vendor_id.clone(),
                    category_ids: l.category_ids.clone(),
                })
                .collect(),
            product_ids: o.lines.iter().map(|l| l.product_id.clone()).collect(),
            currency: o.currency.clone(),
            total: o.total(),
            shipping: o.shipping.fields().clone(),
            payment: o.payment.as_str().to_owned(),
            cancel_reason: o.cancel_reason.as_ref().map(|r| [r.kind().to_owned(), r.detail().to_owned()]),
            shipment: o.shipment.as_ref().map(|s| [s.carrier.clone(), s.tracking_number.clone()]),
            idempotency_key: o.idempotency_key.clone(),
            request_hash: o.request_hash.clone(),
            created_at: o.created_at,
            updated_at: o.updated_at,
            history: o.history.iter().map(|(s, at)| (s.as_str().to_owned(), *at)).collect(),
            version: i64::try_from(o.version).unwrap_or(i64::MAX),
        }
    }
}

impl TryFrom<OrderDoc> for Order {
    type Error = anyhow::Error;

    fn try_from(d: OrderDoc) -> anyhow::Result<Self> {
        let cancel_reason = match d.cancel_reason {
            Some([kind, detail]) => Some(
                CancelReason::from_parts(&kind, detail)
                    .ok_or_else(|| anyhow::anyhow!("stored cancel reason {kind}"))?,
            ),
            None => None,
        };
        Ok(Self {
            status: Status::parse(&d.status).ok_or_else(|| anyhow::anyhow!("stored status {}", d.status))?,
            id: d.id,
            user_id: d.user_id,
            lines: d
                .lines
                .into_iter()
                .map(|l| OrderLine {
                    sku: l.sku,
                    product_id: l.product_id,
                    name: l.name,
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    vendor_id: l.vendor_id,
                    category_ids: l.category_ids,
                })
                .collect(),
            currency: d.currency,
            shipping: d.shipping.trusted(),
            payment: PaymentState::parse(&d.payment).ok_or_else(|| anyhow::anyhow!("stored payment {}", d.payment))?,
            cancel_reason,
            shipment: d.shipment.map(|[carrier, tracking_number]| Shipment { carrier, tracking_number }),
            idempotency_key: d.idempotency_key,
            request_hash: d.request_hash,
            created_at: d.created_at,
            updated_at: d.updated_at,
            history: d
                .history
                .iter()
                .map(|(s, at)| Status::parse(s).map(|s| (s, *at)).ok_or_else(|| anyhow::anyhow!("stored status {s}")))
                .collect::<anyhow::Result<_>>()?,
            version: u64::try_from(d.version)?,
        })
    }
}

pub struct MongoOrderStore {
    orders: Collection<OrderDoc>,
    outbox: MongoOutbox,
}

impl MongoOrderStore {
    pub async fn open(db: Database, outbox: MongoOutbox) -> anyhow::Result<Self> {
        let orders = db.collection::<OrderDoc>("orders");
        shop_storage::ensure_indexes(
            &orders,
            vec![
                IndexModel::builder()
                    .keys(doc! { "user_id": 1, "idempotency_key": 1 })
                    .options(IndexOptions::builder().unique(true).name("one_order_per_key".to_owned()).build())
                    .build(),
                IndexModel::builder().keys(doc! { "status": 1, "updated_at": 1 }).build(),
            ],
        )
        .await?;
        Ok(Self { orders, outbox })
    }

    async fn one(&self, filter: Document) -> Result<Option<Order>, StoreError> {
        let found = self.orders.find_one(filter).await.map_err(anyhow::Error::from)?;
        found.map(Order::try_from).transpose().map_err(unexpected)
    }
}

#[async_trait]
impl OrderStore for MongoOrderStore {
    async fn insert(&self, order: &Order, events: &[Envelope]) -> Result<(), StoreError> {
        let doc = OrderDoc::from(order);
        let written = self
            .outbox
            .transact(events, async |session| {
                self.orders.insert_one(doc).session(session).await?;
                anyhow::Ok(())
            })
            .await;
        match written {
            Err(err) if shop_storage::is_duplicate(&err) => Err(StoreError::KeyUsed),
            other => other.map_err(StoreError::Unexpected),
        }
    }

    async fn get(&self, id: &str) -> Result<Option<Order>, StoreError> {
        self.one(doc! { "_id": id }).await
    }

    async fn by_key(&self, user_id: &str, key: &str) -> Result<Option<Order>, StoreError> {
        self.one(doc! { "user_id": user_id, "idempotency_key": key }).await
    }

    async fn update(&self, order: &Order, events: &[Envelope]) -> Result<(), StoreError> {
        let guard = doc! { "_id": &order.id, "version": i64::try_from(order.version).unwrap_or(i64::MAX) - 1 };
        let doc = OrderDoc::from(order);
        let written = self
            .outbox
            .transact(events, async |session| shop_storage::replace_guarded(&self.orders, session, guard, &doc).await)
            .await;
        match written {
            Err(err) if shop_storage::is_stale(&err) => Err(StoreError::Stale),
            other => other.map_err(StoreError::Unexpected),
        }
    }

    async fn list(&self, filter: OrderFilter<'_>, page: Paging) -> Result<Page<Order>, StoreError> {
        let OrderFilter { user_id, status } = filter;
        let mut filter = Document::new();
        if let Some(user) = user_id {
            filter.insert("user_id", user);
        }
        if let Some(status) = status {
            filter.insert("status", status.as_str());
        }
        // Newest first: ids are time-ordered (UUIDv7).
        let found =
            shop_storage::page(&self.orders, filter, shop_storage::Order::by_id(true), page.start(), page.limit())
                .await
                .map_err(anyhow::Error::from)?;
        let items = found.items.into_iter().map(Order::try_from).collect::<anyhow::Result<_>>()?;
        Ok(Page { items, total: found.total, next: found.next })
    }

    async fn stalled(&self, before: i64) -> Result<Vec<Order>, StoreError> {
        let checkout: Vec<&str> = [Status::Pending, Status::Reserved].iter().map(|s| s.as_str()).collect();
        let filter = doc! { "status": { "$in": checkout }, "updated_at": { "$lt": before } };
        let docs: Vec<OrderDoc> = self
            .orders
            .find(filter)
            .limit(500)
            .await
            .map_err(anyhow::Error::from)?
            .try_collect()
            .await
            .map_err(anyhow::Error::from)?;
        Ok(docs.into_iter().map(Order::try_from).collect::<anyhow::Result<_>>()?)
    }

    async fn scan(&self, after: Option<&str>, limit: usize) -> Result<Vec<Order>, StoreError> {
        let filter = after.map_or_else(Document::new, |a| doc! { "_id": { "$gt": a } });
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let found = self.orders.find(filter).sort(doc! { "_id": 1 }).limit(limit).await.map_err(anyhow::Error::from)?;
        let docs: Vec<OrderDoc> = found.try_collect().await.map_err(anyhow::Error::from)?;
        Ok(docs.into_iter().map(Order::try_from).collect::<anyhow::Result<_>>()?)
    }

    async fn purchased(&self, user_id: &str, product_id: &str) -> Result<bool, StoreError> {
        let bought: Vec<&str> = BOUGHT.iter().map(|s| s.as_str()).collect();
        let filter = doc! { "user_id": user_id, "product_ids": product_id, "status": { "$in": bought } };
        Ok(self.orders.find_one(filter).await.map_err(anyhow::Error::from)?.is_some())
    }
}
