//! Requests read into domain values: ids, product fields under an update mask, category
//! fields, search queries. Every bad field is reported; nothing is half applied.

use shop_proto::catalog::v1 as pb;
use shop_service_kit::Refusal;

use super::convert::status_name;
use crate::{
    domain::{
        Category, CategoryId, ProductId, Slug,
        input::{ProductFields, VariantFields},
        text,
    },
    error::CatalogError,
};

pub(super) fn product_id(raw: &str) -> Result<ProductId, CatalogError> {
    raw.parse().map_err(|e: String| CatalogError::from(Refusal::invalid("id", e)))
}

/// Copies the fields of `input` named in `mask` (all when empty) onto `fields`.
pub(super) fn overlay(fields: &mut ProductFields, input: &pb::ProductInput, mask: &[String]) {
    let wants = |name: &str| mask.is_empty() || mask.iter().any(|m| m == name);
    if wants("name") {
        fields.name.clone_from(&input.name);
    }
    if wants("description") {
        fields.description.clone_from(&input.description);
    }
    if wants("category_id") {
        fields.category_id.clone_from(&input.category_id);
    }
    if wants("tags") {
        fields.tags.clone_from(&input.tags);
    }
    if wants("images") {
        fields.images = input.images.iter().map(|i| (i.url.clone(), i.alt.clone())).collect();
    }
    if wants("attributes") {
        fields.attributes = input.attributes.clone().into_iter().collect();
    }
    if wants("status") {
        // An unspecified status in an update is refused by validation, not read as draft.
        fields.status = match input.status() {
            pb::ProductStatus::Unspecified => "unspecified".to_owned(),
            other => status_name(other).to_owned(),
        };
    }
    if wants("variants") {
        fields.variants = input
            .variants
            .iter()
            .map(|v| {
                let price = v.price.clone().unwrap_or_default();
                VariantFields {
                    sku: v.sku.clone(),
                    amount: price.amount,
                    currency: price.currency,
                    attributes: v.attributes.clone().into_iter().collect(),
                }
            })
            .collect();
    }
}

/// Applies the fields of `input` named in `mask` (all when empty) to `category`.
pub(super) fn category_fields(
    category: &mut Category,
    input: &pb::Category,
    mask: &[String],
) -> Result<(), CatalogError> {
    let wants = |name: &str| mask.is_empty() || mask.iter().any(|m| m == name);
    let mut errors = Vec::new();
    let mut check = |field: &str, r: Result<(), String>| {
        if let Err(message) = r {
            errors.push(shop_platform::FieldError { field: field.to_owned(), message });
        }
    };
    if wants("name") {
        check(
            "name",
            text(&input.name, 100)
                .and_then(|n| if n.is_empty() { Err("must not be empty".into()) } else { Ok(n) })
                .map(|n| category.name = n),
        );
    }
    if wants("slug") {
        check("slug", Slug::parse(&input.slug).map(|s| category.slug = s));
    }
    if wants("description") {
        check("description", text(&input.description, 2000).map(|d| category.description = d));
    }
    if wants("parent_id") {
        let parent = if input.parent_id.is_empty() { Ok(None) } else { CategoryId::parse(&input.parent_id).map(Some) };
        check("parent_id", parent.map(|p| category.parent_id = p));
    }
    if wants("image") {
        let image = if input.image.is_empty() {
            Ok(None)
        } else if input.image.len() <= 2048
            && (input.image.starts_with("https://") || input.image.starts_with("http://"))
        {
            Ok(Some(input.image.clone()))
        } else {
            Err("must be an http(s) URL of at most 2048 characters".to_owned())
        };
        check("image", image.map(|i| category.image = i));
    }
    if wants("active") {
        category.active = input.active;
    }
    if errors.is_empty() { Ok(()) } else { Err(CatalogError::Refused(Refusal::Invalid(errors))) }
}
