//! Product fields as a client sends them, and the rules that turn them into a product.
//! Every broken rule is reported with its field, all at once.

use std::collections::{BTreeMap, HashSet};

use shop_platform::FieldError;

use super::{CategoryId, Currency, Image, Money, Product, ProductStatus, Sku, Variant, text};

/// Most a price may be, in minor units (a hundred million of the currency).
pub const MAX_PRICE: i64 = 10_000_000_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VariantFields {
    pub sku: String,
    pub amount: i64,
    pub currency: String,
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFields {
    pub name: String,
    pub description: String,
    /// Empty: no category.
    pub category_id: String,
    pub tags: Vec<String>,
    /// (url, alt)
    pub images: Vec<(String, String)>,
    pub attributes: BTreeMap<String, String>,
    /// `draft`, `active` or `archived`; empty means draft.
    pub status: String,
    pub variants: Vec<VariantFields>,
}

/// Product fields that passed every rule.
#[derive(Debug, Clone)]
pub struct ValidProduct {
    pub name: String,
    pub description: String,
    pub category_id: Option<CategoryId>,
    pub tags: Vec<String>,
    pub images: Vec<Image>,
    pub attributes: BTreeMap<String, String>,
    pub status: ProductStatus,
    pub variants: Vec<Variant>,
}

#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }

    fn check<T>(&mut self, field: impl Into<String>, result: Result<T, String>) -> Option<T> {
        result.map_err(|m| self.add(field, m)).ok()
    }
}

fn attributes(
    errors: &mut Errors,
    field: &str,
    attrs: &BTreeMap<String, String>,
    max: usize,
) -> BTreeMap<String, String> {
    if attrs.len() > max {
        errors.add(field, format!("at most {max} attributes"));
    }
    let mut out = BTreeMap::new();
    for (key, value) in attrs {
        let key_ok = (1..=40).contains(&key.chars().count()) && !key.starts_with('$') && !key.contains('.');
        if !key_ok {
            errors.add(format!("{field}.{key}"), "keys are 1-40 characters, not starting with $ nor holding a dot");
            continue;
        }
        if let Some(value) = errors.check(format!("{field}.{key}"), text(value, 200)) {
            out.insert(key.clone(), value);
        }
    }
    out
}

fn url(raw: &str) -> Result<String, String> {
    let ok = raw.len() <= 2048
        && (raw.starts_with("https://") || raw.starts_with("http://"))
        && raw.len() > "https://".len()
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok { Ok(raw.to_owned()) } else { Err("must be an http(s) URL of at most 2048 characters".into()) }
}

