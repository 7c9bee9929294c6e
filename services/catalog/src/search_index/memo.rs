//! What searches found, kept per index generation: the answers of one generation are exact,
//! so a search asked again before the index next changes costs nothing more.

use std::{collections::HashMap, sync::Arc};

use tantivy::Searcher;

use super::{SearchIndex, facets::Facets};
use crate::domain::ProductId;

/// What searches of one index generation found, by what they asked.
#[derive(Default)]
pub(super) struct Found {
    generation: u64,
    answers: HashMap<String, Answer>,
}

#[derive(Clone)]
pub(super) enum Answer {
    Page(Arc<(Vec<ProductId>, u64)>),
    Facets(Arc<Facets>),
    Suggestions(Arc<Vec<(ProductId, String)>>),
}

/// Answers kept per generation by default; a full cache starts again empty.
pub(super) const FOUND_CAPACITY: usize = 4_096;

impl SearchIndex {
    /// What a search of `searcher`'s generation found for `key`, else `ask` (then kept).
    pub(super) fn recall(
        &self,
        searcher: &Searcher,
        key: String,
        ask: impl FnOnce() -> tantivy::Result<Answer>,
    ) -> tantivy::Result<Answer> {
        if self.keep == 0 {
            return ask();
        }
        let generation = searcher.generation().generation_id();
        {
            let found = shop_platform::lock(&self.found);
            if found.generation == generation
                && let Some(answer) = found.answers.get(&key)
            {
                return Ok(answer.clone());
            }
        }
        let answer = ask()?;
        let mut found = shop_platform::lock(&self.found);
        if found.generation < generation || found.answers.len() >= self.keep {
            found.answers.clear();
            found.generation = found.generation.max(generation);
        }
        if found.generation == generation {
            found.answers.insert(key, answer.clone());
        }
        Ok(answer)
    }
}
