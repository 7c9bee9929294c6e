//! Template administration, as the admin RPCs answer it: the templates in use, the shop's
//! versions, previews with sample data, and saves checked before they are kept.

use shop_proto::notification::v1 as pb;
use shop_service_kit::{Refusal, unexpected};
use tonic::Status;

use crate::{
    domain::now_ms,
    grpc::timestamp,
    storage::Version,
    templates::{FALLBACK_LOCALE, NAMES, Parts, Templates},
};

/// A template and locale named by an admin, checked: a known template, a locale tag.
pub fn template_ref(r: Option<pb::TemplateRef>) -> Result<(String, String), Refusal> {
    let r = r.unwrap_or_default();
    if !NAMES.contains(&r.name.as_str()) {
        return Err(Refusal::invalid("name", format!("must be one of {}", NAMES.join(", "))));
    }
    Ok((r.name, locale(r.locale)?))
}

/// A locale tag as shops use them: a language, optionally a region (`en`, `pt-BR`); empty
/// is the fallback locale.
pub fn locale(raw: String) -> Result<String, Refusal> {
    if raw.is_empty() {
        return Ok(FALLBACK_LOCALE.to_owned());
    }
    let (language, region) = raw.split_once('-').unwrap_or((&raw, ""));
    let language_ok = (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_lowercase());
    let region_ok = region.is_empty()
        || ((2..=3).contains(&region.len()) && region.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
    if !(language_ok && region_ok) {
        return Err(Refusal::invalid("locale", "must be a language tag such as en or pt-BR"));
    }
    Ok(raw)
}

fn parts_of(p: Option<pb::TemplateParts>) -> Option<Parts> {
    p.map(|p| Parts { subject: p.subject, text: p.text, html: p.html })
}

/// A template as the admin sees it: its parts in use and the shop's versions.
pub async fn describe(templates: &Templates, name: &str, locale: &str) -> Result<pb::Template, Status> {
    let (parts, saved) = templates.in_use(name, locale).await.map_err(unexpected)?;
    let history = match templates.store() {
        Some(store) => store.history(name, locale).await.map_err(unexpected)?,
        None => Vec::new(),
    };
    Ok(pb::Template {
        name: name.to_owned(),
        locale: locale.to_owned(),
        parts: Some(pb::TemplateParts { subject: parts.subject, text: parts.text, html: parts.html }),
        custom: saved.is_some_and(|v| v.parts.is_some()),
        history: history
            .into_iter()
            .map(|v| pb::TemplateVersion {
                version: v.version,
                custom: v.parts.is_some(),
                updated_by: v.by,
                updated_at: timestamp(v.at),
            })
            .collect(),
    })
}

/// Every template in `locale`.
pub async fn list(templates: &Templates, locale: &str) -> Result<Vec<pb::Template>, Status> {
    let mut found = Vec::with_capacity(NAMES.len());
    for name in NAMES {
        found.push(describe(templates, name, locale).await?);
    }
    Ok(found)
}

/// `name` rendered with its sample data: the parts given, or those in use.
pub async fn preview(
    templates: &Templates,
    name: &str,
    locale: &str,
    parts: Option<pb::TemplateParts>,
) -> Result<pb::Rendered, Status> {
    let parts = match parts_of(parts) {
        Some(parts) => parts,
        None => templates.in_use(name, locale).await.map_err(unexpected)?.0,
    };
    let shown = templates.check(name, &parts).map_err(|e| Refusal::invalid("parts", e))?;
    Ok(pb::Rendered { subject: shown.subject, text: shown.text, html: shown.html })
}

/// Saves the shop's version of `name` in `locale` (or, with no parts, a reset), once it
/// renders with the sample data.
pub async fn save(
    templates: &Templates,
    name: &str,
    locale: &str,
    parts: Option<Parts>,
    by: &str,
) -> Result<(), Status> {
    if let Some(parts) = &parts {
        templates.check(name, parts).map_err(|e| Refusal::invalid("parts", e))?;
    }
    let store = templates.store().ok_or_else(|| unexpected(anyhow::anyhow!("no template store")))?;
    let version = Version {
        name: name.to_owned(),
        locale: locale.to_owned(),
        version: 0,
        parts,
        by: by.to_owned(),
        at: now_ms(),
    };
    let number = store.save(version).await.map_err(unexpected)?;
    tracing::info!(template = name, locale, version = number, admin = by, "template saved");
    Ok(())
}

/// The parts an update carries (all three required).
pub fn update_parts(p: Option<pb::TemplateParts>) -> Result<Parts, Refusal> {
    parts_of(p).ok_or_else(|| Refusal::invalid("parts", "subject, text and html are required"))
}
