//! One rule for pages: 20 items unless asked, at most 100; a page is asked for by number
//! (from 1) or by the cursor the previous page answered with (`next_cursor`), which is how
//! a client walks a whole list.
//!
//! A cursor is opaque to clients. A stored list's cursor holds the sort key of the page's
//! last item (a keyset: the next page is sought through an index, skipping nothing); a
//! search's holds the position of the next page.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use shop_platform::ApiError;
use shop_proto::common::v1::{PageInfo, PageRequest};
pub use shop_storage::{After, Page, Start};

/// A checked page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    /// Items before this page (by page number or a position cursor).
    offset: u64,
    pub per_page: u32,
    /// Where a keyset cursor said the page starts.
    after: Option<After>,
}

/// What a position cursor starts with.
const POSITION: &str = "p1.";
/// What a keyset cursor starts with: then `<sort value or nothing>.<id>` (the id may hold
/// dots; the value cannot).
const KEYSET: &str = "k1.";

impl Paging {
    pub const DEFAULT_PER_PAGE: u32 = 20;
    pub const MAX_PER_PAGE: u32 = 100;
    /// How deep page numbers reach (skipping is bounded); further, a list is walked by
    /// `next_cursor`.
    pub const MAX_PAGE_DEPTH: u64 = 10_000;

    /// Reads a page request; absent or zero values take the defaults.
    pub fn parse(page: u32, per_page: u32) -> Result<Self, ApiError> {
        let per_page = Self::per_page(per_page)?;
        let offset = u64::from(page.max(1) - 1) * u64::from(per_page);
        if offset >= Self::MAX_PAGE_DEPTH {
            let message =
                format!("page numbers reach the first {} items; go on with next_cursor", Self::MAX_PAGE_DEPTH);
            return Err(ApiError::invalid_field("page", message));
        }
        Ok(Self { offset, per_page, after: None })
    }

    /// Reads a page request given by a cursor an earlier page answered with.
    pub fn after(cursor: &str, per_page: u32) -> Result<Self, ApiError> {
        let per_page = Self::per_page(per_page)?;
        let bad = || ApiError::invalid_field("cursor", "is not a cursor this list gave");
        let text = URL_SAFE_NO_PAD.decode(cursor).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(bad)?;
        if let Some(keys) = text.strip_prefix(KEYSET) {
            let (value, id) = keys.split_once('.').ok_or_else(bad)?;
            let value = if value.is_empty() { None } else { Some(value.parse().map_err(|_| bad())?) };
            if id.is_empty() {
                return Err(bad());
            }
            let after = After { value, id: id.to_owned() };
            return Ok(Self { offset: 0, per_page, after: Some(after) });
        }
        let offset = text.strip_prefix(POSITION).and_then(|n| n.parse().ok()).ok_or_else(bad)?;
        Ok(Self { offset, per_page, after: None })
    }

    fn per_page(per_page: u32) -> Result<u32, ApiError> {
        let per_page = if per_page == 0 { Self::DEFAULT_PER_PAGE } else { per_page };
        if per_page > Self::MAX_PER_PAGE {
            return Err(ApiError::invalid_field("per_page", format!("must be at most {}", Self::MAX_PER_PAGE)));
        }
        Ok(per_page)
    }

    /// Reads a request's page: by cursor or by number, not both.
    pub fn from_proto(request: Option<PageRequest>) -> Result<Self, ApiError> {
        let request = request.unwrap_or_default();
        if request.cursor.is_empty() {
            return Self::parse(request.page, request.per_page);
        }
        if request.page > 1 {
            return Err(ApiError::invalid_field("cursor", "give a page number or a cursor, not both"));
        }
        Self::after(&request.cursor, request.per_page)
    }

    /// The page number this page has (a position cursor may start between numbered
    /// pages); 0 for a page sought by a keyset cursor.
    pub fn page(&self) -> u32 {
        if self.after.is_some() {
            return 0;
        }
        u32::try_from(self.offset / u64::from(self.per_page) + 1).unwrap_or(u32::MAX)
    }

    /// Where a store's page starts.
    pub fn start(&self) -> Start {
        self.after.clone().map_or(Start::Offset(self.offset), Start::After)
    }

