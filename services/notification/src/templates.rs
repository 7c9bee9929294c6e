//! Templates, rendered by a sandboxed engine (MiniJinja): a template reads only the data it
//! is given — no files, no environment, no functions of the host — every loop is bounded
//! by fuel, an unknown variable is an error, and values are HTML-escaped in the HTML part.
//!
//! Each template has three parts (subject, plain text, HTML) per locale; a text message's
//! (a name ending in `_sms`) has no HTML, and its subject only names it in the log. The shipped ones
//! are in `templates/<locale>/`; an admin may save the shop's own version of any of them
//! (checked against the template's sample data before it is kept, so a template error is
//! refused at save time, never met at send time). English is the fallback for a locale a
//! template lacks.

use std::{collections::HashMap, sync::Arc};

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value, context};

use crate::{
    domain::Content,
    sms::MAX_TEXT,
    storage::{TemplateStore, Version},
};

/// A template's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The locale every template has.
pub const FALLBACK_LOCALE: &str = "en";

/// Work one rendering may do (instructions): plenty for a notice, bounded for a loop.
const FUEL: u64 = 200_000;

macro_rules! shipped {
    ($locale:literal: $($name:literal),* $(,)?) => {
        [$(($locale, $name, Parts {
            subject: include_str!(concat!("../templates/", $locale, "/", $name, ".subject")).trim().to_owned(),
            text: include_str!(concat!("../templates/", $locale, "/", $name, ".txt")).to_owned(),
            html: include_str!(concat!("../templates/", $locale, "/", $name, ".html")).to_owned(),
        })),*]
    };
}

macro_rules! shipped_texts {
    ($locale:literal: $($name:literal),* $(,)?) => {
        [$(($locale, $name, Parts {
            subject: include_str!(concat!("../templates/", $locale, "/", $name, ".subject")).trim().to_owned(),
            text: include_str!(concat!("../templates/", $locale, "/", $name, ".txt")).to_owned(),
            html: String::new(),
        })),*]
    };
}

/// Whether `name` is a text message's template (no HTML part).
pub fn is_text_message(name: &str) -> bool {
    name.ends_with("_sms")
}

/// The shop's own templates, by name.
pub const NAMES: [&str; 14] = [
    "welcome",
    "verify_email",
    "password_reset",
    "password_changed",
    "mfa_enabled",
    "identity_linked",
    "confirm_email_change",
    "email_change_notice",
    "order_confirmation",
    "order_shipped",
    "order_shipped_sms",
    "order_cancelled",
    "order_refunded",
    "stock_low_digest",
];

/// The longest subject and body parts a saved template may have, in bytes.
pub const MAX_SUBJECT: usize = 1_000;
pub const MAX_BODY: usize = 64 * 1024;

/// The templates: the shipped ones, and the shop's versions from its store.
pub struct Templates {
    env: Environment<'static>,
    parts: HashMap<(String, String), Parts>,
    saved: Option<Arc<dyn TemplateStore>>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// The shop's own templates, with the versions admins save kept in `store`.
    pub fn with_store(store: Arc<dyn TemplateStore>) -> Self {
        Self { saved: Some(store), ..Self::new() }
    }

