//! MongoDB bootstrap and the few helpers every per-service store shares.
//!
//! Stores follow one pattern: a trait per aggregate in the service's `storage` module,
//! a MongoDB implementation built from the [`Database`] returned here, an embedded
//! in-memory implementation, and one generic contract test suite run against both.

pub mod audit;
mod paging;

use std::{sync::Arc, time::Duration};

pub use paging::{After, Kind, Order, Page, Start, page, page_of};

pub use mongodb;
use mongodb::{
    Collection, Database, IndexModel,
    bson::{Document, doc},
    error::{ErrorKind, WriteFailure},
    options::ClientOptions,
};

/// Connects to `url` and returns the service's own `database`. Fails fast (with a bounded
/// server-selection wait) so a misconfigured service does not start half-alive.
pub async fn connect(url: &str, database: &str) -> anyhow::Result<Database> {
    connect_counted(url, database, None, None).await
}

/// MongoDB connections open and checked out, kept from the driver's pool events (a
/// service's `mongo_pool_connections`).
#[derive(Debug, Default)]
pub struct PoolCounts {
    in_use: std::sync::atomic::AtomicI64,
    open: std::sync::atomic::AtomicI64,
}

impl PoolCounts {
    /// `(in use, open)` now.
    pub fn read(&self) -> (i64, i64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.in_use.load(Relaxed), self.open.load(Relaxed))
    }

    fn record(&self, event: &mongodb::event::cmap::CmapEvent) {
        use mongodb::event::cmap::CmapEvent;
        use std::sync::atomic::Ordering::Relaxed;
        match event {
            CmapEvent::ConnectionCreated(_) => self.open.fetch_add(1, Relaxed),
            CmapEvent::ConnectionClosed(_) => self.open.fetch_sub(1, Relaxed),
            CmapEvent::ConnectionCheckedOut(_) => self.in_use.fetch_add(1, Relaxed),
            CmapEvent::ConnectionCheckedIn(_) => self.in_use.fetch_sub(1, Relaxed),
            _ => 0,
        };
    }
}

/// As [`connect`], keeping `counts` of the client's connection pool and, with a
/// `query_log`, recording the shape of each query in that file ([`audit`]).
pub async fn connect_counted(
    url: &str,
    database: &str,
    counts: Option<Arc<PoolCounts>>,
    query_log: Option<&str>,
) -> anyhow::Result<Database> {
    let mut options = ClientOptions::parse(url).await?;
    if let Some(counts) = counts {
        options.cmap_event_handler = Some(mongodb::event::EventHandler::callback(move |event| counts.record(&event)));
    }
    if let Some(path) = query_log {
        options.command_event_handler = Some(audit::recorder(path)?);
    }
    options.app_name.get_or_insert_with(|| database.to_owned());
    options.server_selection_timeout.get_or_insert(Duration::from_secs(10));
    let client = mongodb::Client::with_options(options)?;
    let db = client.database(database);
    ping(&db).await?;
    tracing::info!(database, "connected to MongoDB");
    Ok(db)
}

/// Round-trips a `ping` command: the readiness check for a store.
pub async fn ping(db: &Database) -> anyhow::Result<()> {
    db.run_command(doc! { "ping": 1 }).await?;
    Ok(())
}

/// Creates `indexes` on `collection` (idempotent; run at start-up).
pub async fn ensure_indexes<T: Send + Sync>(
    collection: &Collection<T>,
    indexes: Vec<IndexModel>,
) -> anyhow::Result<()> {
    if !indexes.is_empty() {
        collection.create_indexes(indexes).await?;
    }
    Ok(())
}

/// A TTL index: MongoDB deletes a document once its `field` (a date) is `after` in the
/// past. Records kept only to recognise a repeat (inbox, webhook ids, expired sessions) use
/// one, so they do not pile up forever.
pub fn expires(field: &str, after: Duration) -> IndexModel {
    let options = mongodb::options::IndexOptions::builder().expire_after(after).name(format!("{field}_ttl")).build();
    IndexModel::builder().keys(doc! { field: 1 }).options(options).build()
}

/// Now, as a BSON date (for TTL fields).
pub fn now_date() -> mongodb::bson::DateTime {
    mongodb::bson::DateTime::now()
}

