//! One rule for pages: 20 items unless asked, at most 100; a page is asked for by number
//! (from 1) or by the cursor the previous page answered with (`next_cursor`), which is how
//! a client walks a whole list.
//!
//! A cursor is opaque to clients; this one holds the position of the next page.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use shop_platform::ApiError;
use shop_proto::common::v1::{PageInfo, PageRequest};

/// A checked page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Items before this page.
    offset: u64,
    pub per_page: u32,
}

/// What a position cursor starts with (other kinds of cursor would take another).
const POSITION: &str = "p1.";

impl Paging {
    pub const DEFAULT_PER_PAGE: u32 = 20;
    pub const MAX_PER_PAGE: u32 = 100;

    /// Reads a page request; absent or zero values take the defaults.
    pub fn parse(page: u32, per_page: u32) -> Result<Self, ApiError> {
        let per_page = Self::per_page(per_page)?;
        Ok(Self { offset: u64::from(page.max(1) - 1) * u64::from(per_page), per_page })
    }

    /// Reads a page request given by a cursor an earlier page answered with.
    pub fn after(cursor: &str, per_page: u32) -> Result<Self, ApiError> {
        let per_page = Self::per_page(per_page)?;
        let bad = || ApiError::invalid_field("cursor", "is not a cursor this list gave");
        let text = URL_SAFE_NO_PAD.decode(cursor).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(bad)?;
        let offset = text.strip_prefix(POSITION).and_then(|n| n.parse().ok()).ok_or_else(bad)?;
        Ok(Self { offset, per_page })
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

    /// The page number this page has (a cursor may start between numbered pages).
    pub fn page(self) -> u32 {
        u32::try_from(self.offset / u64::from(self.per_page) + 1).unwrap_or(u32::MAX)
    }

    /// Items to skip.
    pub fn offset(self) -> u64 {
        self.offset
    }

    pub fn limit(self) -> u64 {
        u64::from(self.per_page)
    }

    /// The cursor of the page after this one, given how many items there are in all;
    /// `None` on the last page.
    pub fn next_cursor(self, total: u64) -> Option<String> {
        let next = self.offset + self.limit();
        (next < total).then(|| URL_SAFE_NO_PAD.encode(format!("{POSITION}{next}")))
    }

    /// This page of `items` (filtered and sorted already), and how many there are in all:
    /// what an embedded store answers.
    pub fn of<T>(self, items: Vec<T>) -> (Vec<T>, u64) {
        let total = items.len() as u64;
        let skip = usize::try_from(self.offset()).unwrap_or(usize::MAX);
        (items.into_iter().skip(skip).take(self.per_page as usize).collect(), total)
    }

    /// The page's description in an answer, given how many items there are in all.
    pub fn info(self, total: u64) -> PageInfo {
        PageInfo {
            page: self.page(),
            per_page: self.per_page,
            total,
            next_cursor: self.next_cursor(total).unwrap_or_default(),
        }
    }

    /// The request for this page.
    pub fn to_proto(self) -> PageRequest {
        PageRequest { page: self.page(), per_page: self.per_page, cursor: String::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroes_take_the_defaults_and_large_pages_are_refused() {
        assert_eq!(Paging::parse(0, 0).unwrap(), Paging::parse(1, 20).unwrap());
        assert_eq!(Paging::parse(3, 10).unwrap().offset(), 20);
        assert!(Paging::parse(1, 101).is_err());
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
