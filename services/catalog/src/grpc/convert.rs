//! Catalog values as the contract carries them: products, categories, reviews.

use std::collections::HashMap;

use shop_proto::{Timestamp, catalog::v1 as pb, common::v1::Money as PbMoney};
use time::OffsetDateTime;

use crate::domain::{Category, CategoryId, Product, ProductStatus, Review};

pub(super) fn money(m: &crate::domain::Money) -> PbMoney {
    PbMoney { amount: m.amount, currency: m.currency.to_string() }
}

pub(super) fn timestamp(t: OffsetDateTime) -> Timestamp {
    Timestamp { seconds: t.unix_timestamp(), nanos: i32::try_from(t.nanosecond()).unwrap_or(0) }
}

const fn status(s: ProductStatus) -> pb::ProductStatus {
    match s {
        ProductStatus::Draft => pb::ProductStatus::Draft,
        ProductStatus::Active => pb::ProductStatus::Active,
        ProductStatus::Archived => pb::ProductStatus::Archived,
    }
}

pub(super) fn status_name(s: pb::ProductStatus) -> &'static str {
    match s {
        pb::ProductStatus::Unspecified => "",
        pb::ProductStatus::Draft => "draft",
        pb::ProductStatus::Active => "active",
        pb::ProductStatus::Archived => "archived",
    }
}

pub fn to_proto(p: &Product) -> pb::Product {
    pb::Product {
        id: p.id.to_string(),
        name: p.name.clone(),
        description: p.description.clone(),
        category_id: p.category_id.clone().unwrap_or_default(),
        tags: p.tags.clone(),
        images: p.images.iter().map(|i| pb::Image { url: i.url.clone(), alt: i.alt.clone() }).collect(),
        attributes: p.attributes.clone().into_iter().collect(),
        status: status(p.status).into(),
        vendor_id: p.vendor_id.clone(),
        variants: p
            .variants
            .iter()
            .map(|v| pb::Variant {
                sku: v.sku.as_str().to_owned(),
                price: Some(money(&v.price)),
                attributes: v.attributes.clone().into_iter().collect(),
                available: p.stock.get(&v.sku).copied(),
            })
            .collect(),
        rating: Some(pb::RatingSummary {
            average: p.rating.average(),
            count: p.rating.count,
            histogram: p.rating.histogram.to_vec(),
        }),
        created_at: Some(timestamp(p.created_at)),
        updated_at: Some(timestamp(p.updated_at)),
        in_stock: p.in_stock(),
    }
}

pub(super) fn category_to_proto(c: &Category, children: Vec<pb::Category>) -> pb::Category {
    pb::Category {
        id: c.id.to_string(),
        name: c.name.clone(),
        slug: c.slug.as_str().to_owned(),
        description: c.description.clone(),
        parent_id: c.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        image: c.image.clone().unwrap_or_default(),
        active: c.active,
        children,
    }
}

/// The forest of categories, children nested and sorted by name.
pub(super) fn tree(all: &[Category], show_inactive: bool) -> Vec<pb::Category> {
    let mut by_parent: HashMap<Option<CategoryId>, Vec<&Category>> = HashMap::new();
    for c in all.iter().filter(|c| show_inactive || c.active) {
        by_parent.entry(c.parent_id).or_default().push(c);
    }
    fn build(parent: Option<CategoryId>, by_parent: &HashMap<Option<CategoryId>, Vec<&Category>>) -> Vec<pb::Category> {
        let mut nodes: Vec<pb::Category> = by_parent
            .get(&parent)
            .into_iter()
            .flatten()
            .map(|c| category_to_proto(c, build(Some(c.id), by_parent)))
            .collect();
        nodes.sort_by(|a, b| a.name.cmp(&b.name));
        nodes
    }
    build(None, &by_parent)
}

pub(super) fn review_to_proto(r: &Review) -> pb::Review {
    pb::Review {
        id: r.id.to_string(),
        product_id: r.product_id.to_string(),
        user_id: r.user_id.clone(),
        rating: u32::from(r.rating),
        comment: r.comment.clone(),
        verified_purchase: r.verified_purchase,
        helpful_count: r.helpful_count,
        created_at: Some(timestamp(r.created_at)),
    }
}