impl ProductFields {
    pub fn validate(&self) -> Result<ValidProduct, Vec<FieldError>> {
        let mut e = Errors::default();
        let name = e.check("name", text(&self.name, 200));
        if name.as_deref().is_some_and(str::is_empty) {
            e.add("name", "must not be empty");
        }
        let description = e.check("description", text(&self.description, 5000));
        let category_id = if self.category_id.is_empty() {
            None
        } else {
            e.check("category_id", CategoryId::parse(&self.category_id))
        };
        if self.tags.len() > 20 {
            e.add("tags", "at most 20 tags");
        }
        let mut tags: Vec<String> = Vec::new();
        for (i, tag) in self.tags.iter().enumerate() {
            let tag = tag.trim().to_lowercase();
            if (1..=40).contains(&tag.chars().count())
                && tag.chars().all(|c| c.is_alphanumeric() || c == '-' || c == ' ')
            {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            } else {
                e.add(format!("tags[{i}]"), "tags are 1-40 letters, digits, spaces or hyphens");
            }
        }
        if self.images.len() > 10 {
            e.add("images", "at most 10 images");
        }
        let images = self
            .images
            .iter()
            .enumerate()
            .filter_map(|(i, (u, alt))| {
                let url = e.check(format!("images[{i}].url"), url(u));
                let alt = e.check(format!("images[{i}].alt"), text(alt, 200));
                Some(Image { url: url?, alt: alt? })
            })
            .collect();
        let attrs = attributes(&mut e, "attributes", &self.attributes, 30);
        let status = if self.status.is_empty() {
            Some(ProductStatus::Draft)
        } else {
            e.check("status", ProductStatus::parse(&self.status))
        };
        if self.variants.is_empty() || self.variants.len() > 50 {
            e.add("variants", "a product has 1 to 50 variants");
        }
        let mut seen = HashSet::new();
        let mut currencies = HashSet::new();
        let mut variants = Vec::new();
        for (i, v) in self.variants.iter().enumerate() {
            let sku = e.check(format!("variants[{i}].sku"), Sku::parse(v.sku.trim()));
            if let Some(sku) = &sku
                && !seen.insert(sku.clone())
            {
                e.add(format!("variants[{i}].sku"), "appears twice in this product");
            }
            if !(0..=MAX_PRICE).contains(&v.amount) {
                e.add(format!("variants[{i}].price.amount"), format!("must be from 0 to {MAX_PRICE} minor units"));
            }
            let currency = e.check(format!("variants[{i}].price.currency"), Currency::parse(&v.currency));
            if let Some(c) = &currency {
                currencies.insert(c.clone());
            }
            let attributes = attributes(&mut e, &format!("variants[{i}].attributes"), &v.attributes, 10);
            if let (Some(sku), Some(currency)) = (sku, currency)
                && let Ok(price) = Money::new(v.amount, currency)
            {
                variants.push(Variant { sku, price, attributes });
            }
        }
        if currencies.len() > 1 {
            e.add("variants", "every variant is priced in the same currency");
        }
        match (name, description, status) {
            (Some(name), Some(description), Some(status)) if e.0.is_empty() => {
                Ok(ValidProduct { name, description, category_id, tags, images, attributes: attrs, status, variants })
            }
            _ => Err(e.0),
        }
    }
}

impl ProductFields {
    /// A product's current fields, the base an update edits.
    pub fn of(p: &Product) -> Self {
        Self {
            name: p.name.clone(),
            description: p.description.clone(),
            category_id: p.category_id.clone().unwrap_or_default(),
            tags: p.tags.clone(),
            images: p.images.iter().map(|i| (i.url.clone(), i.alt.clone())).collect(),
            attributes: p.attributes.clone(),
            status: p.status.as_str().to_owned(),
            variants: p
                .variants
                .iter()
                .map(|v| VariantFields {
                    sku: v.sku.as_str().to_owned(),
                    amount: v.price.amount,
                    currency: v.price.currency.to_string(),
                    attributes: v.attributes.clone(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> ProductFields {
        ProductFields {
            name: "Linen Shirt".into(),
            variants: vec![VariantFields {
                sku: "SHIRT-M".into(),
                amount: 4900,
                currency: "EUR".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn problems(f: &ProductFields) -> Vec<String> {
        f.validate().err().unwrap_or_default().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_plain_product_is_valid_and_starts_as_a_draft() {
        let p = fields().validate().unwrap();
        assert_eq!(p.status, ProductStatus::Draft);
    }

    #[test]
    fn every_broken_rule_is_named_by_its_field() {
        let mut f = fields();
        f.name = "n".repeat(10_000);
        f.variants.push(VariantFields { sku: String::new(), amount: -1, currency: "eur".into(), ..Default::default() });
        f.variants.push(f.variants[0].clone());
        f.attributes.insert("$where".into(), "1".into());
        f.images.push(("javascript:alert(1)".into(), String::new()));
        assert_eq!(
            problems(&f),
            [
                "name",
                "images[0].url",
                "attributes.$where",
                "variants[1].sku",
                "variants[1].price.amount",
                "variants[1].price.currency",
                "variants[2].sku",
            ]
        );
    }

    #[test]
    fn a_product_needs_variants_in_one_currency() {
        let mut f = fields();
        f.variants.clear();
        assert_eq!(problems(&f), ["variants"]);
        let mut f = fields();
        f.variants.push(VariantFields {
            sku: "SHIRT-L".into(),
            amount: 4900,
            currency: "USD".into(),
            ..Default::default()
        });
        assert_eq!(problems(&f), ["variants"]);
    }
}
