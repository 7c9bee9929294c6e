//! A postal address as a shipping label needs it: who receives it, where, and a phone
//! number the carrier may call.

use serde::{Deserialize, Serialize};

use crate::{FieldError, Fields, line};

/// A postal address as a client sends it (every field a string, possibly empty) and as a
/// store keeps it: `name` (the recipient), `line1`, `city`, `postal_code` and `country` are
/// required; `phone`, `line2` and `region` are optional; lines are at most 200 characters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Address))]
#[serde(default, deny_unknown_fields)]
pub struct AddressInput {
    /// Who receives the parcel.
    pub name: String,
    /// A number the carrier may call: 5–20 digits, with spaces, `+`, `-`, `(` and `)`.
    pub phone: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    /// ISO-3166-1 alpha-2, e.g. `US`.
    pub country: String,
}

/// A checked address: recipient name, line 1, city, postal code and a two-letter
/// ISO-3166 country are required; phone, line 2 and region are optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address(AddressInput);

/// Longest line of an address.
const MAX_LINE: usize = 200;

impl AddressInput {
    /// Checks every field; errors name the fields under `prefix` (`shipping_address.city`).
    pub fn parse(self, prefix: &str) -> Result<Address, Vec<FieldError>> {
        let mut fields = Fields::default();
        let name = |field: &str| format!("{prefix}.{field}");
        let mut text = |field: &str, value: &str, optional: bool| {
            fields.check(&name(field), line(value, MAX_LINE, optional)).unwrap_or_default()
        };
        let checked = Self {
            name: text("name", &self.name, false),
            phone: String::new(),
            line1: text("line1", &self.line1, false),
            line2: text("line2", &self.line2, true),
            city: text("city", &self.city, false),
            region: text("region", &self.region, true),
            postal_code: text("postal_code", &self.postal_code, false),
            country: String::new(),
        };
        let phone = fields.check(&name("phone"), phone(&self.phone)).unwrap_or_default();
        let country = fields.check(&name("country"), country(&self.country)).unwrap_or_default();
        fields.finish()?;
        Ok(Address(Self { phone, country, ..checked }))
    }

    /// An address this platform stored after parsing it, read back as it was.
    pub fn trusted(self) -> Address {
        Address(self)
    }
}

fn phone(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let digits = raw.chars().filter(char::is_ascii_digit).count();
    let allowed = raw.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if raw.is_empty() || (allowed && (5..=20).contains(&digits) && raw.len() <= 32) {
        Ok(raw.to_owned())
    } else {
        Err("a phone number of 5 to 20 digits (spaces, +, -, ( and ) allowed)".into())
    }
}

fn country(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.len() == 2 && raw.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(raw.to_owned())
    } else {
        Err("a two-letter ISO-3166 code such as US".into())
    }
}

impl Address {
    /// The fields, for writing out (to a store, a message, a response).
    pub fn fields(&self) -> &AddressInput {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AddressInput {
        AddressInput {
            name: " Ada Lovelace ".into(),
            line1: "1 Main St".into(),
            city: "Springfield".into(),
            postal_code: "12345".into(),
            country: "US".into(),
            ..AddressInput::default()
        }
    }

    #[test]
    fn a_complete_address_is_trimmed_and_kept() {
        let a = input().parse("address").unwrap();
        assert_eq!(a.fields().name, "Ada Lovelace");
        assert_eq!(a.fields().phone, "");
        assert_eq!(a.fields().country, "US");
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = AddressInput { name: String::new(), phone: "call me".into(), country: "usa".into(), ..input() };
        let errors = bad.parse("shipping_address").unwrap_err();
        let named: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["shipping_address.name", "shipping_address.phone", "shipping_address.country"]);
    }

    #[test]
    fn phones_are_digits_with_the_usual_punctuation() {
        assert!(AddressInput { phone: "+1 (555) 010-0199".into(), ..input() }.parse("a").is_ok());
        assert!(AddressInput { phone: "12".into(), ..input() }.parse("a").is_err());
        assert!(AddressInput { line1: "a\nb".into(), ..input() }.parse("a").is_err());
    }
}
