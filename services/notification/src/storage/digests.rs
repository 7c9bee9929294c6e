//! Digests: notices gathered per recipient and sent together — at most one digest per
//! recipient per period, the first notice of a quiet period waiting a little for others to
//! join it. A digest is opened (its lines set apart under a batch id, so lines arriving
//! meanwhile wait for the next one), sent, then closed; a sender that dies between opening
//! and closing leaves the batch open, and the next round sends it (its message id is the
//! batch's: recorded once).

use std::{collections::HashMap, sync::Mutex};

use async_trait::async_trait;
use mongodb::{Collection, Database, IndexModel, bson::doc};
use serde::{Deserialize, Serialize};
use shop_platform::lock;

/// One notice waiting for its recipient's digest: a SKU that fell low.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestLine {
    /// The user the digest goes to.
    pub recipient: String,
    pub event_id: String,
    pub sku: String,
    pub available: i64,
    pub threshold: i64,
    /// Unix ms.
    pub at: i64,
}

#[async_trait]
pub trait DigestStore: Send + Sync + 'static {
    /// Adds a line (once per event and recipient): whether it was new.
    async fn add(&self, line: &DigestLine) -> anyhow::Result<bool>;
    /// Recipients whose digest is due at `now`: one left open, or lines waiting at least
    /// `gather_ms` and no digest sent in the last `every_ms`.
    async fn due(&self, now: i64, gather_ms: i64, every_ms: i64) -> anyhow::Result<Vec<String>>;
    /// The recipient's open digest — or a new one of every waiting line: its batch id and
    /// lines, oldest first.
    async fn open(&self, recipient: &str) -> anyhow::Result<Option<(String, Vec<DigestLine>)>>;
    /// Forgets the batch's lines; when it was `sent`, the recipient's next digest is due a
    /// period later (a batch of nothing left to tell is dropped without counting).
    async fn close(&self, recipient: &str, batch: &str, now: i64, sent: bool) -> anyhow::Result<()>;
}

fn new_batch() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

#[derive(Default)]
struct Recipient {
    last_sent_at: i64,
    open_batch: Option<String>,
    /// When the oldest waiting line arrived (0: none waits).
    pending_since: i64,
}

#[derive(Default)]
struct Held {
    recipients: HashMap<String, Recipient>,
    /// By (event id, recipient), with the batch each belongs to (empty: waiting).
    lines: HashMap<(String, String), (DigestLine, String)>,
}

#[derive(Default)]
pub struct MemoryDigestStore {
    held: Mutex<Held>,
}

#[async_trait]
impl DigestStore for MemoryDigestStore {
    async fn add(&self, line: &DigestLine) -> anyhow::Result<bool> {
        let mut held = lock(&self.held);
        let key = (line.event_id.clone(), line.recipient.clone());
        if held.lines.contains_key(&key) {
            return Ok(false);
        }
        held.lines.insert(key, (line.clone(), String::new()));
        let recipient = held.recipients.entry(line.recipient.clone()).or_default();
        if recipient.pending_since == 0 {
            recipient.pending_since = line.at;
        }
        Ok(true)
    }

    async fn due(&self, now: i64, gather_ms: i64, every_ms: i64) -> anyhow::Result<Vec<String>> {
        let held = lock(&self.held);
        Ok(held
            .recipients
            .iter()
            .filter(|(_, r)| {
                r.open_batch.is_some()
                    || (r.pending_since > 0 && r.pending_since <= now - gather_ms && r.last_sent_at <= now - every_ms)
            })
            .map(|(id, _)| id.clone())
            .collect())
    }

    async fn open(&self, recipient: &str) -> anyhow::Result<Option<(String, Vec<DigestLine>)>> {
        let mut held = lock(&self.held);
        let waiting = held.lines.values().any(|(l, b)| l.recipient == recipient && b.is_empty());
        let Some(state) = held.recipients.get_mut(recipient) else { return Ok(None) };
        if state.open_batch.is_none() && !waiting {
            return Ok(None);
        }
        // Waiting lines join a new digest only: one left open is sent as it was.
        let fresh = state.open_batch.is_none();
        let batch = state.open_batch.get_or_insert_with(new_batch).clone();
        let mut lines = Vec::new();
        for (line, in_batch) in held.lines.values_mut().filter(|(l, _)| l.recipient == recipient) {
            if fresh && in_batch.is_empty() {
                in_batch.clone_from(&batch);
            }
            if *in_batch == batch {
                lines.push(line.clone());
            }
        }
        lines.sort_by_key(|l| (l.at, l.event_id.clone()));
        Ok(Some((batch, lines)))
    }

