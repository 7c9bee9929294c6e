//! Values that cross the platform's edges — from a browser into the gateway, from one
//! service into another — each parsed once, by one rule, into a type that cannot hold a
//! bad value. The gateway and every service use these, so a value one side accepts the
//! other side accepts too.
//!
//! No transport or storage type appears here: domain code may use every one of them.

mod address;
mod commerce;
mod money;

use serde::{Deserialize, Serialize};

pub use address::{Address, AddressInput};
pub use commerce::{IdempotencyKey, OrderId, PaymentToken, Quantity, Sku};
pub use money::{Currency, MixedCurrencies, Money};

/// One invalid input field, named as the client sent it (`shipping_address.city`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Collects field errors, so a client sees every problem of a request at once.
#[derive(Debug, Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    /// Keeps the value of a successful parse; records the message of a failed one.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|message| self.0.push(FieldError::new(field, message))).ok()
    }

    /// Records errors found elsewhere (e.g. an address's own fields).
    pub fn extend(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.0.extend(errors);
    }

    /// `Ok` when nothing was recorded, else every error.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() { Ok(()) } else { Err(self.0) }
    }
}

/// A free-text field: trimmed, at most `max` characters, no control characters but
/// newlines and tabs.
pub fn text(value: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("must not contain control characters".into());
    }
    Ok(value.to_owned())
}

/// A single line of text (a name, a city): trimmed, at most `max` characters, no control
/// characters at all; required unless `optional`.
pub fn line(value: &str, max: usize, optional: bool) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() && !optional {
        return Err("required".into());
    }
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(format!("at most {max} characters on one line"));
    }
    Ok(value.to_owned())
}

/// Declares an id newtype over a UUID: `new` (UUIDv7), `from_uuid`/`as_uuid`, `parse` (the canonical
/// hyphenated form only, so each id has one spelling), `Display`, `FromStr`, `Default`.
/// The crate using it depends on `uuid`.
#[macro_export]
macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(::uuid::Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(::uuid::Uuid::now_v7())
            }

            pub const fn from_uuid(id: ::uuid::Uuid) -> Self {
                Self(id)
            }

            pub const fn as_uuid(&self) -> ::uuid::Uuid {
                self.0
            }

            pub fn parse(s: &str) -> Result<Self, String> {
                if s.len() != 36 {
                    return Err("must be a UUID".into());
                }
                ::uuid::Uuid::parse_str(s).map(Self).map_err(|_| "must be a UUID".into())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}
