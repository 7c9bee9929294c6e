//! Accounts: who a user is, how to reach them, what they may do.

use time::OffsetDateTime;

use super::Role;

shop_platform::uuid_id!(
    /// A user id.
    UserId
);

/// An email address, trimmed and lower-cased so each address has one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim().to_lowercase();
        let invalid = || "must be an email address".to_owned();
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain.split('.').all(|l| !l.is_empty() && l.len() <= 63);
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A first or last name: at most 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Name(String);

impl Name {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.chars().count() > 100 {
            return Err("must be at most 100 characters".into());
        }
        if name.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub use shop_types::Address;

/// What a user may change about themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub first_name: Name,
    pub last_name: Name,
    pub address: Option<Address>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
    pub profile: Profile,
    /// Whether the address was proven by following a link sent to it.
    pub email_verified: bool,
    /// The account's second factor, once enrolment began.
    pub mfa: Option<Mfa>,
    /// The OpenID Connect identities that sign in to it.
    pub identities: Vec<LinkedIdentity>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Bumped on every write; stale writes are refused.
    pub version: u64,
}

impl User {
    /// Whether the account signs in with a password (one made by a provider has none
    /// until its owner sets one through a reset link).
    pub fn has_password(&self) -> bool {
        !self.password_hash.is_empty()
    }
}

/// An identity at an OpenID Connect provider, linked to an account: the provider's issuer
/// and subject name it (each is linked to one account at most).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedIdentity {
    /// Its id within the account (to unlink it).
    pub id: String,
    /// The shop's name for the provider (`google`).
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    /// The address the provider gave when it was linked.
    pub email: Option<String>,
    pub linked_at: OffsetDateTime,
}

/// An account's second factor (see `crate::totp`): its TOTP secret sealed with the
/// key-encryption key, whether its owner proved the app holds it, the recovery codes not
/// used yet (hashed), and the last step a code was taken for (none is taken twice).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mfa {
    pub sealed_secret: Vec<u8>,
    pub confirmed: bool,
    pub recovery: Vec<String>,
    pub last_step: Option<i64>,
}

/// A registration that passed validation.
#[derive(Debug)]
pub struct NewAccount {
    pub email: Email,
    pub password: super::Password,
    pub profile: Profile,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        for bad in
            ["", "ada", "ada@", "@example.com", "ada@example", "a da@example.com", "ada@.com", "ada@example.com."]
        {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn names_and_addresses_are_bounded() {
        assert!(Name::parse(&"n".repeat(101)).is_err());
        assert!(Name::parse("Ada\u{0}").is_err());
        let bad = shop_types::AddressInput {
            name: "Ada".into(),
            line1: "1 Main St".into(),
            postal_code: "12345".into(),
            country: "usa".into(),
            city: "c".repeat(201),
            ..shop_types::AddressInput::default()
        };
        let fields: Vec<_> = bad.parse("address").unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["address.city", "address.country"]);
    }
}
