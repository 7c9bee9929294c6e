//! What shoppers do in the storefront, as its pages tell it (a small batch at a time, with an
//! anonymous visitor id the browser keeps): products viewed, searches and what they found,
//! products added to a cart, checkouts started. Nothing personal is kept: the visitor id is
//! kept only hashed, and only to count a visitor once a day; a search that looks like an
//! address or a phone number is counted but its words are not kept.

use sha2::{Digest, Sha256};

use crate::domain::{Activity, Day, SHOP};

/// The most events in one batch, and the longest id or search kept.
pub const MAX_EVENTS: usize = 50;
pub const MAX_ID: usize = 64;
pub const MAX_QUERY: usize = 100;

/// One thing a visitor did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    ProductViewed { product_id: String },
    SearchPerformed { query: String, results: i64 },
    AddedToCart { product_id: String },
    CheckoutStarted,
}

/// Why a batch is refused (nothing of it is counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub field: String,
    pub why: String,
}

fn refused(field: impl Into<String>, why: impl Into<String>) -> Refused {
    Refused { field: field.into(), why: why.into() }
}

/// A visitor or batch id: 16 to 64 letters, digits, `-` or `_`.
pub fn check_id(field: &str, id: &str) -> Result<(), Refused> {
    let ok =
        (16..=MAX_ID).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(refused(field, "16 to 64 letters, digits, - or _")) }
}

/// What a search is kept as: lowercase, spaces collapsed; none when it may say who someone
/// is (an address, a number of seven digits or more).
pub fn kept_query(query: &str) -> Option<String> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let kept = words.join(" ");
    let digits = kept.chars().filter(char::is_ascii_digit).count();
    (!kept.is_empty() && !kept.contains('@') && digits < 7).then_some(kept)
}

/// A raw event as the storefront sends it: its type and fields.
#[derive(Debug, Clone, Default)]
pub struct Raw {
    pub kind: String,
    pub product_id: String,
    pub query: String,
    pub results: i64,
}

/// Every event of a batch checked: all of them, or why not.
pub fn check(batch: &[Raw]) -> Result<Vec<Behaviour>, Refused> {
    if batch.is_empty() || batch.len() > MAX_EVENTS {
        return Err(refused("events", format!("1 to {MAX_EVENTS} events")));
    }
    batch
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let field = |name: &str| format!("events[{i}].{name}");
            let product = || {
                let id = raw.product_id.trim();
                if id.is_empty() || id.len() > MAX_ID || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    return Err(refused(field("product_id"), "a product id"));
                }
                Ok(id.to_owned())
            };
            match raw.kind.as_str() {
                "product_viewed" => Ok(Behaviour::ProductViewed { product_id: product()? }),
                "added_to_cart" => Ok(Behaviour::AddedToCart { product_id: product()? }),
                "search_performed" => {
                    if raw.query.trim().is_empty() || raw.query.chars().count() > MAX_QUERY {
                        return Err(refused(field("query"), format!("1 to {MAX_QUERY} characters")));
                    }
                    if !(0..=1_000_000).contains(&raw.results) {
                        return Err(refused(field("results"), "0 to 1000000"));
                    }
                    Ok(Behaviour::SearchPerformed { query: raw.query.clone(), results: raw.results })
                }
                "checkout_started" => Ok(Behaviour::CheckoutStarted),
                _ => Err(refused(field("type"), "product_viewed, search_performed, added_to_cart or checkout_started")),
            }
        })
        .collect()
}

/// A visitor as counted: a hash of its id and the day (the id itself is not kept, and one
/// day's hash does not find the visitor on another).
pub fn visitor_key(visitor_id: &str, day: Day) -> String {
    let digest = Sha256::digest(format!("{visitor_id}\n{}", day.0).as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// What one event adds to its scopes' activity: the shop's, and the vendor's of the product
/// it is about (when known).
pub fn counted(behaviour: &Behaviour, vendor: Option<&str>) -> Vec<(String, Activity)> {
    let (activity, about_product) = match behaviour {
        Behaviour::ProductViewed { .. } => (Activity { product_views: 1, ..Activity::default() }, true),
        Behaviour::AddedToCart { .. } => (Activity { added_to_cart: 1, ..Activity::default() }, true),
        Behaviour::SearchPerformed { results, .. } => {
            (Activity { searches: 1, empty_searches: i64::from(*results == 0), ..Activity::default() }, false)
        }
        Behaviour::CheckoutStarted => (Activity { checkouts_started: 1, ..Activity::default() }, false),
    };
    let mut scopes = vec![(SHOP.to_owned(), activity)];
    if let Some(vendor) = vendor.filter(|_| about_product) {
        scopes.push((vendor.to_owned(), activity));
    }
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(kind: &str) -> Raw {
        Raw { kind: kind.into(), product_id: "0192-abc".into(), query: "Green tea".into(), results: 3 }
    }

    #[test]
    fn a_batch_is_counted_whole_or_not_at_all() {
        let good = [raw("product_viewed"), raw("search_performed"), raw("added_to_cart"), raw("checkout_started")];
        assert_eq!(check(&good).unwrap().len(), 4);
        let mut bad = good.to_vec();
        bad.push(raw("page_scrolled"));
        assert_eq!(check(&bad).unwrap_err().field, "events[4].type");
        assert!(check(&[]).is_err());
        assert!(check(&vec![raw("checkout_started"); MAX_EVENTS + 1]).is_err());
        let long = Raw { query: "x".repeat(MAX_QUERY + 1), ..raw("search_performed") };
        assert_eq!(check(&[long]).unwrap_err().field, "events[0].query");
        let odd = Raw { product_id: "<script>".into(), ..raw("product_viewed") };
        assert_eq!(check(&[odd]).unwrap_err().field, "events[0].product_id");
    }

    #[test]
    fn searches_are_kept_without_anything_personal() {
        assert_eq!(kept_query("  Green   TEA "), Some("green tea".into()));
        assert_eq!(kept_query("ada@example.com"), None);
        assert_eq!(kept_query("call +49 30 1234567"), None);
        assert_eq!(kept_query("iphone 15"), Some("iphone 15".into()));
    }

    #[test]
    fn visitor_ids_are_ids_and_kept_only_hashed() {
        assert!(check_id("visitor_id", "v-0123456789abcdef").is_ok());
        assert!(check_id("visitor_id", "short").is_err());
        assert!(check_id("visitor_id", "not an id at all!!").is_err());
        let today = visitor_key("v-0123456789abcdef", Day(100));
        assert_ne!(today, visitor_key("v-0123456789abcdef", Day(101)), "another day, another key");
        assert!(!today.contains("0123456789abcdef"));
    }
}
