//! How a search reads as a tantivy query: its words in the weighted text fields (typos and
//! prefixes in names and tags), and its filters on the index's own columns.

use std::ops::Bound;

use tantivy::{
    Term,
    query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery},
    schema::{Field, IndexRecordOption},
};

use super::SearchIndex;
use crate::domain::{
    ProductStatus,
    search::{DESCRIPTION_WEIGHT, NAME_WEIGHT, SearchQuery, TAG_WEIGHT, Visibility},
};

impl SearchIndex {
    pub(super) fn query(&self, q: &SearchQuery, mode: Words) -> BooleanQuery {
        let f = self.fields;
        let term = |field: Field, text: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::Basic))
        };
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !q.terms.is_empty() {
            must.push((Occur::Must, Box::new(self.text(&q.terms, true, mode))));
        }
        match &q.visibility {
            Visibility::Public => must.push((Occur::Must, term(f.status, ProductStatus::Active.as_str()))),
            Visibility::Vendor(me) => must.push((
                Occur::Must,
                Box::new(BooleanQuery::new(vec![
                    (Occur::Should, term(f.status, ProductStatus::Active.as_str())),
                    (Occur::Should, term(f.vendor, me)),
                ])),
            )),
            Visibility::Admin => {}
        }
        if let Some(categories) = &q.categories {
            let any = categories.iter().map(|c| (Occur::Should, term(f.category, &c.to_string()))).collect();
            must.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if let Some(tag) = &q.tag {
            must.push((Occur::Must, term(f.tag, tag)));
        }
        if let Some(vendor) = &q.vendor {
            must.push((Occur::Must, term(f.vendor, vendor)));
        }
        for (name, value) in &q.attributes {
            must.push((Occur::Must, term(f.attribute, &format!("{name}={value}"))));
        }
        if q.min_price.is_some() || q.max_price.is_some() {
            let bound =
                |b: Option<i64>| b.map_or(Bound::Unbounded, |v| Bound::Included(Term::from_field_i64(f.price, v)));
            must.push((Occur::Must, Box::new(RangeQuery::new(bound(q.min_price), bound(q.max_price)))));
        }
        if q.in_stock {
            let yes = Term::from_field_bool(f.in_stock, true);
            must.push((Occur::Must, Box::new(TermQuery::new(yes, IndexRecordOption::Basic))));
        }
        if must.is_empty() {
            must.push((Occur::Must, Box::new(tantivy::query::AllQuery)));
        }
        BooleanQuery::new(must)
    }

    /// All (or any) of `words`, each in the name, tags or (`descriptions`) description:
    /// exactly (weighted by field) and, in names and tags, with a typo or two (a fraction
    /// of that) and the last word also as a prefix.
    pub(super) fn text(&self, words: &[String], descriptions: bool, mode: Words) -> BooleanQuery {
        let f = self.fields;
        let weighted = [(f.name, NAME_WEIGHT), (f.tags, TAG_WEIGHT), (f.description, DESCRIPTION_WEIGHT)];
        let weighted = if descriptions { &weighted[..] } else { &weighted[..2] };
        let mut each: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (i, word) in words.iter().enumerate() {
            let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            let last = i + 1 == words.len();
            let typos: u8 = match word.chars().count() {
                0..=3 => 0,
                4..=7 => 1,
                _ => 2,
            };
            for &(field, weight) in weighted {
                let weight = weight as f32;
                let exact = Term::from_field_text(field, word);
                any.push((Occur::Should, boost(TermQuery::new(exact.clone(), IndexRecordOption::WithFreqs), weight)));
                if field == f.description {
                    continue; // exact words only: see the module's notes
                }
                if typos > 0 {
                    any.push((Occur::Should, boost(FuzzyTermQuery::new(exact.clone(), typos, true), weight * 0.3)));
                }
                if last && word.chars().count() >= 2 {
                    any.push((Occur::Should, boost(FuzzyTermQuery::new_prefix(exact, 0, true), weight * 0.5)));
                }
            }
            let occur = match mode {
                Words::All => Occur::Must,
                Words::Any => Occur::Should,
            };
            each.push((occur, Box::new(BooleanQuery::new(any))));
        }
        BooleanQuery::new(each)
    }
}
/// How the words of a search combine.
#[derive(Clone, Copy)]
pub(super) enum Words {
    /// A match has every word (in some field).
    All,
    /// A match has one word at least.
    Any,
}

/// `ask`'s answer (how many matched, and what) with every word required — or, when
/// nothing has them all, with any: a shopper's several words narrow a search down, and a
/// search that nothing matches whole still finds what matches part of it.
pub(super) fn all_else_any<T>(
    q: &SearchQuery,
    ask: impl Fn(Words) -> tantivy::Result<(usize, T)>,
) -> tantivy::Result<(usize, T)> {
    let found = ask(Words::All)?;
    if found.0 == 0 && q.terms.len() > 1 { ask(Words::Any) } else { Ok(found) }
}

fn boost(query: impl Query, by: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(Box::new(query), by))
}