/// Claims a one-time job (`what`) for this process among every replica sharing `db`: the
/// first to ask gets `true`, every later one `false`, for good. For start-up work that
/// replicas starting together must not all do (seeding demo data).
pub async fn claim_once(db: &Database, what: &str) -> anyhow::Result<bool> {
    let claims = db.collection::<mongodb::bson::Document>("claims");
    let unique = IndexModel::builder()
        .keys(doc! { "job": 1 })
        .options(mongodb::options::IndexOptions::builder().unique(true).build())
        .build();
    ensure_indexes(&claims, vec![unique]).await?;
    match claims.insert_one(doc! { "job": what, "at": now_date() }).await {
        Ok(_) => Ok(true),
        Err(err) if is_duplicate_key(&err) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Whether `err` is a unique-index violation (server code 11000).
pub fn is_duplicate_key(err: &mongodb::error::Error) -> bool {
    match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == 11000,
        ErrorKind::InsertMany(e) => e.write_errors.as_ref().is_some_and(|errs| errs.iter().any(|e| e.code == 11000)),
        ErrorKind::Command(e) => e.code == 11000,
        _ => false,
    }
}

/// One transaction at a time in this process, when [`serialize_transactions`] asked for it.
static SERIAL: std::sync::OnceLock<Arc<tokio::sync::Mutex<()>>> = std::sync::OnceLock::new();

/// Runs this process's transactions one after another. For servers that cannot interleave
/// concurrent transactions on one database (the MongoDB stand-in the tests use); real
/// MongoDB does not need it.
pub fn serialize_transactions() {
    SERIAL.get_or_init(Arc::default);
}

/// A transaction in progress: a session (write with `.session(&mut *tx)`) and, when
/// transactions are serialized, this process's turn.
pub struct Transaction {
    session: mongodb::ClientSession,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for Transaction {
    type Target = mongodb::ClientSession;

    fn deref(&self) -> &Self::Target {
        &self.session
    }
}

impl std::ops::DerefMut for Transaction {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.session
    }
}

/// Whether `err` (as a store's transaction returns it) is a unique-index violation.
pub fn is_duplicate(err: &anyhow::Error) -> bool {
    err.downcast_ref::<mongodb::error::Error>().is_some_and(is_duplicate_key)
}

/// Starts a transaction: write with `.session(&mut *tx)`, then hand the outcome to
/// [`finish`].
pub async fn begin(db: &Database) -> mongodb::error::Result<Transaction> {
    let turn = match SERIAL.get() {
        Some(serial) => Some(serial.clone().lock_owned().await),
        None => None,
    };
    let mut session = db.client().start_session().await?;
    session.start_transaction().await?;
    Ok(Transaction { session, _turn: turn })
}

/// Commits when `outcome` is a success, else aborts before returning the error (so the
/// caller sees the transaction's writes gone).
pub async fn finish<T>(mut tx: Transaction, outcome: anyhow::Result<T>) -> anyhow::Result<T> {
    match outcome {
        Ok(value) => {
            tx.session.commit_transaction().await?;
            Ok(value)
        }
        Err(err) => {
            if let Err(abort) = tx.session.abort_transaction().await {
                tracing::warn!(error = %abort, "could not abort a transaction");
            }
            Err(err)
        }
    }
}

/// A guarded write whose guard (a version, a status) no longer held: someone else changed
/// the record since it was read.
#[derive(Debug, Clone, Copy)]
pub struct Stale;

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the record changed since it was read")
    }
}

impl std::error::Error for Stale {}

/// Whether `err` (as a store's transaction returns it) is a [`Stale`] write.
pub fn is_stale(err: &anyhow::Error) -> bool {
    err.is::<Stale>()
}

/// Replaces the one document `guard` matches (its id and version, say) inside `session`;
/// [`Stale`] when none does.
pub async fn replace_guarded<T>(
    collection: &Collection<T>,
    session: &mut mongodb::ClientSession,
    guard: Document,
    replacement: &T,
) -> anyhow::Result<()>
where
    T: serde::Serialize + Send + Sync,
{
    if collection.replace_one(guard, replacement).session(session).await?.matched_count != 1 {
        return Err(Stale.into());
    }
    Ok(())
}

/// An unexpected store failure as a store error type with an `anyhow` variant.
pub fn unexpected<E: From<anyhow::Error>>(err: impl Into<anyhow::Error>) -> E {
    E::from(err.into())
}

/// Timestamps as BSON datetimes (millisecond precision), so they sort and compare in queries.
pub mod timestamp {
    use mongodb::bson::DateTime;
    use time::OffsetDateTime;

    pub fn to_bson(t: OffsetDateTime) -> DateTime {
        DateTime::from_millis(i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
    }

    pub fn from_bson(t: DateTime) -> anyhow::Result<OffsetDateTime> {
        Ok(OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.timestamp_millis()) * 1_000_000)?)
    }
}
