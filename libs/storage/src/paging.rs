//! Pages of growing lists by keyset: the next page is sought after the last item's sort
//! key, through the store's order, skipping nothing; the same pages from MongoDB and memory.

use mongodb::{
    Collection,
    bson::{Document, doc},
};

/// Where a page of a growing list starts: right after the item whose sort value and id
/// these are (a keyset: the store seeks there through its index, skipping nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct After {
    /// The value of the list's sort field (an integer; a date as Unix milliseconds), when
    /// it is sorted by one before its id.
    pub value: Option<i64>,
    /// The item's `_id` (a UUID's text, a SKU: ordered as its bytes, as MongoDB orders
    /// strings).
    pub id: String,
}

/// How a list is ordered: by a field then `_id`, or by `_id` alone, one way.
#[derive(Debug, Clone, Copy)]
pub struct Order {
    pub field: Option<(&'static str, Kind)>,
    pub descending: bool,
}

/// What a sort field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Date,
}

impl Order {
    pub const fn by_id(descending: bool) -> Self {
        Self { field: None, descending }
    }

    pub const fn by(field: &'static str, kind: Kind, descending: bool) -> Self {
        Self { field: Some((field, kind)), descending }
    }

    fn sort(&self) -> Document {
        let way = if self.descending { -1 } else { 1 };
        match self.field {
            Some((field, _)) => doc! { field: way, "_id": way },
            None => doc! { "_id": way },
        }
    }

    /// Items strictly after `after` in this order.
    fn beyond(&self, after: &After) -> Document {
        let op = if self.descending { "$lt" } else { "$gt" };
        let id = after.id.as_str();
        match (self.field, after.value) {
            (Some((field, kind)), Some(value)) => {
                let value = match kind {
                    Kind::Int => mongodb::bson::Bson::Int64(value),
                    Kind::Date => mongodb::bson::Bson::DateTime(mongodb::bson::DateTime::from_millis(value)),
                };
                doc! { "$or": [ { field: { op: value.clone() } }, { field: value, "_id": { op: id } } ] }
            }
            _ => doc! { "_id": { op: id } },
        }
    }

    /// The keyset of a stored document in this order.
    fn after(&self, document: &Document) -> Option<After> {
        let id = document.get_str("_id").ok()?.to_owned();
        let value = match self.field {
            None => None,
            Some((field, _)) => Some(match document.get(field)? {
                mongodb::bson::Bson::Int32(v) => i64::from(*v),
                mongodb::bson::Bson::Int64(v) => *v,
                mongodb::bson::Bson::DateTime(v) => v.timestamp_millis(),
                // The test stand-in may hand a date back as its text.
                mongodb::bson::Bson::String(text) => {
                    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
                    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()?
                }
                _ => return None,
            }),
        };
        Some(After { value, id })
    }
}

/// Where a page starts: after some items (a page number; bounded by the caller), or after
/// a keyset (a cursor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    Offset(u64),
    After(After),
}

/// A page of a list: its items, how many match in all, and where the next page starts
/// (`None` on the last).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub next: Option<After>,
}

/// One page of the documents matching `filter` in `order`, from `start`. An empty filter
/// is counted from the collection's metadata, so a page of a whole collection reads no
/// more than the page.
pub async fn page<T>(
    collection: &Collection<T>,
    filter: Document,
    order: Order,
    start: Start,
    limit: u64,
) -> mongodb::error::Result<Page<T>>
where
    T: serde::de::DeserializeOwned + Send + Sync,
{
    let total = if filter.is_empty() {
        collection.estimated_document_count().await?
    } else {
        collection.count_documents(filter.clone()).await?
    };
    let (filter, skip) = match start {
        Start::Offset(n) => (filter, n),
        Start::After(after) if filter.is_empty() => (order.beyond(&after), 0),
        Start::After(after) => (doc! { "$and": [filter, order.beyond(&after)] }, 0),
    };
    // One more than the page, to know whether there is a next one.
    let wanted = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
    let raw = collection.clone_with_type::<Document>();
    let mut cursor = raw.find(filter).sort(order.sort()).skip(skip).limit(wanted).await?;
    let mut documents = Vec::new();
    while cursor.advance().await? {
        documents.push(cursor.deserialize_current()?);
    }
    let more = documents.len() as u64 > limit;
    documents.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = if more { documents.last().and_then(|d| order.after(d)) } else { None };
    let items = documents
        .into_iter()
        .map(mongodb::bson::from_document)
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| mongodb::error::Error::custom(e.to_string()))?;
    Ok(Page { items, total, next })
}

/// A page of `items` held in memory (already filtered), in the order `key` gives (a sort
/// value and the id; reversed when `descending`): what an embedded store answers, the
/// same page as [`page`] gives from MongoDB.
pub fn page_of<T>(
    mut items: Vec<T>,
    key: impl Fn(&T) -> (Option<i64>, String),
    descending: bool,
    start: Start,
    limit: u64,
) -> Page<T> {
    let total = items.len() as u64;
    items.sort_by_cached_key(|item| key(item));
    if descending {
        items.reverse();
    }
    let beyond = |item: &T, after: &After| {
        let (value, id) = key(item);
        let (here, there) = ((value, id.as_str()), (after.value, after.id.as_str()));
        if descending { here < there } else { here > there }
    };
    let from = match start {
        Start::Offset(n) => usize::try_from(n).unwrap_or(usize::MAX),
        Start::After(after) => items.iter().position(|item| beyond(item, &after)).unwrap_or(items.len()),
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut page: Vec<T> = items.into_iter().skip(from).take(limit.saturating_add(1)).collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let next = if more {
        page.last().map(|item| {
            let (value, id) = key(item);
            After { value, id }
        })
    } else {
        None
    };
    Page { items: page, total, next }
}
