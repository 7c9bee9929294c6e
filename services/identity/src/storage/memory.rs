//! Embedded identity stores for the all-in-one mode and unit tests.

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
};

use async_trait::async_trait;
use shop_auth::{Role, SigningKey};
use shop_messaging::{Envelope, outbox::MemoryOutbox};
use shop_platform::lock;
use shop_service_kit::{Page, Paging};

use super::{Consumed, KeyStore, RefreshToken, SessionStore, StoreError, UserStore};
use crate::domain::{Email, LinkedIdentity, User, UserId};

/// The account `identity` is linked to, among `users`.
fn linked(users: &[User], identity: &LinkedIdentity) -> Option<UserId> {
    let same = |i: &LinkedIdentity| i.issuer == identity.issuer && i.subject == identity.subject;
    users.iter().find(|u| u.identities.iter().any(same)).map(|u| u.id)
}

pub struct MemoryUserStore {
    users: Mutex<Vec<User>>,
    outbox: MemoryOutbox,
}

impl MemoryUserStore {
    pub fn new(outbox: MemoryOutbox) -> Self {
        Self { users: Mutex::default(), outbox }
    }

    /// Replaces `user` when the stored one is its previous version, with the same role, and
    /// `identities_follow` from it; no identity of it may be another account's.
    fn replace(
        &self,
        user: &User,
        events: &[Envelope],
        identities_follow: impl FnOnce(&User) -> bool,
    ) -> Result<(), StoreError> {
        let mut users = lock(&self.users);
        if users.iter().any(|u| u.id != user.id && u.email == user.email) {
            return Err(StoreError::EmailTaken);
        }
        if user.identities.iter().any(|i| linked(&users, i).is_some_and(|owner| owner != user.id)) {
            return Err(StoreError::IdentityTaken);
        }
        let stored = users.iter_mut().find(|u| u.id == user.id).ok_or(StoreError::Stale)?;
        if stored.version + 1 != user.version || stored.role != user.role || !identities_follow(stored) {
            return Err(StoreError::Stale);
        }
        *stored = user.clone();
        self.outbox.add(events.iter().cloned());
        Ok(())
    }
}

#[async_trait]
impl UserStore for MemoryUserStore {
    async fn insert(&self, user: &User, events: &[Envelope]) -> Result<(), StoreError> {
        let mut users = lock(&self.users);
        if users.iter().any(|u| u.email == user.email) {
            return Err(StoreError::EmailTaken);
        }
        if user.identities.iter().any(|i| linked(&users, i).is_some()) {
            return Err(StoreError::IdentityTaken);
        }
        users.push(user.clone());
        self.outbox.add(events.iter().cloned());
        Ok(())
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(lock(&self.users).iter().find(|u| u.id == id).cloned())
    }

    async fn by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        Ok(lock(&self.users).iter().find(|u| &u.email == email).cloned())
    }

    async fn by_identity(&self, issuer: &str, subject: &str) -> Result<Option<User>, StoreError> {
        let users = lock(&self.users);
        let found = users.iter().find(|u| u.identities.iter().any(|i| i.issuer == issuer && i.subject == subject));
        Ok(found.cloned())
    }

    async fn update(&self, user: &User, events: &[Envelope]) -> Result<(), StoreError> {
        self.replace(user, events, |_| true)
    }

    async fn link(&self, user: &User, identity: &LinkedIdentity, events: &[Envelope]) -> Result<(), StoreError> {
        self.replace(user, events, |stored| {
            let mut was = user.identities.clone();
            was.retain(|i| i.id != identity.id);
            stored.identities == was
        })
    }

    async fn unlink(&self, user: &User, identity: &LinkedIdentity, events: &[Envelope]) -> Result<(), StoreError> {
        self.replace(user, events, |stored| {
            stored.identities.iter().filter(|i| i.id != identity.id).eq(user.identities.iter())
                && stored.identities.len() == user.identities.len() + 1
        })
    }

    async fn change_role(&self, user: &User, was: Role, events: &[Envelope]) -> Result<(), StoreError> {
        let mut users = lock(&self.users);
        let admins = users.iter().filter(|u| u.role == Role::Admin).count();
        if was == Role::Admin && user.role != Role::Admin && admins <= 1 {
            return Err(StoreError::LastAdmin);
        }
        let stored = users.iter_mut().find(|u| u.id == user.id).ok_or(StoreError::Stale)?;
        if stored.version + 1 != user.version || stored.role != was {
            return Err(StoreError::Stale);
        }
        *stored = user.clone();
        self.outbox.add(events.iter().cloned());
        Ok(())
    }

    async fn list(&self, role: Option<Role>, page: Paging) -> Result<Page<User>, StoreError> {
        let users: Vec<User> = lock(&self.users).iter().filter(|u| role.is_none_or(|r| u.role == r)).cloned().collect();
        Ok(page.of(users, |u| (None, u.id.to_string()), false))
    }
}

/// Tokens held before expired ones are swept.
const SWEEP_AT: usize = 100_000;

#[derive(Default)]
pub struct MemorySessionStore {
    tokens: Mutex<HashMap<String, (RefreshToken, bool)>>,
    revoked: Mutex<HashSet<String>>,
}

#[async_trait]
impl SessionStore for MemorySessionStore {
    async fn add(&self, token: &RefreshToken) -> anyhow::Result<()> {
        let mut tokens = lock(&self.tokens);
        if tokens.len() >= SWEEP_AT {
            // Expired tokens open nothing any more: forget them (as the TTL index does).
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            tokens.retain(|_, (t, _)| t.expires_at > now);
        }
        tokens.insert(token.hash.clone(), (token.clone(), false));
        Ok(())
    }

    async fn consume(&self, hash: &str) -> anyhow::Result<Consumed> {
        Ok(match lock(&self.tokens).get_mut(hash) {
            None => Consumed::Unknown,
            Some((token, true)) => Consumed::Reused(token.clone()),
            Some((token, used)) => {
                *used = true;
                Consumed::Fresh(token.clone())
            }
        })
    }

    async fn find(&self, hash: &str) -> anyhow::Result<Option<RefreshToken>> {
        Ok(lock(&self.tokens).get(hash).map(|(t, _)| t.clone()))
    }

    async fn revoke_family(&self, family_id: &str) -> anyhow::Result<()> {
        lock(&self.revoked).insert(family_id.to_owned());
        Ok(())
    }

    async fn revoke_user(&self, user: UserId) -> anyhow::Result<()> {
        let families: Vec<String> =
            lock(&self.tokens).values().filter(|(t, _)| t.user_id == user).map(|(t, _)| t.family_id.clone()).collect();
        lock(&self.revoked).extend(families);
        Ok(())
    }

    async fn is_revoked(&self, family_id: &str) -> anyhow::Result<bool> {
        Ok(lock(&self.revoked).contains(family_id))
    }
}

#[derive(Default)]
pub struct MemoryKeyStore {
    keys: Mutex<Vec<SigningKey>>,
}

#[async_trait]
impl KeyStore for MemoryKeyStore {
    async fn all(&self) -> anyhow::Result<Vec<SigningKey>> {
        Ok(lock(&self.keys).clone())
    }

    async fn put(&self, key: &SigningKey) -> anyhow::Result<()> {
        let mut keys = lock(&self.keys);
        keys.retain(|k| k.kid != key.kid);
        keys.push(key.clone());
        Ok(())
    }

    async fn remove(&self, kid: &str) -> anyhow::Result<()> {
        lock(&self.keys).retain(|k| k.kid != kid);
        Ok(())
    }
}