    /// Items to skip.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn limit(&self) -> u64 {
        u64::from(self.per_page)
    }

    /// The cursor of the page after this one, given how many items there are in all;
    /// `None` on the last page.
    pub fn next_cursor(&self, total: u64) -> Option<String> {
        let next = self.offset + self.limit();
        (next < total).then(|| URL_SAFE_NO_PAD.encode(format!("{POSITION}{next}")))
    }

    /// This page of `items` (filtered already) in the order `key` gives (a sort value
    /// and the id; reversed when `descending`): what an embedded store answers.
    pub fn of<T>(&self, items: Vec<T>, key: impl Fn(&T) -> (Option<i64>, String), descending: bool) -> Page<T> {
        shop_storage::page_of(items, key, descending, self.start(), self.limit())
    }

    /// The description of a stored list's page in an answer: its next cursor a keyset.
    pub fn info_of<T>(&self, page: &Page<T>) -> PageInfo {
        let next_cursor = page.next.as_ref().map(|after| {
            let value = after.value.map(|v| v.to_string()).unwrap_or_default();
            URL_SAFE_NO_PAD.encode(format!("{KEYSET}{value}.{}", after.id))
        });
        PageInfo {
            page: self.page(),
            per_page: self.per_page,
            total: page.total,
            next_cursor: next_cursor.unwrap_or_default(),
        }
    }

    /// The page's description in an answer, given how many items there are in all (a
    /// search's: its next cursor a position).
    pub fn info(&self, total: u64) -> PageInfo {
        PageInfo {
            page: self.page(),
            per_page: self.per_page,
            total,
            next_cursor: self.next_cursor(total).unwrap_or_default(),
        }
    }

    /// The request for this page.
    pub fn to_proto(&self) -> PageRequest {
        PageRequest { page: self.page(), per_page: self.per_page, cursor: String::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroes_take_the_defaults_and_large_or_deep_pages_are_refused() {
        assert_eq!(Paging::parse(0, 0).unwrap(), Paging::parse(1, 20).unwrap());
        assert_eq!(Paging::parse(3, 10).unwrap().offset(), 20);
        assert!(Paging::parse(1, 101).is_err());
        assert!(Paging::parse(100, 100).is_ok());
        assert!(Paging::parse(101, 100).is_err(), "past 10,000 items by cursor only");
    }

    #[test]
    fn a_keyset_cursor_walks_a_list_in_order_and_each_item_once() {
        let ids: Vec<String> = (0..25).map(|_| uuid::Uuid::now_v7().to_string()).collect();
        // Sorted by a value with ties, then id, newest first.
        let key = |id: &String| (Some(i64::from(ids.iter().position(|x| x == id).unwrap() as u8 / 4)), id.clone());
        let mut seen = Vec::new();
        let mut paging = Paging::parse(1, 10).unwrap();
        loop {
            let page = paging.of(ids.clone(), key, true);
            seen.extend(page.items.iter().cloned());
            let info = paging.info_of(&page);
            assert_eq!(info.total, 25);
            if info.next_cursor.is_empty() {
                break;
            }
            paging = Paging::after(&info.next_cursor, 10).unwrap();
            assert_eq!(paging.page(), 0);
        }
        let mut expected = ids.clone();
        expected.sort_by_key(|id| std::cmp::Reverse(key(id)));
        assert_eq!(seen, expected);
        for forged in ["k1.x.some-id", "k1.4.", "k1.4"] {
            assert!(Paging::after(&URL_SAFE_NO_PAD.encode(forged), 10).is_err(), "{forged}");
        }
        let sku = Paging::after(&URL_SAFE_NO_PAD.encode("k1..SKU.1-A"), 10).unwrap();
        assert_eq!(sku.start(), Start::After(After { value: None, id: "SKU.1-A".into() }));
    }

    #[test]
    fn cursors_walk_a_list_to_its_end_and_foreign_ones_are_refused() {
        let first = Paging::parse(1, 10).unwrap();
        let cursor = first.next_cursor(25).expect("a second page");
        let second = Paging::after(&cursor, 10).unwrap();
        assert_eq!((second.offset(), second.page()), (10, 2));
        let third = Paging::after(&second.next_cursor(25).unwrap(), 10).unwrap();
        assert_eq!(third.next_cursor(25), None, "the last page has no next");
        assert_eq!(first.info(25).next_cursor, cursor);
        for forged in ["", "bm9wZQ", "%%%", &URL_SAFE_NO_PAD.encode("p1.-4")] {
            assert!(Paging::after(forged, 10).is_err(), "{forged:?}");
        }
        let both = PageRequest { page: 3, per_page: 10, cursor };
        assert!(Paging::from_proto(Some(both)).is_err());
    }
}