    async fn close(&self, recipient: &str, batch: &str, now: i64, sent: bool) -> anyhow::Result<()> {
        let mut held = lock(&self.held);
        held.lines.retain(|(_, r), (_, b)| !(r == recipient && b == batch));
        let waiting = held.lines.values().any(|(l, b)| l.recipient == recipient && b.is_empty());
        if let Some(state) = held.recipients.get_mut(recipient).filter(|s| s.open_batch.as_deref() == Some(batch)) {
            state.open_batch = None;
            if sent {
                state.last_sent_at = now;
            }
            state.pending_since = if waiting { now } else { 0 };
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct LineDoc {
    #[serde(rename = "_id")]
    id: String,
    #[serde(flatten)]
    line: DigestLine,
    /// The digest it went into (empty while it waits).
    batch: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct RecipientDoc {
    #[serde(rename = "_id")]
    recipient: String,
    last_sent_at: i64,
    /// Empty when no digest is open.
    open_batch: String,
    pending_since: i64,
}

/// Collections `digest_lines` (`_id` = event id and recipient) and `digest_recipients`
/// (`_id` = recipient; due ones found through `pending_since`).
pub struct MongoDigestStore {
    lines: Collection<LineDoc>,
    recipients: Collection<RecipientDoc>,
}

impl MongoDigestStore {
    pub async fn open_store(db: &Database) -> anyhow::Result<Self> {
        let lines = db.collection::<LineDoc>("digest_lines");
        shop_storage::ensure_indexes(&lines, vec![IndexModel::builder().keys(doc! { "recipient": 1 }).build()]).await?;
        let recipients = db.collection::<RecipientDoc>("digest_recipients");
        let due = IndexModel::builder().keys(doc! { "pending_since": 1 }).build();
        shop_storage::ensure_indexes(&recipients, vec![due]).await?;
        Ok(Self { lines, recipients })
    }
}

#[async_trait]
impl DigestStore for MongoDigestStore {
    async fn add(&self, line: &DigestLine) -> anyhow::Result<bool> {
        let doc =
            LineDoc { id: format!("{}:{}", line.event_id, line.recipient), line: line.clone(), batch: String::new() };
        match self.lines.insert_one(doc).await {
            Ok(_) => {}
            Err(err) if shop_storage::is_duplicate_key(&err) => return Ok(false),
            Err(err) => return Err(err.into()),
        }
        let first = RecipientDoc {
            recipient: line.recipient.clone(),
            last_sent_at: 0,
            open_batch: String::new(),
            pending_since: line.at,
        };
        match self.recipients.insert_one(first).await {
            Ok(_) => {}
            Err(err) if shop_storage::is_duplicate_key(&err) => {
                let waiting = doc! { "_id": &line.recipient, "pending_since": 0_i64 };
                self.recipients.update_one(waiting, doc! { "$set": { "pending_since": line.at } }).await?;
            }
            Err(err) => return Err(err.into()),
        }
        Ok(true)
    }

    async fn due(&self, now: i64, gather_ms: i64, every_ms: i64) -> anyhow::Result<Vec<String>> {
        use futures::TryStreamExt;
        // An open digest keeps its recipient's `pending_since`: it is found here too.
        let waiting = doc! { "pending_since": { "$gt": 0_i64, "$lte": now - gather_ms } };
        let found: Vec<RecipientDoc> = self.recipients.find(waiting).await?.try_collect().await?;
        Ok(found
            .into_iter()
            .filter(|r| !r.open_batch.is_empty() || r.last_sent_at <= now - every_ms)
            .map(|r| r.recipient)
            .collect())
    }

    async fn open(&self, recipient: &str) -> anyhow::Result<Option<(String, Vec<DigestLine>)>> {
        use futures::TryStreamExt;
        let Some(state) = self.recipients.find_one(doc! { "_id": recipient }).await? else { return Ok(None) };
        let batch = if state.open_batch.is_empty() {
            let batch = new_batch();
            let claim = doc! { "_id": recipient, "open_batch": "" };
            if self.recipients.update_one(claim, doc! { "$set": { "open_batch": &batch } }).await?.modified_count == 0 {
                // Another sender opened it: the next round sends what it set apart.
                return Ok(None);
            }
            let waiting = doc! { "recipient": recipient, "batch": "" };
            self.lines.update_many(waiting, doc! { "$set": { "batch": &batch } }).await?;
            batch
        } else {
            state.open_batch
        };
        let found: Vec<LineDoc> =
            self.lines.find(doc! { "recipient": recipient, "batch": &batch }).await?.try_collect().await?;
        let mut lines: Vec<DigestLine> = found.into_iter().map(|d| d.line).collect();
        lines.sort_by_key(|l| (l.at, l.event_id.clone()));
        Ok(Some((batch, lines)))
    }

    async fn close(&self, recipient: &str, batch: &str, now: i64, sent: bool) -> anyhow::Result<()> {
        self.lines.delete_many(doc! { "recipient": recipient, "batch": batch }).await?;
        let waiting = self.lines.count_documents(doc! { "recipient": recipient, "batch": "" }).await? > 0;
        let mut set = doc! { "open_batch": "", "pending_since": if waiting { now } else { 0 } };
        if sent {
            set.insert("last_sent_at", now);
        }
        self.recipients.update_one(doc! { "_id": recipient, "open_batch": batch }, doc! { "$set": set }).await?;
        Ok(())
    }
}
