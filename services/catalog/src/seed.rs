//! Demo data for the all-in-one mode: a believable catalog to explore on first run —
//! a three-level category tree, 240 products with variants and images, and reviews.
//! Generated deterministically, so ids are the same on every start.

use shop_messaging::kind;
use std::collections::BTreeMap;

use shop_messaging::new_event;
use shop_proto::events::v1::ProductChanged;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    SERVICE,
    catalog::Catalog,
    domain::{
        Category, CategoryId, Currency, Image, Money, Product, ProductId, ProductStatus, RatingSummary, Review,
        ReviewId, Sku, Slug, Variant,
    },
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

struct Line {
    /// Where the line is filed: top level, middle level, and one leaf per noun.
    top: &'static str,
    middle: &'static str,
    leaves: &'static [&'static str],
    tag: &'static str,
    nouns: &'static [&'static str],
    materials: &'static [&'static str],
    base_price: i64,
    variant_key: &'static str,
    variant_values: &'static [&'static str],
}

const LINES: &[Line] = &[
    Line {
        top: "Clothing",
        middle: "Tops",
        leaves: &["T-Shirts", "Hoodies", "Overshirts", "Polos"],
        tag: "apparel",
        nouns: &["T-Shirt", "Hoodie", "Overshirt", "Polo"],
        materials: &["Organic Cotton", "Merino", "Linen"],
        base_price: 2400,
        variant_key: "size",
        variant_values: &["S", "M", "L", "XL"],
    },
    Line {
        top: "Clothing",
        middle: "Footwear",
        leaves: &["Running Shoes", "Trail Shoes", "Boots"],
        tag: "footwear",
        nouns: &["Runner", "Trail Shoe", "Chelsea Boot"],
        materials: &["Suede", "Knit", "Leather"],
        base_price: 8900,
        variant_key: "size",
        variant_values: &["40", "41", "42", "43", "44"],
    },
    Line {
        top: "Home & Kitchen",
        middle: "Kitchen",
        leaves: &["Knives", "Cookware", "Dutch Ovens", "Boards"],
        tag: "kitchen",
        nouns: &["Chef's Knife", "Skillet", "Dutch Oven", "Cutting Board"],
        materials: &["Carbon Steel", "Cast Iron", "Walnut"],
        base_price: 4500,
        variant_key: "finish",
        variant_values: &["natural", "black"],
    },
    Line {
        top: "Outdoors",
        middle: "Camping",
        leaves: &["Backpacks", "Tents", "Sleeping Bags"],
        tag: "outdoor",
        nouns: &["Daypack", "Tent", "Sleeping Bag"],
        materials: &["Ripstop Nylon", "Recycled Polyester", "Canvas"],
        base_price: 7900,
        variant_key: "colour",
        variant_values: &["olive", "sand", "navy"],
    },
    Line {
        top: "Home & Kitchen",
        middle: "Home Decor",
        leaves: &["Blankets", "Lighting", "Vases", "Cushions"],
        tag: "home",
        nouns: &["Throw Blanket", "Table Lamp", "Vase", "Cushion"],
        materials: &["Wool", "Ceramic", "Brass"],
        base_price: 3900,
        variant_key: "colour",
        variant_values: &["oat", "charcoal", "terracotta"],
    },
    Line {
        top: "Electronics",
        middle: "Audio",
        leaves: &["Headphones", "Speakers", "Turntables"],
        tag: "audio",
        nouns: &["Headphones", "Bluetooth Speaker", "Turntable"],
        materials: &["Aluminium", "Oak", "Matte"],
        base_price: 12900,
        variant_key: "colour",
        variant_values: &["black", "silver"],
    },
];

const STYLES: &[&str] = &["Classic", "Everyday", "Heritage", "Studio", "Field"];

const COMMENTS: &[(u8, &str)] = &[
    (5, "Excellent quality, exactly as described. Would buy again."),
    (4, "Very good overall; arrived quickly and feels well made."),
    (5, "Love it. The material is even better in person."),
    (3, "Decent, but the sizing runs a little small."),
    (4, "Solid value for the price."),
    (2, "Looks nice, but it did not hold up as well as I hoped."),
];

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
    for (li, line) in LINES.iter().enumerate() {
        let top = find_or_add(line.top, None, &mut all);
        let middle = find_or_add(line.middle, Some(top), &mut all);
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
    for (li, line) in LINES.iter().enumerate() {
        for (ni, noun) in line.nouns.iter().enumerate() {
            for (mi, material) in line.materials.iter().enumerate() {
                for (si, style) in STYLES.iter().enumerate() {
                    if out.len() >= 240 {
                        return out;
                    }
                    let n = u32::try_from(out.len() + 1).expect("small");
                    let name = format!("{style} {material} {noun}");
                    let code = format!("{}-{n:04}", slug(line.tag).to_uppercase());
                    let step = i64::try_from(ni * 7 + mi * 5 + si * 3).expect("small");
                    let price = line.base_price + step * 100 - 1;
                    let variants = line
                        .variant_values
                        .iter()
                        .map(|value| Variant {
                            sku: Sku::parse(&format!("{code}-{}", slug(value).to_uppercase())).expect("valid sku"),
                            price: Money::new(price, usd.clone()).expect("positive"),
                            attributes: BTreeMap::from([(line.variant_key.to_owned(), (*value).to_owned())]),
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
                        tags: vec![line.tag.to_owned(), slug(material), slug(style)],
                        images: vec![Image {
                            url: format!("https://images.shop.example/products/{}.jpg", slug(&name)),
                            alt: name.clone(),
                        }],
                        attributes: BTreeMap::from([("material".to_owned(), (*material).to_owned())]),
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
            let (rating, comment) = COMMENTS[usize::try_from((n + i) % 6).expect("small")];
            Review {
                id: ReviewId::new(),
                product_id: product.id,
                user_id: Uuid::from_u128(0x0192_0000_0000_7000_8000_0000_00e0_0000 | u128::from(i)).to_string(),
                rating,
                comment: comment.to_owned(),
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
    for (n, product) in (1..).zip(&products) {
        let event = new_event(
            kind::PRODUCT_CREATED,
            SERVICE,
            &ProductChanged {
                product_id: product.id.to_string(),
                vendor_id: product.vendor_id.clone(),
                skus: product.skus().map(|s| s.as_str().to_owned()).collect(),
                status: product.status.as_str().to_owned(),
            },
        );
        catalog.products.insert(product, &[event]).await?;
        let reviews = demo_reviews(product, n);
        for review in &reviews {
            catalog.reviews.insert(review).await?;
        }
        if !reviews.is_empty() {
            catalog.refresh_rating(product.id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
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
