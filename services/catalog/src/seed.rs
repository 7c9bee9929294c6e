//! Demo data for the all-in-one mode: a believable catalog to explore on first run —
//! a three-level category tree, 240 products with variants and images, and reviews.
//! Generated deterministically, so ids are the same on every start.

use std::collections::BTreeMap;

use serde::Deserialize;

use shop_messaging::kind;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    catalog::{Catalog, changed},
    domain::{
        Category, CategoryId, Currency, Image, Money, Product, ProductId, ProductStatus, RatingSummary, Review,
        ReviewId, Sku, Slug, Variant,
    },
    storage::ProductStore,
};

/// Vendor owning the demo products (the demo vendor account's id).
pub const DEMO_VENDOR_ID: &str = shop_platform::demo::VENDOR_ID;

/// Id of the `n`th demo product (1-based); the first is shown at start-up.
pub fn demo_product_id(n: u32) -> ProductId {
    ProductId::from_uuid(Uuid::from_u128(0x0192_0000_0000_7000_8000_0000_0000_0000 | u128::from(n)))
}

fn category_id(n: u32) -> CategoryId {
    CategoryId::from_uuid(Uuid::from_u128(0x0192_0000_0000_7000_8000_0000_000c_0000 | u128::from(n)))
}

/// One product line of the demo catalog (`demo/catalog.json`).
#[derive(Deserialize)]
struct Line {
    /// Where the line is filed: top level, middle level, and one leaf per noun.
    top: String,
    middle: String,
    leaves: Vec<String>,
    tag: String,
    nouns: Vec<String>,
    materials: Vec<String>,
    base_price: i64,
    variant_key: String,
    variant_values: Vec<String>,
}

#[derive(Deserialize)]
struct Comment {
    rating: u8,
    comment: String,
}

/// The demo catalog's data: product lines, styles, and what demo shoppers say.
#[derive(Deserialize)]
struct DemoData {
    lines: Vec<Line>,
    styles: Vec<String>,
    comments: Vec<Comment>,
}

fn data() -> &'static DemoData {
    static DATA: std::sync::OnceLock<DemoData> = std::sync::OnceLock::new();
    DATA.get_or_init(|| serde_json::from_str(include_str!("../demo/catalog.json")).expect("demo/catalog.json is valid"))
}

