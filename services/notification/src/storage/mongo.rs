//! MongoDB message store: `messages` (`_id` = the message id: (event, template, recipient)
//! recorded once) and `suppressions` (`_id` = the address, lowercase). A message due for
//! an attempt has `next_attempt_at`; a settled one has none, so the due ones are found
//! through that field's index without reading the settled log.

use async_trait::async_trait;
use mongodb::{
    Collection, Database, IndexModel,
    bson::{Document, doc},
    options::ReturnDocument,
};
use serde::{Deserialize, Serialize};
use shop_service_kit::{Page, Paging};

use super::{Change, Detail, Filter, MessageStore};
use crate::domain::{Content, Message, Outcome, Status};

#[derive(Debug, Serialize, Deserialize)]
struct MessageDoc {
    #[serde(rename = "_id")]
    id: String,
    event_id: String,
    template: String,
    channel: String,
    /// Lowercase (as `Message::new` makes it), for lookups by address.
    recipient: String,
    user_id: String,
    subject: String,
    text: String,
    html: String,
    link: Option<String>,
    status: String,
    attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_attempt_at: Option<i64>,
    provider_message_id: Option<String>,
    last_error: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<&Message> for MessageDoc {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.clone(),
            event_id: m.event_id.clone(),
            template: m.template.clone(),
            channel: m.channel.clone(),
            recipient: m.recipient.clone(),
            user_id: m.user_id.clone(),
            subject: m.content.subject.clone(),
            text: m.content.text.clone(),
            html: m.content.html.clone(),
            link: m.content.link.clone(),
            status: m.status.as_str().to_owned(),
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            provider_message_id: m.provider_message_id.clone(),
            last_error: m.last_error.clone(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

impl TryFrom<MessageDoc> for Message {
    type Error = anyhow::Error;

    fn try_from(d: MessageDoc) -> anyhow::Result<Self> {
        Ok(Self {
            status: Status::parse(&d.status).ok_or_else(|| anyhow::anyhow!("stored status {}", d.status))?,
            id: d.id,
            event_id: d.event_id,
            template: d.template,
            channel: d.channel,
            recipient: d.recipient,
            user_id: d.user_id,
            content: Content { subject: d.subject, text: d.text, html: d.html, link: d.link },
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            provider_message_id: d.provider_message_id,
            last_error: d.last_error,
            created_at: d.created_at,
            updated_at: d.updated_at,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct SuppressionDoc {
    #[serde(rename = "_id")]
    address: String,
    reason: String,
    at: i64,
}

pub struct MongoMessageStore {
    messages: Collection<MessageDoc>,
    suppressions: Collection<SuppressionDoc>,
}

impl MongoMessageStore {
    pub async fn open(db: &Database) -> anyhow::Result<Self> {
        let messages = db.collection::<MessageDoc>("messages");
        let indexes = ["next_attempt_at", "created_at", "recipient", "status"]
            .map(|field| IndexModel::builder().keys(doc! { field: 1 }).build());
        shop_storage::ensure_indexes(&messages, indexes.into()).await?;
        Ok(Self { messages, suppressions: db.collection("suppressions") })
    }
}

fn filter_of(filter: &Filter) -> Document {
    let mut query = Document::new();
    if let Some(status) = filter.status {
        query.insert("status", status.as_str());
    }
    if let Some(recipient) = &filter.recipient {
        query.insert("recipient", recipient.to_lowercase());
    }
    query
}

#[async_trait]
impl MessageStore for MongoMessageStore {
    async fn enqueue(&self, message: &Message) -> anyhow::Result<bool> {
        match self.messages.insert_one(MessageDoc::from(message)).await {
            Ok(_) => Ok(true),
            Err(err) if shop_storage::is_duplicate_key(&err) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    async fn claim(&self, now: i64, lease_ms: i64, limit: usize, only: Option<&str>) -> anyhow::Result<Vec<Message>> {
        let mut due = doc! { "next_attempt_at": { "$lte": now } };
        if let Some(id) = only {
            due.insert("_id", id);
        }
        let take = doc! { "$set": { "next_attempt_at": now + lease_ms }, "$inc": { "attempts": 1 } };
        let mut claimed = Vec::new();
        // One at a time: each is taken by exactly one claimer, whoever else is claiming.
        while claimed.len() < limit {
            let found = self
                .messages
                .find_one_and_update(due.clone(), take.clone())
                .sort(doc! { "next_attempt_at": 1 })
                .return_document(ReturnDocument::After)
                .await?;
            let Some(found) = found else { break };
            claimed.push(Message::try_from(found)?);
        }
        Ok(claimed)
    }

    async fn record(&self, id: &str, outcome: &Outcome, now: i64) -> anyhow::Result<()> {
        // One write, no read: the outcome says every field it changes.
        let change = Change::of(outcome);
        let mut set = doc! { "status": change.status.as_str(), "updated_at": now };
        match change.detail {
            Some(Detail::ProviderMessageId(id)) => set.insert("provider_message_id", id),
            Some(Detail::Error(error)) => set.insert("last_error", error),
            None => None,
        };
        let update = match change.next_attempt_at {
            Some(at) => {
                set.insert("next_attempt_at", at);
                doc! { "$set": set }
            }
            None => doc! { "$set": set, "$unset": { "next_attempt_at": "" } },
        };
        self.messages.update_one(doc! { "_id": id }, update).await?;
        Ok(())
    }

    async fn get(&self, id: &str) -> anyhow::Result<Option<Message>> {
        self.messages.find_one(doc! { "_id": id }).await?.map(Message::try_from).transpose()
    }

    async fn list(&self, filter: &Filter, paging: Paging) -> anyhow::Result<Page<Message>> {
        let order = shop_storage::Order::by("created_at", shop_storage::Kind::Int, true);
        let page = shop_storage::page(&self.messages, filter_of(filter), order, paging.start(), paging.limit()).await?;
        let items = page.items.into_iter().map(Message::try_from).collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page { items, total: page.total, next: page.next })
    }

    async fn suppress(&self, address: &str, reason: &str) -> anyhow::Result<()> {
        let address = address.to_lowercase();
        let doc = SuppressionDoc { address: address.clone(), reason: reason.to_owned(), at: crate::domain::now_ms() };
        self.suppressions.replace_one(doc! { "_id": address }, doc).upsert(true).await?;
        Ok(())
    }

    async fn is_suppressed(&self, address: &str) -> anyhow::Result<bool> {
        Ok(self.suppressions.find_one(doc! { "_id": address.to_lowercase() }).await?.is_some())
    }
}
