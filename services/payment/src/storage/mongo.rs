//! MongoDB payment store: `payments` (`_id` = order id, so one per order), `refunds`
//! (`_id` = idempotency key), `webhooks` (`_id` = provider event id). A state change and
//! its events share a transaction.

use async_trait::async_trait;
use mongodb::{Collection, Database, bson::doc};
use serde::{Deserialize, Serialize};
use shop_messaging::{Envelope, outbox::MongoOutbox};
use shop_service_kit::{Page, Paging};

use super::{PaymentStore, Refund, StoreError, refunded_status};
use crate::domain::{Payment, PaymentStatus};

fn unexpected(err: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Unexpected(err.into())
}

#[derive(Debug, Serialize, Deserialize)]
struct PaymentDoc {
    #[serde(rename = "_id")]
    order_id: String,
    #[serde(default)]
    user_id: String,
    status: String,
    amount: i64,
    currency: String,
    refunded: i64,
    failure_code: Option<String>,
    provider_charge_id: Option<String>,
    created_at: i64,
}

impl From<&Payment> for PaymentDoc {
    fn from(p: &Payment) -> Self {
        Self {
            order_id: p.order_id.clone(),
            user_id: p.user_id.clone(),
            status: p.status.as_str().to_owned(),
            amount: p.amount,
            currency: p.currency.clone(),
            refunded: p.refunded,
            failure_code: p.failure_code.clone(),
            provider_charge_id: p.provider_charge_id.clone(),
            created_at: p.created_at,
        }
    }
}

impl TryFrom<PaymentDoc> for Payment {
    type Error = anyhow::Error;

    fn try_from(d: PaymentDoc) -> anyhow::Result<Self> {
        Ok(Self {
            status: PaymentStatus::parse(&d.status).ok_or_else(|| anyhow::anyhow!("stored status {}", d.status))?,
            order_id: d.order_id,
            user_id: d.user_id,
            amount: d.amount,
            currency: d.currency,
            refunded: d.refunded,
            failure_code: d.failure_code,
            provider_charge_id: d.provider_charge_id,
            created_at: d.created_at,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyDoc {
    #[serde(rename = "_id")]
    id: String,
}

/// A provider event taken, kept [`super::WEBHOOK_RETENTION`] (a replay older than the
/// signature's tolerance is refused anyway).
#[derive(Debug, Serialize, Deserialize)]
struct WebhookDoc {
    #[serde(rename = "_id")]
    id: String,
    at: mongodb::bson::DateTime,
}

impl WebhookDoc {
    fn new(id: &str) -> Self {
        Self { id: id.to_owned(), at: shop_storage::now_date() }
    }
}

pub struct MongoPaymentStore {
    payments: Collection<PaymentDoc>,
    refunds: Collection<KeyDoc>,
    webhooks: Collection<WebhookDoc>,
    outbox: MongoOutbox,
}

impl MongoPaymentStore {
    pub async fn open(db: Database, outbox: MongoOutbox) -> anyhow::Result<Self> {
        let webhooks = db.collection("webhooks");
        shop_storage::ensure_indexes(&webhooks, vec![shop_storage::expires("at", super::WEBHOOK_RETENTION)]).await?;
        let payments = db.collection("payments");
        // Staff list payments oldest first.
        let by_created = mongodb::IndexModel::builder().keys(doc! { "created_at": 1 }).build();
        shop_storage::ensure_indexes(&payments, vec![by_created]).await?;
        Ok(Self { payments, refunds: db.collection("refunds"), webhooks, outbox })
    }

    fn outcome(err: anyhow::Error) -> StoreError {
        if shop_storage::is_stale(&err) { StoreError::Stale } else { StoreError::Unexpected(err) }
    }
}

#[async_trait]
impl PaymentStore for MongoPaymentStore {
    async fn start(&self, payment: &Payment) -> Result<bool, StoreError> {
        match self.payments.insert_one(PaymentDoc::from(payment)).await {
            Ok(_) => Ok(true),
            Err(err) if shop_storage::is_duplicate_key(&err) => Ok(false),
            Err(err) => Err(unexpected(err)),
        }
    }

    async fn get(&self, order_id: &str) -> Result<Option<Payment>, StoreError> {
        let found = self.payments.find_one(doc! { "_id": order_id }).await.map_err(unexpected)?;
        found.map(Payment::try_from).transpose().map_err(unexpected)
    }

    async fn list(&self, page: Paging) -> Result<Page<Payment>, StoreError> {
        let order = shop_storage::Order::by("created_at", shop_storage::Kind::Int, false);
        let found =
            shop_storage::page(&self.payments, doc! {}, order, page.start(), page.limit()).await.map_err(unexpected)?;
        let items =
            found.items.into_iter().map(Payment::try_from).collect::<anyhow::Result<_>>().map_err(unexpected)?;
        Ok(Page { items, total: found.total, next: found.next })
    }

    async fn settle(&self, payment: &Payment, events: &[Envelope]) -> Result<(), StoreError> {
        let (guard, doc) = (doc! { "_id": &payment.order_id, "status": "pending" }, PaymentDoc::from(payment));
        self.outbox
            .transact(events, async |session| shop_storage::replace_guarded(&self.payments, session, guard, &doc).await)
            .await
            .map_err(Self::outcome)
    }

    async fn refund(&self, refund: &Refund<'_>, events: &[Envelope]) -> Result<bool, StoreError> {
        // A key already applied fails the insert below (the caller asked `refund_applied`
        // first, so this is the race, not the common case).
        let Refund { order_id, key, amount, read_refunded, webhook } = *refund;
        let payment = self.get(order_id).await?.ok_or(StoreError::Stale)?;
        let status = refunded_status(payment.amount, read_refunded + amount).as_str();
        let guard = doc! {
            "_id": order_id,
            "status": { "$in": ["succeeded", "partially_refunded"] },
            "refunded": read_refunded,
            "amount": { "$gte": read_refunded + amount },
        };
        let change = doc! { "$inc": { "refunded": amount }, "$set": { "status": status } };
        let written = self
            .outbox
            .transact(events, async |session| {
                self.refunds.insert_one(KeyDoc { id: key.to_owned() }).session(&mut *session).await?;
                if let Some(event_id) = webhook {
                    self.webhooks.insert_one(WebhookDoc::new(event_id)).session(&mut *session).await?;
                }
                if self.payments.update_one(guard, change).session(session).await?.modified_count != 1 {
                    return Err(shop_storage::Stale.into());
                }
                anyhow::Ok(())
            })
            .await;
        match written {
            Ok(()) => Ok(true),
            Err(err) if shop_storage::is_duplicate(&err) => Ok(false),
            Err(err) => Err(Self::outcome(err)),
        }
    }

    async fn refund_applied(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.refunds.find_one(doc! { "_id": key }).await.map_err(unexpected)?.is_some())
    }

    async fn first_webhook(&self, event_id: &str) -> Result<bool, StoreError> {
        match self.webhooks.insert_one(WebhookDoc::new(event_id)).await {
            Ok(_) => Ok(true),
            Err(err) if shop_storage::is_duplicate_key(&err) => Ok(false),
            Err(err) => Err(unexpected(err)),
        }
    }
}