    /// The shipped templates only.
    pub fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        env.set_auto_escape_callback(|name| if name.ends_with(".html") { AutoEscape::Html } else { AutoEscape::None });
        let shipped = shipped!("en": "welcome", "verify_email", "password_reset", "password_changed", "mfa_enabled",
            "identity_linked", "confirm_email_change", "email_change_notice",
            "order_confirmation", "order_shipped", "order_cancelled", "order_refunded", "stock_low_digest");
        let texts = shipped_texts!("en": "order_shipped_sms");
        let parts = shipped
            .into_iter()
            .chain(texts)
            .map(|(locale, name, parts)| ((locale.to_owned(), name.to_owned()), parts))
            .collect();
        Self { env, parts, saved: None }
    }

    /// The shipped parts of `name` in `locale` (or the fallback locale).
    pub fn parts(&self, name: &str, locale: &str) -> Option<&Parts> {
        self.parts
            .get(&(locale.to_owned(), name.to_owned()))
            .or_else(|| self.parts.get(&(FALLBACK_LOCALE.to_owned(), name.to_owned())))
    }

    /// The store of the shop's versions.
    pub fn store(&self) -> Option<&Arc<dyn TemplateStore>> {
        self.saved.as_ref()
    }

    /// What `name` reads in `locale`: the shop's newest version there, else the shipped one
    /// there, else the same in the fallback locale — with the newest saved version (a reset
    /// is one, with no parts).
    pub async fn in_use(&self, name: &str, locale: &str) -> anyhow::Result<(Parts, Option<Version>)> {
        let shipped = |locale: &str| self.parts.get(&(locale.to_owned(), name.to_owned())).cloned();
        for locale in [locale, FALLBACK_LOCALE] {
            let saved = match &self.saved {
                Some(store) => store.current(name, locale).await?,
                None => None,
            };
            if let Some(parts) = saved.as_ref().and_then(|v| v.parts.clone()).or_else(|| shipped(locale)) {
                return Ok((parts, saved));
            }
        }
        anyhow::bail!("no template {name}")
    }

    /// Renders `name` for `locale` with `data`. Should the shop's version fail on data its
    /// sample did not foresee, the shipped template is sent instead (and the failure logged).
    pub async fn render(&self, name: &str, locale: &str, data: &Value) -> anyhow::Result<Content> {
        let (parts, saved) = self.in_use(name, locale).await?;
        match self.render_parts(name, &parts, data) {
            Err(err) if saved.as_ref().is_some_and(|v| v.parts.is_some()) => {
                tracing::warn!(
                    template = name,
                    locale,
                    error = format!("{err:#}"),
                    "the shop's template failed; the shipped one is sent"
                );
                let shipped = self.parts(name, locale).ok_or_else(|| anyhow::anyhow!("no template {name}"))?;
                self.render_parts(name, shipped, data)
            }
            rendered => rendered,
        }
    }

    /// Checks parts an admin means to save for `name`: within the size limits, and each
    /// renders with the template's sample data — what it shows, or why not.
    pub fn check(&self, name: &str, parts: &Parts) -> Result<Content, String> {
        let data = sample(name).ok_or_else(|| format!("no template {name}"))?;
        if parts.subject.trim().is_empty() || parts.subject.len() > MAX_SUBJECT {
            return Err(format!("subject: must be 1 to {MAX_SUBJECT} bytes"));
        }
        if is_text_message(name) {
            if parts.text.trim().is_empty() || parts.text.len() > MAX_TEXT {
                return Err(format!("text: must be 1 to {MAX_TEXT} bytes"));
            }
            if !parts.html.trim().is_empty() {
                return Err("html: a text message has no HTML part (leave it empty)".to_owned());
            }
        } else {
            for (part, body) in [("text", &parts.text), ("html", &parts.html)] {
                if body.trim().is_empty() || body.len() > MAX_BODY {
                    return Err(format!("{part}: must be 1 to {MAX_BODY} bytes"));
                }
            }
        }
        self.render_parts(name, parts, &data).map_err(|e| format!("{e:#}"))
    }

    /// Renders `parts` (a template being edited, or one in use) with `data`.
    pub fn render_parts(&self, name: &str, parts: &Parts, data: &Value) -> anyhow::Result<Content> {
        let render = |part: &str, source: &str| {
            self.env
                .render_named_str(&format!("{name}.{part}"), source, data)
                .map_err(|err| anyhow::anyhow!("template {name} ({part}): {err:#}"))
        };
        let subject = render("subject", &parts.subject)?;
        Ok(Content {
            // A subject is one line, whatever the data holds.
            subject: subject.lines().map(str::trim).collect::<Vec<_>>().join(" "),
            text: render("txt", &parts.text)?,
            html: render("html", &parts.html)?,
            link: None,
        })
    }
}

/// Data like what `name` is rendered with when it is sent: previews show it, and a template
/// is checked against it before it is saved.
pub fn sample(name: &str) -> Option<Value> {
    let common = context! { shop => "Shop", name => "Ada", link => "https://shop.example.com/link?token=sample" };
    let order = context! {
        id => "01920000-0000-7000-8000-000000000000", number => "01920000",
        lines => vec![
            context! { name => "Mug", sku => "MUG-1", quantity => 2, unit_price => "4.50 EUR", line_total => "9.00 EUR" },
            context! { name => "Tea", sku => "TEA-GREEN", quantity => 1, unit_price => "6.00 EUR", line_total => "6.00 EUR" },
        ],
        total => "15.00 EUR",
        address => context! { name => "Ada Lovelace", line1 => "1 Main Street", line2 => "", city => "Paris",
            region => "", postal_code => "75001", country => "FR" },
    };
    let data = match name {
        "welcome" | "verify_email" | "confirm_email_change" => context! { expires => "24 hours", ..common },
        "email_change_notice" => context! { new_email => "ada@new.example.com", ..common },
        "password_reset" => context! { expires => "30 minutes", ..common },
        "password_changed" | "mfa_enabled" => common,
        "identity_linked" => context! { provider => "Google", ..common },
        "order_confirmation" | "order_shipped" | "order_shipped_sms" | "order_cancelled" | "order_refunded" => {
            context! {
                order => order, amount => "15.00 EUR", reason => "changed my mind", carrier => "DHL",
                tracking_number => "JJD000390007", ..common
            }
        }
        "stock_low_digest" => context! {
            lines => vec![context! { sku => "MUG-1", available => 2, threshold => 5 }], ..common
        },
        _ => return None,
    };
    Some(data)
}

/// An amount in minor units as people read it: `12.50 EUR`, `1200 JPY`.
pub fn money(amount: i64, currency: &str) -> String {
    // ISO 4217 currencies without minor units among those shops use.
    const WHOLE: [&str; 8] = ["JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"];
    if WHOLE.contains(&currency) {
        return format!("{amount} {currency}");
    }
    let sign = if amount < 0 { "-" } else { "" };
    let cents = amount.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", cents / 100, cents % 100)
}
