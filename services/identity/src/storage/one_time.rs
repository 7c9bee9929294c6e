//! One-time tokens: the secrets in an email's link that prove an address (verification) or
//! let a forgotten password be set again (reset). Only a token's hash is stored; it is
//! taken once — of two concurrent takers one gets it — and only for what it was made for,
//! before it expires. An embedded and a MongoDB store, held to one contract.

use std::{collections::HashMap, sync::Mutex};

use async_trait::async_trait;
use mongodb::{Collection, Database, IndexModel, bson::doc};
use serde::{Deserialize, Serialize};
use shop_platform::lock;

use crate::domain::UserId;

/// What a one-time token is for: one kind never passes for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    /// Confirms a new address (the token's `detail`) for the account.
    ChangeEmail,
    /// Finishes a sign-in with a second factor (`detail`: wrong codes still allowed).
    SecondFactor,
    /// An OpenID Connect sign-in begun, by its `state` (`detail`: what the callback must
    /// match; `user_id`: the account to link to, or nil for a sign-in).
    ExternalSignIn,
}

impl Purpose {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::ChangeEmail => "change_email",
            Self::SecondFactor => "second_factor",
            Self::ExternalSignIn => "external_sign_in",
        }
    }
}

/// A one-time token as stored: its hash, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeToken {
    /// SHA-256 of the token, hex.
    pub hash: String,
    pub purpose: Purpose,
    pub user_id: UserId,
    /// Unix seconds.
    pub expires_at: i64,
    /// What the link is about beyond its account (the new address of an email change;
    /// empty otherwise).
    pub detail: String,
}

#[async_trait]
pub trait OneTimeTokens: Send + Sync + 'static {
    async fn put(&self, token: &OneTimeToken) -> anyhow::Result<()>;
    /// Takes the token of `purpose` with this hash, unexpired at `now` (Unix seconds), once.
    /// A token asked for with another purpose stays as it was.
    async fn take(&self, hash: &str, purpose: Purpose, now: i64) -> anyhow::Result<Option<OneTimeToken>>;
    /// The token of `purpose` with this hash, unexpired at `now`, left in place (a sign-in
    /// challenge is read at each step and taken only when the sign-in finishes).
    async fn peek(&self, hash: &str, purpose: Purpose, now: i64) -> anyhow::Result<Option<OneTimeToken>>;
    /// Forgets `user`'s unused tokens of `purpose` (a new one replaces them; a reset
    /// password voids every reset link sent before).
    async fn forget(&self, user: UserId, purpose: Purpose) -> anyhow::Result<()>;
}

#[derive(Default)]
pub struct MemoryOneTimeTokens {
    tokens: Mutex<HashMap<String, OneTimeToken>>,
}

#[async_trait]
impl OneTimeTokens for MemoryOneTimeTokens {
    async fn put(&self, token: &OneTimeToken) -> anyhow::Result<()> {
        let mut tokens = lock(&self.tokens);
        // Expired tokens open nothing: forget them as new ones come (as the TTL index does).
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        tokens.retain(|_, t| t.expires_at > now);
        tokens.insert(token.hash.clone(), token.clone());
        Ok(())
    }

    async fn take(&self, hash: &str, purpose: Purpose, now: i64) -> anyhow::Result<Option<OneTimeToken>> {
        let mut tokens = lock(&self.tokens);
        if tokens.get(hash).is_none_or(|t| t.purpose != purpose) {
            return Ok(None);
        }
        Ok(tokens.remove(hash).filter(|t| t.expires_at > now))
    }

    async fn peek(&self, hash: &str, purpose: Purpose, now: i64) -> anyhow::Result<Option<OneTimeToken>> {
        let tokens = lock(&self.tokens);
        Ok(tokens.get(hash).filter(|t| t.purpose == purpose && t.expires_at > now).cloned())
    }

    async fn forget(&self, user: UserId, purpose: Purpose) -> anyhow::Result<()> {
        lock(&self.tokens).retain(|_, t| !(t.user_id == user && t.purpose == purpose));
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct OneTimeDoc {
    #[serde(rename = "_id")]
    hash: String,
    purpose: String,
    user_id: String,
    expires_at: i64,
    #[serde(default)]
    detail: String,
    /// The same instant as a date, for the TTL index.
    expires: mongodb::bson::DateTime,
}

/// A stored token as it reads back, if still unexpired at `now`.
fn token_of(t: OneTimeDoc, purpose: Purpose, now: i64) -> Option<OneTimeToken> {
    let user_id = UserId::parse(&t.user_id).ok()?;
    (t.expires_at > now).then_some(OneTimeToken {
        hash: t.hash,
        purpose,
        user_id,
        expires_at: t.expires_at,
        detail: t.detail,
    })
}

/// Collection `one_time_tokens` (`_id` = the token's hash), forgotten once expired.
pub struct MongoOneTimeTokens {
    tokens: Collection<OneTimeDoc>,
}

impl MongoOneTimeTokens {
    pub async fn open(db: &Database) -> anyhow::Result<Self> {
        let tokens = db.collection::<OneTimeDoc>("one_time_tokens");
        let by_user = IndexModel::builder().keys(doc! { "user_id": 1 }).build();
        let expiry = shop_storage::expires("expires", std::time::Duration::ZERO);
        shop_storage::ensure_indexes(&tokens, vec![by_user, expiry]).await?;
        Ok(Self { tokens })
    }
}

#[async_trait]
impl OneTimeTokens for MongoOneTimeTokens {
    async fn put(&self, token: &OneTimeToken) -> anyhow::Result<()> {
        let doc = OneTimeDoc {
            hash: token.hash.clone(),
            purpose: token.purpose.as_str().to_owned(),
            user_id: token.user_id.to_string(),
            expires_at: token.expires_at,
            detail: token.detail.clone(),
            expires: mongodb::bson::DateTime::from_millis(token.expires_at.saturating_mul(1000)),
        };
        self.tokens.insert_one(doc).await?;
        Ok(())
    }

    async fn take(&self, hash: &str, purpose: Purpose, now: i64) -> anyhow::Result<Option<OneTimeToken>> {
        let taken = self.tokens.find_one_and_delete(doc! { "_id": hash, "purpose": purpose.as_str() }).await?;
        Ok(taken.and_then(|t| token_of(t, purpose, now)))
    }

    async fn peek(&self, hash: &str, purpose: Purpose, now: i64) -> anyhow::Result<Option<OneTimeToken>> {
        let found = self.tokens.find_one(doc! { "_id": hash, "purpose": purpose.as_str() }).await?;
        Ok(found.and_then(|t| token_of(t, purpose, now)))
    }

    async fn forget(&self, user: UserId, purpose: Purpose) -> anyhow::Result<()> {
        self.tokens.delete_many(doc! { "user_id": user.to_string(), "purpose": purpose.as_str() }).await?;
        Ok(())
    }
}
