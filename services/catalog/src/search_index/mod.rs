//! The catalog's search engine: an in-memory tantivy index of the products, the read model
//! searches are answered from (the product store stays the truth; the index is built from
//! it and kept current from its changes).
//!
//! Text is matched per word in the name, tags and description (weighted 10 / 5 / 1), each
//! word also with one or two typos (by its length) and the last one as a prefix (search as
//! you type); a match has every word (somewhere), or — when nothing has them all — one at
//! least; filters (categories, tag, price range, in stock, who may see drafts) and sorts
//! (relevance, price, newest, rating) run on the index's own columns, so a search costs what
//! its page costs, not what the catalog holds.
//!
//! Typos and prefixes are looked for in names and tags (short, chosen words), not in
//! descriptions, whose large vocabulary would make every word match something. What a
//! search found is kept until the index next changes (the answers of one index
//! generation are exact), so a popular search costs its first asking only.

mod facets;
mod memo;
mod query;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

pub use facets::{Facets, PriceBand};
use memo::{Answer, FOUND_CAPACITY, Found};
use query::{Words, all_else_any};

use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument, Term,
    collector::{Count, TopDocs},
    query::{BooleanQuery, Occur, Query, TermQuery},
    schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TEXT, Value},
};

use crate::domain::{
    Product, ProductId, ProductStatus,
    search::{SearchQuery, SearchSort},
};

/// Memory the writer may buffer before it flushes a segment.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    /// The id's UUID as two columns (read per hit without touching the stored documents).
    id_high: Field,
    id_low: Field,
    name: Field,
    tags: Field,
    description: Field,
    tag: Field,
    category: Field,
    /// `name=value` of each attribute.
    attribute: Field,
    vendor: Field,
    status: Field,
    price: Field,
    in_stock: Field,
    created: Field,
    rating: Field,
}

pub struct SearchIndex {
    writer: Mutex<IndexWriter>,
    reader: IndexReader,
    fields: Fields,
    /// Changes not yet committed (what [`SearchIndex::refresh`] looks at).
    dirty: AtomicBool,
    found: Mutex<Found>,
    /// Answers kept per generation (0: none).
    keep: usize,
}

/// How often an index's pending changes are made visible (see
/// [`crate::storage::IndexedProducts`]).
pub const REFRESH: Duration = Duration::from_millis(100);

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        id_high: b.add_u64_field("id_high", FAST),
        id_low: b.add_u64_field("id_low", FAST),
        name: b.add_text_field("name", TEXT | STORED),
        tags: b.add_text_field("tags", TEXT),
        description: b.add_text_field("description", TEXT),
        tag: b.add_text_field("tag", STRING | FAST),
        category: b.add_text_field("category", STRING | FAST),
        attribute: b.add_text_field("attribute", STRING | FAST),
        vendor: b.add_text_field("vendor", STRING),
        status: b.add_text_field("status", STRING),
        price: b.add_i64_field("price", INDEXED | FAST),
        in_stock: b.add_bool_field("in_stock", INDEXED | FAST),
        created: b.add_i64_field("created", FAST),
        rating: b.add_f64_field("rating", FAST),
    };
    (b.build(), fields)
}

