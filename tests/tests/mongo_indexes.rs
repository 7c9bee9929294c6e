//! Every query the services send to MongoDB is served by an index. The fleet runs a day of
//! shop work (sign-ups, browsing, carts, checkouts, cancels and refunds, reviews, staff
//! lists, imports) with each service recording its queries' shapes
//! (`SHOP_BACKENDS__MONGO_QUERY_LOG`); then each shape is checked against the collection's indexes,
//! and on a real MongoDB also against the plan the server chooses for it (`explain`: no
//! collection scan).
//!
//! The test stand-in's planner uses only single-field indexes and reports its plans in
//! its own words: there, a shape passes by the index rule alone (an index leading with a
//! field the query constrains, or with its sort field when it constrains none), and the
//! server's verdict is printed where it can give one.

use std::collections::{BTreeMap, BTreeSet};

use futures::TryStreamExt;
use serde_json::json;
use shop_e2e::{
    commerce::{self, Shop, vendor},
    fleet::{Fleet, Options},
};
use shop_storage::{
    audit::{QUERY_LOG, Query, serves},
    mongodb::bson::{Bson, Document, doc},
};
use shop_test_support::mongo_url;

/// Services with a database of their own.
const STORED: [&str; 5] = ["identity", "catalog", "inventory", "order", "payment"];
/// Collections read whole by design, each a handful of documents.
const SMALL: [&str; 1] = [
    // Identity's token signing keys: the current one and those rotated out, kept while
    // tokens they signed live.
    "signing_keys",
];

/// Whether `filter` finds its documents by `_id` (equal, one of, or a range of).
fn by_id(filter: &Document) -> bool {
    match filter.get("_id") {
        Some(Bson::Document(ops)) => {
            ops.keys().all(|op| ["$eq", "$in", "$gt", "$gte", "$lt", "$lte"].contains(&op.as_str()))
        }
        Some(_) => true,
        None => false,
    }
}

/// What the shop does while its queries are recorded: enough to send every query the
/// services have.
async fn a_day_of_shop_work(fleet: &Fleet) {
    let api = &fleet.api;
    let admin = fleet.admin().await;
    let shop = Shop::new(api, admin.clone(), &fleet.services());
    commerce::checkout_and_lifecycle(&shop).await;
    commerce::declined_payment_is_compensated(&shop).await;

    let seller = vendor(api, &admin).await;
    let prefix = format!("IX{}", &uuid::Uuid::now_v7().simple().to_string()[24..]).to_uppercase();
    let products = format!(
        "sku,name,status,price,currency\n{prefix}-1,Index Jar,active,500,EUR\n{prefix}-2,Index Lid,active,100,EUR\n"
    );
    assert_eq!(
        api.upload("/api/v1/admin/products/import", Some(&seller), "text/csv", products.into_bytes()).await.status,
        200
    );
    let stock = format!("sku,on_hand,low_stock_threshold\n{prefix}-1,3,5\n");
    api.upload("/api/v1/admin/inventory/import", Some(&seller), "text/csv", stock.into_bytes()).await;
    api.get("/api/v1/admin/products/export?format=ndjson", Some(&seller)).await;

    let (_, password, session) = api.register_customer().await;
    let shopper = session["access_token"].as_str().unwrap().to_owned();
    let product =
        api.get("/api/v1/products?per_page=1", None).await.body["items"][0]["id"].as_str().unwrap().to_owned();
    let review = api
        .post(&format!("/api/v1/products/{product}/reviews"), Some(&shopper), json!({"rating": 4, "comment": "fine"}))
        .await;
    if let Some(id) = review.body["id"].as_str() {
        api.post(&format!("/api/v1/reviews/{id}/helpful"), Some(&admin), json!({})).await;
    }
    for path in [
        format!("/api/v1/products/{product}/reviews?sort=helpful"),
        format!("/api/v1/products/{product}/reviews?sort=newest"),
        "/api/v1/products?q=kettle&facets=true".to_owned(),
        "/api/v1/categories".to_owned(),
    ] {
        assert_eq!(api.get(&path, None).await.status, 200, "{path}");
    }
    // Lists walked to a second page by cursor, as staff and customers do.
    for (path, who) in [
        ("/api/v1/admin/orders?per_page=1", &admin),
        ("/api/v1/admin/users?per_page=1", &admin),
        ("/api/v1/admin/inventory/alerts?per_page=1", &admin),
        ("/api/v1/admin/inventory/alerts?per_page=1", &seller),
        ("/api/v1/orders?per_page=1", &shopper),
    ] {
        let first = api.get(path, Some(who)).await;
        assert_eq!(first.status, 200, "{path}: {}", first.text);
        if let Some(next) = first.body["next_cursor"].as_str() {
            assert_eq!(api.get(&format!("{path}&cursor={next}"), Some(who)).await.status, 200);
        }
    }
    let ledger = format!("/api/v1/inventory/{prefix}-1/ledger?per_page=1");
    let first = api.get(&ledger, Some(&seller)).await.body;
    if let Some(next) = first["next_cursor"].as_str() {
        api.get(&format!("{ledger}&cursor={next}"), Some(&seller)).await;
    }
    assert_eq!(api.get("/api/v1/me", Some(&shopper)).await.status, 200);
    let change = json!({"current_password": password, "new_password": "another passphrase"});
    assert_eq!(api.post("/api/v1/me/password", Some(&shopper), change).await.status, 200);
}

