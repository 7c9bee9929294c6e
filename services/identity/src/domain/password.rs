//! Passwords as users choose them: 8–128 characters, not a commonly used one.

use std::{collections::HashSet, sync::LazyLock};

/// Common passwords, compared case-insensitively.
static COMMON: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_lowercase)
        .collect()
});

/// A password that passed the rules. Never printed.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars < 8 {
            return Err("must be at least 8 characters".into());
        }
        if chars > 128 {
            return Err("must be at most 128 characters".into());
        }
        if COMMON.contains(&raw.to_lowercase()) {
            return Err("is too common; choose another".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_follow_the_length_and_commonness_rules() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert!(Password::parse("password").is_err());
        assert!(Password::parse("iloveyou").is_err());
        assert!(Password::parse("QWERTYUIOP").is_err(), "compared without case");
        assert!(Password::parse("correct horse battery staple").is_ok());
        assert!(Password::parse(&"é".repeat(128)).is_ok(), "counted in characters, not bytes");
    }

    #[test]
    fn a_password_is_never_printed() {
        let p = Password::parse("correct horse battery staple").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}
