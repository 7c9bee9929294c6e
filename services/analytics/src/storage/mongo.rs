//! MongoDB store: `rollups` (a document per key and day, its figures added with `$inc`),
//! `activity` (per scope and day), `customers` (per scope and user), `products`, and
//! `applied` (the ids of the events applied, forgotten after a week). A change is one
//! transaction: its event id is inserted first, so a second delivery aborts on the unique
//! id and adds nothing.

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::{
    Collection, Database, IndexModel,
    bson::{Document, doc},
};
use serde::{Deserialize, Serialize};

use super::{MAX_SEARCHES_A_DAY, Query, RollupStore, Searched, Summed, group, most_searched};
use crate::{
    domain::{Activity, Change, Counters, Day, Product, Rebuild, customer_order},
    facts::ORDER_FACT,
};

/// How long a visit is remembered: a visitor is counted once a day.
const VISITS_KEPT: std::time::Duration = std::time::Duration::from_secs(2 * 24 * 3600);

/// How long an applied event id is remembered.
const REMEMBERED: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, Serialize, Deserialize)]
struct CustomerDoc {
    #[serde(rename = "_id")]
    id: String,
    first: i32,
    last: i32,
    orders: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct AppliedDoc {
    #[serde(rename = "_id")]
    id: String,
    at: mongodb::bson::DateTime,
}

#[derive(Debug, Serialize, Deserialize)]
struct ProductDoc {
    #[serde(rename = "_id")]
    id: String,
    name: String,
    vendor_id: String,
}

/// The one rebuild noted (the last).
const LAST_REBUILD: &str = "last";

#[derive(Debug, Serialize, Deserialize)]
struct RebuildDoc {
    #[serde(rename = "_id")]
    id: String,
    #[serde(flatten)]
    rebuild: Rebuild,
}

pub struct MongoRollupStore {
    db: Database,
    /// Figures are only ever added to (`$inc`) and read back as documents.
    rows: Collection<Document>,
    activity: Collection<Document>,
    customers: Collection<CustomerDoc>,
    products: Collection<ProductDoc>,
    applied: Collection<AppliedDoc>,
    rebuilds: Collection<RebuildDoc>,
    /// `scope|day|visitor`: who was counted on a day (forgotten after two days).
    visits: Collection<Document>,
    /// `day|search`: how often, and how often it found nothing.
    searches: Collection<Document>,
}

/// `$inc` of every non-zero field.
fn increments(fields: &[(&'static str, i64)]) -> Document {
    let mut inc = Document::new();
    for (name, value) in fields.iter().filter(|(_, v)| *v != 0) {
        inc.insert(*name, *value);
    }
    inc
}

impl MongoRollupStore {
    pub async fn open(db: &Database) -> anyhow::Result<Self> {
        let rows = db.collection::<Document>("rollups");
        let by_dim = doc! { "dim": 1, "scope": 1, "day": 1 };
        shop_storage::ensure_indexes(&rows, vec![IndexModel::builder().keys(by_dim).build()]).await?;
        let activity = db.collection::<Document>("activity");
        let by_scope = doc! { "scope": 1, "day": 1 };
        shop_storage::ensure_indexes(&activity, vec![IndexModel::builder().keys(by_scope).build()]).await?;
        let visits = db.collection::<Document>("visits");
        shop_storage::ensure_indexes(&visits, vec![shop_storage::expires("at", VISITS_KEPT)]).await?;
        let searches = db.collection::<Document>("searches");
        let by_day = doc! { "day": 1 };
        shop_storage::ensure_indexes(&searches, vec![IndexModel::builder().keys(by_day).build()]).await?;
        let applied = db.collection::<AppliedDoc>("applied");
        shop_storage::ensure_indexes(&applied, vec![shop_storage::expires("at", REMEMBERED)]).await?;
        Ok(Self {
            db: db.clone(),
            rows,
            activity,
            customers: db.collection("customers"),
            products: db.collection("products"),
            applied,
            rebuilds: db.collection("rebuilds"),
            visits,
            searches,
        })
    }

    async fn write(&self, change: &Change, day: Day, tx: &mut mongodb::ClientSession) -> anyhow::Result<()> {
        let applied = AppliedDoc { id: change.event_id.clone(), at: shop_storage::now_date() };
        self.applied.insert_one(applied).session(&mut *tx).await?;
        for (key, counters) in &change.rows {
            let id = format!("{}|{}|{}|{}|{}", key.scope, key.dim.as_str(), key.id, key.currency, day.0);
            let set = doc! {
                "scope": &key.scope, "dim": key.dim.as_str(), "key": &key.id, "currency": &key.currency, "day": day.0,
            };
            let update = doc! { "$setOnInsert": set, "$inc": increments(&counters.fields()) };
            self.rows.update_one(doc! { "_id": id }, update).upsert(true).session(&mut *tx).await?;
        }
        let mut activities: Vec<(String, Activity)> = change.activity.clone();
        if let Some((user, scopes)) = &change.customer {
            for scope in scopes {
                let id = format!("{scope}|{user}");
                let found = self.customers.find_one(doc! { "_id": &id }).session(&mut *tx).await?;
                let known = found.map(|c| (Day(c.first), Day(c.last), c.orders));
                let ((first, last, orders), counted) = customer_order(known, day);
                let next = CustomerDoc { id: id.clone(), first: first.0, last: last.0, orders };
                self.customers.replace_one(doc! { "_id": &id }, next).upsert(true).session(&mut *tx).await?;
                activities.push((scope.clone(), counted));
            }
        }
        for (scope, activity) in activities.iter().filter(|(_, a)| *a != Activity::default()) {
            let id = format!("{scope}|{}", day.0);
            let update = doc! {
                "$setOnInsert": { "scope": scope, "day": day.0 },
                "$inc": increments(&activity.fields()),
            };
            self.activity.update_one(doc! { "_id": id }, update).upsert(true).session(&mut *tx).await?;
        }
        for p in &change.products {
            let product = ProductDoc { id: p.id.clone(), name: p.name.clone(), vendor_id: p.vendor_id.clone() };
            self.products.replace_one(doc! { "_id": &p.id }, product).upsert(true).session(&mut *tx).await?;
        }
        if let Some((visitor, scopes)) = &change.visitor {
            for scope in scopes {
                let id = format!("{scope}|{}|{visitor}", day.0);
                let seen = doc! { "$setOnInsert": { "at": shop_storage::now_date() } };
                let visit = self.visits.update_one(doc! { "_id": id }, seen).upsert(true).session(&mut *tx).await?;
                if visit.upserted_id.is_some() {
                    let update =
                        doc! { "$setOnInsert": { "scope": scope, "day": day.0 }, "$inc": { "visitors": 1_i64 } };
                    let id = format!("{scope}|{}", day.0);
                    self.activity.update_one(doc! { "_id": id }, update).upsert(true).session(&mut *tx).await?;
                }
            }
        }
        for (query, empty) in &change.searches {
            let id = format!("{}|{query}", day.0);
            let counted = doc! { "$inc": { "times": 1_i64, "empty": i64::from(*empty) } };
            let known = self.searches.update_one(doc! { "_id": &id }, counted.clone()).session(&mut *tx).await?;
            if known.matched_count == 0
                && self.searches.count_documents(doc! { "day": day.0 }).session(&mut *tx).await?
                    < MAX_SEARCHES_A_DAY as u64
            {
                let mut first = counted;
                first.insert("$setOnInsert", doc! { "day": day.0, "query": query });
                self.searches.update_one(doc! { "_id": &id }, first).upsert(true).session(&mut *tx).await?;
            }
        }
        Ok(())
    }
}

/// Reads a summed field back from a row document (absent: never incremented).
fn counters_of(d: &Document) -> Counters {
    let get = |name: &str| d.get_i64(name).or_else(|_| d.get_i32(name).map(i64::from)).unwrap_or(0);
    Counters {
        orders: get("orders"),
        units: get("units"),
        gross: get("gross"),
        refunded_orders: get("refunded_orders"),
        refunds: get("refunds"),
        cancelled_orders: get("cancelled_orders"),
        cancellations: get("cancellations"),
        placed: get("placed"),
        failed: get("failed"),
        shipped: get("shipped"),
    }
}

fn activity_of(d: &Document) -> Activity {
    Activity::from_fields(|name| d.get_i64(name).or_else(|_| d.get_i32(name).map(i64::from)).unwrap_or(0))
}

#[async_trait]
impl RollupStore for MongoRollupStore {
    async fn apply(&self, change: &Change) -> anyhow::Result<bool> {
        let day = change.day;
        let mut tx = shop_storage::begin(&self.db).await?;
        let written = self.write(change, day, &mut tx).await;
        match shop_storage::finish(tx, written).await {
            Ok(()) => Ok(true),
            Err(err) if shop_storage::is_duplicate(&err) => Ok(false),
            Err(err) => Err(err),
        }
    }

    async fn sum(&self, q: &Query<'_>) -> anyhow::Result<Vec<Summed>> {
        let mut filter = doc! { "dim": q.dim.as_str(), "day": { "$gte": q.from.0, "$lte": q.to.0 } };
        if let Some(scope) = q.scope {
            filter.insert("scope", scope);
        }
        let docs: Vec<Document> = self.rows.find(filter).await?.try_collect().await?;
        let rows = docs.iter().map(|d| {
            let text = |name: &str| d.get_str(name).unwrap_or_default().to_owned();
            let day = Day(d.get_i32("day").unwrap_or_default());
            (text("scope"), text("key"), text("currency"), day, counters_of(d))
        });
        Ok(group(rows, q.by_day))
    }

    async fn activity(&self, scope: &str, from: Day, to: Day) -> anyhow::Result<Vec<(Day, Activity)>> {
        let filter = doc! { "scope": scope, "day": { "$gte": from.0, "$lte": to.0 } };
        let found = self.activity.find(filter).sort(doc! { "day": 1 }).await?;
        let docs: Vec<Document> = found.try_collect().await?;
        Ok(docs.iter().map(|d| (Day(d.get_i32("day").unwrap_or_default()), activity_of(d))).collect())
    }

    async fn searches(&self, from: Day, to: Day, limit: usize, empty_only: bool) -> anyhow::Result<Vec<Searched>> {
        let found = self.searches.find(doc! { "day": { "$gte": from.0, "$lte": to.0 } }).await?;
        let docs: Vec<Document> = found.try_collect().await?;
        let get = |d: &Document, name: &str| d.get_i64(name).or_else(|_| d.get_i32(name).map(i64::from)).unwrap_or(0);
        let counts =
            docs.iter().map(|d| (d.get_str("query").unwrap_or_default().to_owned(), get(d, "times"), get(d, "empty")));
        Ok(most_searched(counts.collect::<Vec<_>>(), limit, empty_only))
    }

    async fn products(&self, ids: &[String]) -> anyhow::Result<Vec<Product>> {
        let found: Vec<ProductDoc> = self.products.find(doc! { "_id": { "$in": ids } }).await?.try_collect().await?;
        Ok(found.into_iter().map(|p| Product { id: p.id, name: p.name, vendor_id: p.vendor_id }).collect())
    }

    async fn rebuild(&self) -> anyhow::Result<Option<Rebuild>> {
        let found = self.rebuilds.find_one(doc! { "_id": LAST_REBUILD }).await?;
        Ok(found.map(|d| d.rebuild))
    }

    async fn note_rebuild(&self, rebuild: &Rebuild) -> anyhow::Result<()> {
        let noted = RebuildDoc { id: LAST_REBUILD.to_owned(), rebuild: rebuild.clone() };
        self.rebuilds.replace_one(doc! { "_id": LAST_REBUILD }, noted).upsert(true).await?;
        Ok(())
    }

    async fn clear_orders(&self) -> anyhow::Result<()> {
        for name in ["rollups", "customers"] {
            self.db.collection::<Document>(name).delete_many(doc! {}).await?;
        }
        self.applied.delete_many(doc! { "_id": { "$regex": format!("^{ORDER_FACT}") } }).await?;
        let customers =
            doc! { "$set": { "new_customers": 0_i64, "returning_customers": 0_i64, "repeat_customers": 0_i64 } };
        self.activity.update_many(doc! {}, customers).await?;
        Ok(())
    }
}
