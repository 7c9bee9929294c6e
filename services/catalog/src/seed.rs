//! Demo data for the all-in-one mode: a believable catalog to explore on first run.
//! Generated deterministically, so ids are the same on every start.

use std::collections::BTreeMap;

use shop_messaging::new_event;
use shop_proto::events::v1::ProductChanged;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    SERVICE,
    domain::{Currency, Image, Money, Product, ProductId, ProductStatus, RatingSummary, Sku, Variant},
    storage::ProductStore,
};

/// Vendor owning the demo products (the demo vendor account's id).
pub const DEMO_VENDOR_ID: &str = shop_platform::demo::VENDOR_ID;

/// Id of the `n`th demo product (1-based); the first is shown at start-up.
pub fn demo_product_id(n: u32) -> ProductId {
    ProductId::from_uuid(Uuid::from_u128(0x0192_0000_0000_7000_8000_0000_0000_0000 | u128::from(n)))
}

struct Line {
    tag: &'static str,
    nouns: &'static [&'static str],
    materials: &'static [&'static str],
    base_price: i64,
    variant_key: &'static str,
    variant_values: &'static [&'static str],
}

const LINES: &[Line] = &[
    Line {
        tag: "apparel",
        nouns: &["T-Shirt", "Hoodie", "Overshirt", "Polo"],
        materials: &["Organic Cotton", "Merino", "Linen"],
        base_price: 2400,
        variant_key: "size",
        variant_values: &["S", "M", "L", "XL"],
    },
    Line {
        tag: "footwear",
        nouns: &["Runner", "Trail Shoe", "Chelsea Boot"],
        materials: &["Suede", "Knit", "Leather"],
        base_price: 8900,
        variant_key: "size",
        variant_values: &["40", "41", "42", "43", "44"],
    },
    Line {
        tag: "kitchen",
        nouns: &["Chef's Knife", "Skillet", "Dutch Oven", "Cutting Board"],
        materials: &["Carbon Steel", "Cast Iron", "Walnut"],
        base_price: 4500,
        variant_key: "finish",
        variant_values: &["natural", "black"],
    },
    Line {
        tag: "outdoor",
        nouns: &["Daypack", "Tent", "Sleeping Bag"],
        materials: &["Ripstop Nylon", "Recycled Polyester", "Canvas"],
        base_price: 7900,
        variant_key: "colour",
        variant_values: &["olive", "sand", "navy"],
    },
    Line {
        tag: "home",
        nouns: &["Throw Blanket", "Table Lamp", "Vase", "Cushion"],
        materials: &["Wool", "Ceramic", "Brass"],
        base_price: 3900,
        variant_key: "colour",
        variant_values: &["oat", "charcoal", "terracotta"],
    },
    Line {
        tag: "audio",
        nouns: &["Headphones", "Bluetooth Speaker", "Turntable"],
        materials: &["Aluminium", "Oak", "Matte"],
        base_price: 12900,
        variant_key: "colour",
        variant_values: &["black", "silver"],
    },
];

const STYLES: &[&str] = &["Classic", "Everyday", "Heritage", "Studio", "Field"];

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

/// Builds the demo products (240 of them).
pub fn demo_products() -> Vec<Product> {
    let usd = Currency::parse("USD").expect("USD is a currency");
    let epoch = OffsetDateTime::from_unix_timestamp(1_735_689_600).expect("valid date");
    let mut out = Vec::new();
    for line in LINES {
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
                    let reviews = (n * 7) % 23;
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
                        category_id: None,
                        tags: vec![line.tag.to_owned(), slug(material), slug(style)],
                        images: vec![Image {
                            url: format!("https://images.shop.example/products/{}.jpg", slug(&name)),
                            alt: name.clone(),
                        }],
                        attributes: BTreeMap::from([("material".to_owned(), (*material).to_owned())]),
                        status: ProductStatus::Active,
                        vendor_id: DEMO_VENDOR_ID.to_owned(),
                        variants,
                        rating: RatingSummary {
                            count: reviews,
                            histogram: [
                                reviews / 12,
                                reviews / 10,
                                reviews / 6,
                                reviews / 4,
                                reviews - reviews / 12 - reviews / 10 - reviews / 6 - reviews / 4,
                            ],
                        },
                        name,
                        created_at: created,
                        updated_at: created,
                        version: 1,
                    });
                }
            }
        }
    }
    out
}

/// Seeds the demo catalog into an empty store; leaves a non-empty one alone.
pub async fn demo_catalog(store: &dyn ProductStore) -> anyhow::Result<()> {
    if store.count().await? > 0 {
        return Ok(());
    }
    let products = demo_products();
    for product in &products {
        let event = new_event(
            "catalog.product_created",
            SERVICE,
            &ProductChanged {
                product_id: product.id.to_string(),
                vendor_id: product.vendor_id.clone(),
                skus: product.skus().map(|s| s.as_str().to_owned()).collect(),
                status: product.status.as_str().to_owned(),
            },
        );
        store.insert(product, &[event]).await?;
    }
    tracing::info!(products = products.len(), "seeded the demo catalog");
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_demo_catalog_is_large_and_consistent() {
        let products = demo_products();
        assert_eq!(products.len(), 240);
        let skus: HashSet<_> = products.iter().flat_map(|p| p.skus().cloned()).collect();
        let variant_count: usize = products.iter().map(|p| p.variants.len()).sum();
        assert_eq!(skus.len(), variant_count, "SKUs are unique");
        assert_eq!(products[0].id, demo_product_id(1));
        assert!(products.iter().all(|p| p.rating.histogram.iter().sum::<u32>() == p.rating.count));
    }
}
