//! Templates, rendered by a sandboxed engine (MiniJinja): a template reads only the data it
//! is given — no files, no environment, no functions of the host — every loop is bounded
//! by fuel, an unknown variable is an error, and values are HTML-escaped in the HTML part.
//!
//! Each template has three parts (subject, plain text, HTML) per locale. The shop's own are
//! in `templates/<locale>/`; English is the fallback for a locale a template lacks.

use std::collections::HashMap;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

use crate::domain::Content;

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

/// The shop's own templates, by name.
pub const NAMES: [&str; 9] = [
    "welcome",
    "verify_email",
    "password_reset",
    "password_changed",
    "order_confirmation",
    "order_shipped",
    "order_cancelled",
    "order_refunded",
    "stock_low_digest",
];

/// The templates in use, by (locale, name).
pub struct Templates {
    env: Environment<'static>,
    parts: HashMap<(String, String), Parts>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// The shop's own templates.
    pub fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        env.set_auto_escape_callback(|name| if name.ends_with(".html") { AutoEscape::Html } else { AutoEscape::None });
        let shipped = shipped!("en": "welcome", "verify_email", "password_reset", "password_changed",
            "order_confirmation", "order_shipped", "order_cancelled", "order_refunded", "stock_low_digest");
        let parts =
            shipped.into_iter().map(|(locale, name, parts)| ((locale.to_owned(), name.to_owned()), parts)).collect();
        Self { env, parts }
    }

    /// The parts of `name` in `locale` (or the fallback locale).
    pub fn parts(&self, name: &str, locale: &str) -> Option<&Parts> {
        self.parts
            .get(&(locale.to_owned(), name.to_owned()))
            .or_else(|| self.parts.get(&(FALLBACK_LOCALE.to_owned(), name.to_owned())))
    }

    /// Renders `name` for `locale` with `data`.
    pub fn render(&self, name: &str, locale: &str, data: &Value) -> anyhow::Result<Content> {
        let parts = self.parts(name, locale).ok_or_else(|| anyhow::anyhow!("no template {name}"))?;
        self.render_parts(name, parts, data)
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
