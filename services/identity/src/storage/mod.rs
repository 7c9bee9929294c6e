//! Identity storage: users, refresh-token sessions, one-time tokens and signing keys. Each trait has a
//! MongoDB and an embedded implementation held to one contract (`tests/store_contract.rs`).

mod memory;
mod mongo;
mod one_time;

use async_trait::async_trait;
use shop_auth::Role;
use shop_auth::SigningKey;
use shop_messaging::Envelope;
use shop_service_kit::{Page, Paging};

pub use memory::{MemoryKeyStore, MemorySessionStore, MemoryUserStore};
pub use mongo::{MongoKeyStore, MongoSessionStore, MongoUserStore};
pub use one_time::{MemoryOneTimeTokens, MongoOneTimeTokens, OneTimeToken, OneTimeTokens, Purpose};

use crate::domain::{Email, LinkedIdentity, User, UserId};

/// How an identity is named in the stores: its issuer and subject.
pub fn identity_key(issuer: &str, subject: &str) -> String {
    format!("{issuer} {subject}")
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the email address is taken")]
    EmailTaken,
    #[error("the record changed since it was read")]
    Stale,
    /// The change would leave the shop without an admin.
    #[error("the last admin keeps the role")]
    LastAdmin,
    /// The provider's identity is linked to another account.
    #[error("the identity is linked to another account")]
    IdentityTaken,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Stores a new user with the events announcing it; the email must be free, and each
    /// of its identities (else `IdentityTaken`).
    async fn insert(&self, user: &User, events: &[Envelope]) -> Result<(), StoreError>;
    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError>;
    async fn by_email(&self, email: &Email) -> Result<Option<User>, StoreError>;
    /// The account an OpenID Connect identity is linked to.
    async fn by_identity(&self, issuer: &str, subject: &str) -> Result<Option<User>, StoreError>;
    /// Replaces the user if the stored version is `user.version - 1` and the role is the
    /// same (else `Stale`). Its identities change only by `link` and `unlink`.
    async fn update(&self, user: &User, events: &[Envelope]) -> Result<(), StoreError>;
    /// As [`UserStore::update`], for `user` with `identity` linked since the stored version
    /// (`IdentityTaken` when it is another account's, however many such links race).
    async fn link(&self, user: &User, identity: &LinkedIdentity, events: &[Envelope]) -> Result<(), StoreError>;
    /// As [`UserStore::update`], for `user` without `identity` (linked until now).
    async fn unlink(&self, user: &User, identity: &LinkedIdentity, events: &[Envelope]) -> Result<(), StoreError>;
    /// As [`UserStore::update`], for a change of role from `was`: refused with `LastAdmin`
    /// when it would leave no admin, however many such changes race.
    async fn change_role(&self, user: &User, was: Role, events: &[Envelope]) -> Result<(), StoreError>;
    /// A page of users, oldest first, and the total.
    /// A page of the users (of one role, when given), by id.
    async fn list(&self, role: Option<Role>, page: Paging) -> Result<Page<User>, StoreError>;
}

/// A refresh token as stored: only its hash, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    /// SHA-256 of the token, hex.
    pub hash: String,
    /// Every token issued by rotating one login shares a family.
    pub family_id: String,
    pub user_id: UserId,
    /// Unix seconds.
    pub expires_at: i64,
}

/// What consuming a refresh token found.
#[derive(Debug, PartialEq, Eq)]
pub enum Consumed {
    /// Unused until now; it is used from here on.
    Fresh(RefreshToken),
    /// Already used once: a replay.
    Reused(RefreshToken),
    Unknown,
}

#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    async fn add(&self, token: &RefreshToken) -> anyhow::Result<()>;
    /// Marks the token used, atomically: of two concurrent calls only one sees `Fresh`.
    async fn consume(&self, hash: &str) -> anyhow::Result<Consumed>;
    async fn find(&self, hash: &str) -> anyhow::Result<Option<RefreshToken>>;
    async fn revoke_family(&self, family_id: &str) -> anyhow::Result<()>;
    /// Revokes every session of `user` (each family one of its tokens belongs to).
    async fn revoke_user(&self, user: UserId) -> anyhow::Result<()>;
    async fn is_revoked(&self, family_id: &str) -> anyhow::Result<bool>;
}

#[async_trait]
pub trait KeyStore: Send + Sync + 'static {
    async fn all(&self) -> anyhow::Result<Vec<SigningKey>>;
    /// Stores the key, replacing one with the same id.
    async fn put(&self, key: &SigningKey) -> anyhow::Result<()>;
    async fn remove(&self, kid: &str) -> anyhow::Result<()>;
}
