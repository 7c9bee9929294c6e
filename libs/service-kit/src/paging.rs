//! One rule for pages: page numbers from 1, 20 items unless asked, at most 100.

use shop_platform::ApiError;
use shop_proto::common::v1::{PageInfo, PageRequest};

/// A checked page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u32,
    pub per_page: u32,
}

impl Paging {
    pub const DEFAULT_PER_PAGE: u32 = 20;
    pub const MAX_PER_PAGE: u32 = 100;

    /// Reads a page request; absent or zero values take the defaults.
    pub fn parse(page: u32, per_page: u32) -> Result<Self, ApiError> {
        let per_page = if per_page == 0 { Self::DEFAULT_PER_PAGE } else { per_page };
        if per_page > Self::MAX_PER_PAGE {
            return Err(ApiError::invalid_field("per_page", format!("must be at most {}", Self::MAX_PER_PAGE)));
        }
        Ok(Self { page: page.max(1), per_page })
    }

    pub fn from_proto(request: Option<PageRequest>) -> Result<Self, ApiError> {
        let request = request.unwrap_or_default();
        Self::parse(request.page, request.per_page)
    }

    /// Items to skip.
    pub fn offset(self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.per_page)
    }

    pub fn limit(self) -> u64 {
        u64::from(self.per_page)
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
        PageInfo { page: self.page, per_page: self.per_page, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroes_take_the_defaults_and_large_pages_are_refused() {
        assert_eq!(Paging::parse(0, 0).unwrap(), Paging { page: 1, per_page: 20 });
        assert_eq!(Paging::parse(3, 10).unwrap().offset(), 20);
        assert!(Paging::parse(1, 101).is_err());
    }
}