fn slug(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The demo category tree (top level → middle → leaf) and, per line and noun, its leaf.
pub fn demo_categories() -> (Vec<Category>, BTreeMap<(usize, usize), CategoryId>) {
    let mut all: Vec<Category> = Vec::new();
    let mut leaf_of = BTreeMap::new();
    let find_or_add = |name: &str, parent: Option<CategoryId>, all: &mut Vec<Category>| -> CategoryId {
        if let Some(c) = all.iter().find(|c| c.name == name && c.parent_id == parent) {
            return c.id;
        }
        let id = category_id(u32::try_from(all.len() + 1).expect("small"));
        all.push(Category {
            id,
            name: name.to_owned(),
            slug: Slug::parse(&slug(name)).expect("valid slug"),
            description: format!("{name} from independent makers."),
            parent_id: parent,
            image: Some(format!("https://images.shop.example/categories/{}.jpg", slug(name))),
            active: true,
        });
        id
    };
    for (li, line) in data().lines.iter().enumerate() {
        let top = find_or_add(&line.top, None, &mut all);
        let middle = find_or_add(&line.middle, Some(top), &mut all);
        for (ni, leaf) in line.leaves.iter().enumerate() {
            leaf_of.insert((li, ni), find_or_add(leaf, Some(middle), &mut all));
        }
    }
    (all, leaf_of)
}

/// The demo products (240 of them), filed under the leaves of [`demo_categories`].
pub fn demo_products() -> Vec<Product> {
    let (_, leaf_of) = demo_categories();
    let usd = Currency::parse("USD").expect("USD is a currency");
    let epoch = OffsetDateTime::from_unix_timestamp(1_735_689_600).expect("valid date");
    let mut out = Vec::new();
    for (li, line) in data().lines.iter().enumerate() {
        for (ni, noun) in line.nouns.iter().enumerate() {
            for (mi, material) in line.materials.iter().enumerate() {
                for (si, style) in data().styles.iter().enumerate() {
                    if out.len() >= 240 {
                        return out;
                    }
                    let n = u32::try_from(out.len() + 1).expect("small");
                    let name = format!("{style} {material} {noun}");
                    let code = format!("{}-{n:04}", slug(&line.tag).to_uppercase());
                    let step = i64::try_from(ni * 7 + mi * 5 + si * 3).expect("small");
                    let price = line.base_price + step * 100 - 1;
                    let variants = line
                        .variant_values
                        .iter()
                        .map(|value| Variant {
                            sku: Sku::parse(&format!("{code}-{}", slug(value).to_uppercase())).expect("valid sku"),
                            price: Money::new(price, usd.clone()).expect("positive"),
                            attributes: BTreeMap::from([(line.variant_key.clone(), value.clone())]),
                        })
                        .collect();
                    let created = epoch + time::Duration::hours(i64::from(n) * 13);
                    out.push(Product {
                        id: demo_product_id(n),
                        description: format!(
                            "The {} is made from {} and built to last. A {} staple in our {} range.",
                            name.to_lowercase(),
                            material.to_lowercase(),
                            style.to_lowercase(),
                            line.tag
                        ),
                        category_id: leaf_of.get(&(li, ni)).map(ToString::to_string),
                        tags: vec![line.tag.clone(), slug(material), slug(style)],
                        images: vec![Image {
                            url: format!("https://images.shop.example/products/{}.jpg", slug(&name)),
                            alt: name.clone(),
                        }],
                        attributes: BTreeMap::from([("material".to_owned(), material.clone())]),
                        status: ProductStatus::Active,
                        vendor_id: DEMO_VENDOR_ID.to_owned(),
                        variants,
                        rating: RatingSummary::default(),
                        name,
                        created_at: created,
                        updated_at: created,
                        stock: BTreeMap::new(),
                        version: 1,
                    });
                }
            }
        }
    }
    out
}

/// Reviews of demo product `n` by demo shoppers (a few per product, not all).
fn demo_reviews(product: &Product, n: u32) -> Vec<Review> {
    (0..(n * 7) % 5)
        .map(|i| {
            let comments = &data().comments;
            let Comment { rating, comment } = &comments[usize::try_from(n + i).expect("small") % comments.len()];
            Review {
                id: ReviewId::new(),
                product_id: product.id,
                user_id: Uuid::from_u128(0x0192_0000_0000_7000_8000_0000_00e0_0000 | u128::from(i)).to_string(),
                rating: *rating,
                comment: comment.clone(),
                verified_purchase: i % 2 == 0,
                helpful_count: 0,
                created_at: product.created_at + time::Duration::days(i64::from(i) + 1),
            }
        })
        .collect()
}

/// Seeds the demo catalog into an empty store; leaves a non-empty one alone.
pub async fn demo_catalog(catalog: &Catalog) -> anyhow::Result<()> {
    if catalog.products.count().await? > 0 {
        return Ok(());
    }
    let (categories, _) = demo_categories();
    let existing = catalog.categories.all().await?;
    for category in categories.iter().filter(|c| !existing.iter().any(|e| e.id == c.id)) {
        catalog.categories.insert(category).await?;
    }
    let products = demo_products();
    for (n, mut product) in (1..).zip(products.iter().cloned()) {
        // Its reviews first, so the product is stored once with its rating summary.
        let reviews = demo_reviews(&product, n);
        for review in &reviews {
            catalog.reviews.insert(review).await?;
        }
        let mut histogram = [0u32; 5];
        for review in &reviews {
            histogram[usize::from(review.rating.clamp(1, 5) - 1)] += 1;
        }
        product.rating = RatingSummary { count: histogram.iter().sum(), histogram };
        let event = changed(kind::PRODUCT_CREATED, &product);
        // One index commit for the whole catalog, below.
        catalog.products.insert_batched(&product, &[event]).await?;
    }
    catalog.products.flush().await?;
    tracing::info!(products = products.len(), categories = categories.len(), "seeded the demo catalog");
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_demo_catalog_is_large_consistent_and_three_levels_deep() {
        let products = demo_products();
        assert_eq!(products.len(), 240);
        let skus: HashSet<_> = products.iter().flat_map(|p| p.skus().cloned()).collect();
        let variant_count: usize = products.iter().map(|p| p.variants.len()).sum();
        assert_eq!(skus.len(), variant_count, "SKUs are unique");
        assert_eq!(products[0].id, demo_product_id(1));
        let (categories, _) = demo_categories();
        let depth = |mut id: CategoryId| {
            let mut d = 1;
            while let Some(parent) = categories.iter().find(|c| c.id == id).and_then(|c| c.parent_id) {
                id = parent;
                d += 1;
            }
            d
        };
        assert!(products.iter().all(|p| {
            let id = CategoryId::parse(p.category_id.as_deref().unwrap()).unwrap();
            depth(id) == 3
        }));
        let slugs: HashSet<_> = categories.iter().map(|c| c.slug.as_str()).collect();
        assert_eq!(slugs.len(), categories.len(), "slugs are unique");
    }
}
