//! The category tree: each category has at most one parent.

use std::collections::HashMap;

shop_platform::uuid_id!(
    /// A category id.
    CategoryId
);

/// A URL-friendly name: 1–64 of `a–z 0–9 -`, no leading, trailing or double hyphen.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = (1..=64).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok { Ok(Self(s.to_owned())) } else { Err("must be 1-64 of a-z, 0-9 and single inner hyphens".into()) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
    pub slug: Slug,
    pub description: String,
    pub parent_id: Option<CategoryId>,
    pub image: Option<String>,
    pub active: bool,
}

/// `root` and every category below it.
pub fn subtree(all: &[Category], root: CategoryId) -> Vec<CategoryId> {
    let mut children: HashMap<CategoryId, Vec<CategoryId>> = HashMap::new();
    for c in all {
        if let Some(parent) = c.parent_id {
            children.entry(parent).or_default().push(c.id);
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while let Some(&id) = out.get(i) {
        out.extend(children.get(&id).into_iter().flatten().copied());
        i += 1;
    }
    out
}

/// `id`, then each category above it (nearest first).
pub fn ancestry(all: &[Category], id: CategoryId) -> Vec<CategoryId> {
    let mut path = vec![id];
    while let Some(parent) = all.iter().find(|c| Some(&c.id) == path.last()).and_then(|c| c.parent_id) {
        if path.contains(&parent) {
            break;
        }
        path.push(parent);
    }
    path
}

/// Whether making `parent` the parent of `id` would put `id` below itself.
pub fn would_cycle(all: &[Category], id: CategoryId, parent: CategoryId) -> bool {
    subtree(all, id).contains(&parent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn cat(id: u128, parent: Option<u128>) -> Category {
        Category {
            id: CategoryId::from_uuid(Uuid::from_u128(id)),
            name: format!("c{id}"),
            slug: Slug::parse(&format!("c{id}")).unwrap(),
            description: String::new(),
            parent_id: parent.map(|p| CategoryId::from_uuid(Uuid::from_u128(p))),
            image: None,
            active: true,
        }
    }

    #[test]
    fn a_subtree_holds_every_descendant_and_no_cycle_is_allowed() {
        let all = [cat(1, None), cat(2, Some(1)), cat(3, Some(2)), cat(4, None)];
        let id = |n| CategoryId::from_uuid(Uuid::from_u128(n));
        assert_eq!(subtree(&all, id(1)), [id(1), id(2), id(3)]);
        assert_eq!(subtree(&all, id(4)), [id(4)]);
        assert!(would_cycle(&all, id(1), id(3)));
        assert!(!would_cycle(&all, id(3), id(4)));
    }

    #[test]
    fn slugs_are_plain() {
        assert!(Slug::parse("mens-shoes").is_ok());
        for bad in ["", "Mens", "a--b", "-a", "a-", "a b", "ü"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }
}