/// (operation, filter, sort) of each shape of query a collection was sent, by (database,
/// collection).
type Shapes = BTreeMap<(String, String), BTreeSet<(String, String, String)>>;

/// The recorded queries, each shape once.
fn shapes(logs: &[std::path::PathBuf]) -> Shapes {
    let mut shapes = Shapes::new();
    for log in logs {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        for line in text.lines() {
            let q: Query = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            shapes.entry((q.db, q.collection)).or_default().insert((q.op, q.filter.to_string(), q.sort.to_string()));
        }
    }
    shapes
}

fn document(json: &str) -> Document {
    let value: serde_json::Value = serde_json::from_str(json).expect("json");
    match Bson::try_from(value).expect("bson") {
        Bson::Document(d) => d,
        _ => Document::new(),
    }
}

/// The stages of a real MongoDB plan (`None` from the stand-in, whose plans are lists of
/// its own words).
fn stages(plan: &Bson, out: &mut Vec<String>) -> Option<()> {
    let plan = plan.as_document()?;
    if let Ok(stage) = plan.get_str("stage") {
        out.push(stage.to_owned());
    }
    for key in ["inputStage", "queryPlan"] {
        if let Some(inner) = plan.get(key) {
            stages(inner, out);
        }
    }
    if let Ok(inputs) = plan.get_array("inputStages") {
        for inner in inputs {
            stages(inner, out);
        }
    }
    Some(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_the_services_send_is_served_by_an_index() {
    let _one = Fleet::exclusive().await;
    let dir = std::env::temp_dir().join(shop_test_support::unique("queries"));
    std::fs::create_dir_all(&dir).unwrap();
    let logs: Vec<std::path::PathBuf> = STORED.iter().map(|s| dir.join(format!("{s}.jsonl"))).collect();
    let env = STORED.iter().zip(&logs).map(|(s, log)| (*s, QUERY_LOG, log.display().to_string())).collect();
    let fleet = Fleet::start(Options { env, ..Options::default() }).await;
    a_day_of_shop_work(&fleet).await;
    fleet.stop(&[]);

    let shapes = shapes(&logs);
    assert!(shapes.len() >= 10, "the services' queries were recorded: {shapes:?}");
    let client = shop_storage::connect(&mongo_url(), "admin").await.expect("MongoDB").client().clone();
    let (mut unserved, mut report) = (Vec::new(), Vec::new());
    for ((db, collection), queries) in &shapes {
        let db = client.database(db);
        let indexes: Vec<Document> = db
            .collection::<Document>(collection)
            .list_indexes()
            .await
            .expect("list indexes")
            .map_ok(|index| index.keys)
            .try_collect()
            .await
            .expect("indexes");
        for (op, filter, sort) in queries {
            let (filter_doc, sort_doc) = (document(filter), document(sort));
            // A whole collection read in `_id` order, or counted: served by what every
            // collection has.
            let whole = filter_doc.is_empty() && (sort_doc.is_empty() || sort_doc.keys().all(|k| k == "_id"));
            let by_id = by_id(&filter_doc) || (filter_doc.is_empty() && SMALL.contains(&collection.as_str()));
            let index = indexes.iter().find(|keys| serves(keys, &filter_doc, &sort_doc));
            let explained = db
                .run_command(
                    doc! { "explain": { "find": collection, "filter": filter_doc.clone(), "sort": sort_doc.clone() } },
                )
                .await;
            let plan = explained.ok().and_then(|e| e.get_document("queryPlanner").ok()?.get("winningPlan").cloned());
            let mut seen = Vec::new();
            let server = plan.as_ref().and_then(|p| stages(p, &mut seen)).map(|()| seen.join(">"));
            let scans = server.as_ref().is_some_and(|s| s.contains("COLLSCAN")) && !whole;
            let verdict = match (whole || by_id, index, scans) {
                (_, _, true) => "COLLECTION SCAN",
                (true, ..) => "by _id",
                (false, Some(_), _) => "index",
                (false, None, _) => "NO INDEX",
            };
            let plan =
                server.unwrap_or_else(|| format!("stand-in: {}", plan.map(|p| p.to_string()).unwrap_or_default()));
            report.push(format!("{verdict:>15}  {collection}.{op} {filter} sort {sort}  [{plan}]"));
            if verdict == "COLLECTION SCAN" || verdict == "NO INDEX" {
                unserved.push(format!("{}.{collection} {op} {filter} sort {sort}", db.name()));
            }
        }
    }
    println!("{}", report.join("\n"));
    assert!(unserved.is_empty(), "queries no index serves:\n{}", unserved.join("\n"));
}