impl SearchIndex {
    /// An empty index.
    pub fn new() -> tantivy::Result<Self> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Self {
            writer: Mutex::new(writer),
            reader,
            fields,
            dirty: AtomicBool::new(false),
            found: Mutex::default(),
            keep: FOUND_CAPACITY,
        })
    }

    /// This index keeping at most `answers` answers per generation (0: every search is
    /// worked out anew, as when measuring the engine itself).
    #[must_use]
    pub fn keeping(mut self, answers: usize) -> Self {
        self.keep = answers;
        self
    }

    /// Adds `product`, or replaces what the index held of it. Seen by searches after the
    /// next [`SearchIndex::commit`].
    pub fn upsert(&self, product: &Product) -> tantivy::Result<()> {
        let f = self.fields;
        let mut doc = TantivyDocument::default();
        let id = product.id.to_string();
        doc.add_text(f.id, &id);
        let (high, low) = product.id.as_uuid().as_u64_pair();
        doc.add_u64(f.id_high, high);
        doc.add_u64(f.id_low, low);
        doc.add_text(f.name, &product.name);
        doc.add_text(f.description, &product.description);
        for tag in &product.tags {
            doc.add_text(f.tags, tag);
            doc.add_text(f.tag, tag);
        }
        if let Some(category) = &product.category_id {
            doc.add_text(f.category, category);
        }
        for (name, value) in &product.attributes {
            doc.add_text(f.attribute, format!("{name}={value}"));
        }
        doc.add_text(f.vendor, &product.vendor_id);
        doc.add_text(f.status, product.status.as_str());
        doc.add_i64(f.price, product.min_price());
        doc.add_bool(f.in_stock, product.in_stock() == Some(true));
        doc.add_i64(f.created, product.created_at.unix_timestamp_nanos().try_into().unwrap_or(i64::MAX));
        doc.add_f64(f.rating, product.rating.average());
        let writer = shop_platform::lock(&self.writer);
        writer.delete_term(Term::from_field_text(f.id, &id));
        writer.add_document(doc)?;
        self.dirty.store(true, Ordering::Release);
        Ok(())
    }

    /// Forgets a product (after the next commit).
    pub fn remove(&self, id: ProductId) {
        let writer = shop_platform::lock(&self.writer);
        writer.delete_term(Term::from_field_text(self.fields.id, &id.to_string()));
        self.dirty.store(true, Ordering::Release);
    }

    /// Makes every change so far visible to searches.
    pub fn commit(&self) -> tantivy::Result<()> {
        self.dirty.store(false, Ordering::Release);
        shop_platform::lock(&self.writer).commit()?;
        self.reader.reload()
    }

    /// Commits if anything changed since the last commit; whether it did.
    pub fn refresh(&self) -> tantivy::Result<bool> {
        if !self.dirty.load(Ordering::Acquire) {
            return Ok(false);
        }
        self.commit()?;
        Ok(true)
    }

    /// The ids of a page of matching products, in order, and the number of matches.
    pub fn search(&self, q: &SearchQuery) -> tantivy::Result<(Vec<ProductId>, u64)> {
        let searcher = self.reader.searcher();
        let answer = self.recall(&searcher, format!("search {q:?}"), || {
            Ok(Answer::Page(Arc::new(self.search_now(&searcher, q)?)))
        })?;
        match answer {
            Answer::Page(page) => Ok((*page).clone()),
            _ => Err(tantivy::TantivyError::InternalError("a search kept as something else".into())),
        }
    }

    fn search_now(&self, searcher: &Searcher, q: &SearchQuery) -> tantivy::Result<(Vec<ProductId>, u64)> {
        let (total, page) = all_else_any(q, |mode| self.page(searcher, q, mode))?;
        Ok((self.ids(searcher, &page)?, total as u64))
    }

    /// The hits of a page of `q`'s matches (`mode` of its words), and how many match.
    fn page(&self, searcher: &Searcher, q: &SearchQuery, mode: Words) -> tantivy::Result<(usize, Vec<DocAddress>)> {
        let query = self.query(q, mode);
        let limit = usize::try_from(q.limit).unwrap_or(usize::MAX).max(1);
        let offset = usize::try_from(q.offset).unwrap_or(usize::MAX);
        let top = TopDocs::with_limit(limit).and_offset(offset);
        let (total, page): (usize, Vec<DocAddress>) = match q.sort {
            SearchSort::Relevance if !q.terms.is_empty() => {
                let (n, hits) = searcher.search(&query, &(Count, top.order_by_score()))?;
                (n, hits.into_iter().map(|(_, a)| a).collect())
            }
            SearchSort::Relevance | SearchSort::Newest => {
                by_field::<i64>(searcher, &query, top, "created", Order::Desc)?
            }
            SearchSort::PriceAsc => by_field::<i64>(searcher, &query, top, "price", Order::Asc)?,
            SearchSort::PriceDesc => by_field::<i64>(searcher, &query, top, "price", Order::Desc)?,
            SearchSort::Rating => by_field::<f64>(searcher, &query, top, "rating", Order::Desc)?,
        };
        Ok((total, page))
    }

    /// The product ids of `hits`, from the id columns.
    fn ids(&self, searcher: &Searcher, hits: &[DocAddress]) -> tantivy::Result<Vec<ProductId>> {
        let mut ids = Vec::with_capacity(hits.len());
        for hit in hits {
            let columns = searcher.segment_reader(hit.segment_ord).fast_fields();
            let (high, low) = (columns.u64("id_high")?.first(hit.doc_id), columns.u64("id_low")?.first(hit.doc_id));
            if let (Some(high), Some(low)) = (high, low) {
                ids.push(ProductId::from_uuid(uuid::Uuid::from_u64_pair(high, low)));
            }
        }
        Ok(ids)
    }

    /// Search as you type: the names of the public products that best match what has been
    /// typed so far (in their names and tags; the last word taken as the start of a word),
    /// best first.
    pub fn suggest(&self, typed: &str, limit: usize) -> tantivy::Result<Vec<(ProductId, String)>> {
        let q = SearchQuery::words(typed);
        if q.terms.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let answer = self.recall(&searcher, format!("suggest {limit} {:?}", q.terms), || {
            Ok(Answer::Suggestions(Arc::new(self.suggest_now(&searcher, &q, limit)?)))
        })?;
        match answer {
            Answer::Suggestions(names) => Ok((*names).clone()),
            _ => Err(tantivy::TantivyError::InternalError("suggestions kept as something else".into())),
        }
    }

    fn suggest_now(
        &self,
        searcher: &Searcher,
        q: &SearchQuery,
        limit: usize,
    ) -> tantivy::Result<Vec<(ProductId, String)>> {
        let f = self.fields;
        let (_, hits) = all_else_any(q, |mode| {
            let query = BooleanQuery::new(vec![
                (Occur::Must, Box::new(self.text(&q.terms, false, mode)) as Box<dyn Query>),
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.status, ProductStatus::Active.as_str()),
                        IndexRecordOption::Basic,
                    )),
                ),
            ]);
            let hits = searcher.search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
            Ok((hits.len(), hits))
        })?;
        let addresses: Vec<DocAddress> = hits.iter().map(|(_, a)| *a).collect();
        let ids = self.ids(searcher, &addresses)?;
        let mut names = Vec::with_capacity(hits.len());
        for (id, address) in ids.into_iter().zip(addresses) {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(name) = doc.get_first(f.name).and_then(|v| v.as_str()) {
                names.push((id, name.to_owned()));
            }
        }
        Ok(names)
    }
}

fn by_field<T>(
    searcher: &Searcher,
    query: &dyn Query,
    top: TopDocs,
    field: &str,
    order: Order,
) -> tantivy::Result<(usize, Vec<DocAddress>)>
where
    T: tantivy::fastfield::FastValue,
    tantivy::collector::sort_key::ComparatorEnum: tantivy::collector::sort_key::Comparator<Option<T>>,
{
    let (n, hits) = searcher.search(query, &(Count, top.order_by_fast_field::<T>(field, order)))?;
    Ok((n, hits.into_iter().map(|(_, a)| a).collect()))
}
