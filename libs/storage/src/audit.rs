//! The queries a service sends to MongoDB, recorded by shape for an index audit: with
//! `SHOP_BACKENDS__MONGO_QUERY_LOG=<file>`, each query (find, count, aggregate's first `$match`,
//! the filter of an update, delete or find-and-modify) is appended to the file as a JSON
//! line `{db, collection, op, filter, sort}`. Values in filters are replaced by
//! placeholders of their type (a string by `"?"`, a number by 0, a date by the epoch), so
//! the file holds no data — only what MongoDB needs to choose an index.

use std::{io::Write, sync::Mutex};

use mongodb::{
    bson::{Bson, Document},
    event::{EventHandler, command::CommandEvent},
};

/// The setting naming the file queries are recorded in.
pub const QUERY_LOG: &str = "SHOP_BACKENDS__MONGO_QUERY_LOG";

/// One query as recorded.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Query {
    pub db: String,
    pub collection: String,
    /// The command it came in: `find`, `count`, `aggregate`, `update`, `delete`,
    /// `findAndModify`, `distinct`.
    pub op: String,
    /// Relaxed extended JSON of the filter, values replaced by placeholders.
    pub filter: serde_json::Value,
    pub sort: serde_json::Value,
}

/// A recorder appending to the file at `path`.
pub fn recorder(path: &str) -> std::io::Result<EventHandler<CommandEvent>> {
    let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    let file = Mutex::new(std::io::BufWriter::new(file));
    tracing::info!(path, "recording MongoDB query shapes");
    Ok(EventHandler::callback(move |event| {
        let CommandEvent::Started(started) = event else { return };
        for query in queries(&started.db, &started.command_name, &started.command) {
            if let Ok(mut line) = serde_json::to_vec(&query) {
                line.push(b'\n');
                let mut file = file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let _ = file.write_all(&line).and_then(|()| file.flush());
            }
        }
    }))
}

/// The queries one command holds (an update or delete may hold several).
pub fn queries(db: &str, op: &str, command: &Document) -> Vec<Query> {
    let Ok(collection) = command.get_str(op) else { return Vec::new() };
    let query = |filter: Option<&Document>, sort: Option<&Document>| Query {
        db: db.to_owned(),
        collection: collection.to_owned(),
        op: op.to_owned(),
        filter: Bson::Document(filter.map(placeholders).unwrap_or_default()).into_relaxed_extjson(),
        sort: Bson::Document(sort.cloned().unwrap_or_default()).into_relaxed_extjson(),
    };
    let each = |list: &str, key: &str| -> Vec<Query> {
        command
            .get_array(list)
            .map(|items| {
                items.iter().filter_map(Bson::as_document).map(|d| query(d.get_document(key).ok(), None)).collect()
            })
            .unwrap_or_default()
    };
    match op {
        "find" => vec![query(command.get_document("filter").ok(), command.get_document("sort").ok())],
        "count" | "distinct" => vec![query(command.get_document("query").ok(), None)],
        "findAndModify" => vec![query(command.get_document("query").ok(), command.get_document("sort").ok())],
        "update" => each("updates", "q"),
        "delete" => each("deletes", "q"),
        "aggregate" => {
            let stages: Vec<&Document> = command
                .get_array("pipeline")
                .map(|p| p.iter().filter_map(Bson::as_document).collect())
                .unwrap_or_default();
            let matched = stages.first().and_then(|s| s.get_document("$match").ok());
            let sort = stages.iter().find_map(|s| s.get_document("$sort").ok());
            vec![query(matched, sort)]
        }
        _ => Vec::new(),
    }
}

/// `filter` with every value a placeholder of its type (operators and structure kept).
pub fn placeholders(filter: &Document) -> Document {
    filter.iter().map(|(k, v)| (k.clone(), placeholder(v))).collect()
}

fn placeholder(value: &Bson) -> Bson {
    match value {
        Bson::Document(d) => Bson::Document(placeholders(d)),
        Bson::Array(items) => Bson::Array(items.iter().map(placeholder).collect()),
        Bson::String(_) => Bson::String("?".into()),
        Bson::Int32(_) => Bson::Int32(0),
        Bson::Int64(_) => Bson::Int64(0),
        Bson::Double(_) => Bson::Double(0.0),
        Bson::DateTime(_) => Bson::DateTime(mongodb::bson::DateTime::from_millis(0)),
        Bson::Binary(b) => Bson::Binary(mongodb::bson::Binary { subtype: b.subtype, bytes: Vec::new() }),
        Bson::ObjectId(_) => Bson::ObjectId(mongodb::bson::oid::ObjectId::from_bytes([0; 12])),
        other => other.clone(),
    }
}

/// The fields a filter constrains at its top level, each `$and` branch's too, and for an
/// `$or` the fields every branch constrains (what an index must lead with to serve it).
pub fn constrained(filter: &Document) -> Vec<String> {
    let mut fields = Vec::new();
    for (key, value) in filter {
        match (key.as_str(), value) {
            ("$and", Bson::Array(branches)) => {
                for branch in branches.iter().filter_map(Bson::as_document) {
                    fields.extend(constrained(branch));
                }
            }
            ("$or", Bson::Array(branches)) => {
                let each: Vec<Vec<String>> = branches.iter().filter_map(Bson::as_document).map(constrained).collect();
                if let Some(first) = each.first() {
                    fields.extend(first.iter().filter(|f| each.iter().all(|b| b.contains(f))).cloned());
                }
            }
            (key, _) if key.starts_with('$') => {}
            (key, _) => fields.push(key.to_owned()),
        }
    }
    fields.sort();
    fields.dedup();
    fields
}

/// Whether an index with `keys` can serve a query on `filter` sorted by `sort`: it leads
/// with a field the filter constrains, or (an unfiltered query) with the sort's first field.
pub fn serves(keys: &Document, filter: &Document, sort: &Document) -> bool {
    let Some(lead) = keys.keys().next() else { return false };
    let fields = constrained(filter);
    if fields.is_empty() { sort.keys().next() == Some(lead) } else { fields.iter().any(|f| f == lead) }
}

#[cfg(test)]
mod tests {
    use mongodb::bson::doc;

    use super::*;

    #[test]
    fn a_command_becomes_query_shapes_without_its_values() {
        let find = doc! { "find": "orders", "filter": { "user_id": "u-1", "created": { "$gt": 5_i64 } }, "sort": { "_id": -1 } };
        let [q] = queries("shop_order", "find", &find).try_into().unwrap();
        assert_eq!(q.collection, "orders");
        assert_eq!(q.filter, serde_json::json!({ "user_id": "?", "created": { "$gt": 0 } }));
        assert_eq!(q.sort, serde_json::json!({ "_id": -1 }));
        let update = doc! { "update": "stock", "updates": [ { "q": { "_id": "SKU-1", "low": 0 }, "u": { "$set": { "low": 1 } } } ] };
        assert_eq!(queries("db", "update", &update)[0].filter, serde_json::json!({ "_id": "?", "low": 0 }));
        let keyset = doc! { "$or": [ { "at": { "$lt": 1_i64 } }, { "at": 1_i64, "_id": { "$lt": "x" } } ], "sku": "A" };
        assert_eq!(constrained(&keyset), ["at", "sku"]);
        assert!(serves(&doc! { "sku": 1, "at": -1 }, &keyset, &doc! { "at": -1 }));
        assert!(!serves(&doc! { "vendor_id": 1 }, &keyset, &doc! {}));
        assert!(serves(&doc! { "_id": 1 }, &doc! {}, &doc! { "_id": 1 }));
    }
}
