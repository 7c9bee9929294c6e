//! MongoDB identity stores: `users` (unique email) here, with their events in one
//! transaction; `refresh_tokens` and `revoked_families` in [`sessions`], `signing_keys` in
//! [`keys`].

mod keys;
mod sessions;

pub use keys::MongoKeyStore;
pub use sessions::MongoSessionStore;

use async_trait::async_trait;
use mongodb::{
    Collection, Database, IndexModel,
    bson::{self, doc},
    options::IndexOptions,
};
use serde::{Deserialize, Serialize};
use shop_auth::Role;
use shop_messaging::{Envelope, outbox::MongoOutbox};
use shop_service_kit::{Page, Paging};
use shop_storage::timestamp;
use shop_types::AddressInput;

use super::{StoreError, UserStore};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::domain::{Email, Mfa, Name, Profile, User, UserId};

fn unexpected(err: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Unexpected(err.into())
}

#[derive(Debug, Serialize, Deserialize)]
struct UserDoc {
    #[serde(rename = "_id")]
    id: String,
    email: String,
    password_hash: String,
    role: String,
    first_name: String,
    last_name: String,
    address: Option<AddressInput>,
    #[serde(default)]
    email_verified: bool,
    #[serde(default)]
    mfa: Option<MfaDoc>,
    created_at: bson::DateTime,
    updated_at: bson::DateTime,
    version: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct MfaDoc {
    /// Sealed (see `crate::sealing`), base64 (URL-safe, unpadded).
    secret: String,
    confirmed: bool,
    /// SHA-256 of each recovery code not used yet.
    recovery: Vec<String>,
    last_step: Option<i64>,
}

impl From<&Mfa> for MfaDoc {
    fn from(m: &Mfa) -> Self {
        Self {
            secret: URL_SAFE_NO_PAD.encode(&m.sealed_secret),
            confirmed: m.confirmed,
            recovery: m.recovery.clone(),
            last_step: m.last_step,
        }
    }
}

impl TryFrom<MfaDoc> for Mfa {
    type Error = anyhow::Error;

    fn try_from(d: MfaDoc) -> anyhow::Result<Self> {
        let sealed_secret = URL_SAFE_NO_PAD.decode(&d.secret)?;
        Ok(Self { sealed_secret, confirmed: d.confirmed, recovery: d.recovery, last_step: d.last_step })
    }
}

impl From<&User> for UserDoc {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email.as_str().to_owned(),
            password_hash: u.password_hash.clone(),
            role: u.role.as_str().to_owned(),
            first_name: u.profile.first_name.as_str().to_owned(),
            last_name: u.profile.last_name.as_str().to_owned(),
            address: u.profile.address.as_ref().map(|a| a.fields().clone()),
            email_verified: u.email_verified,
            mfa: u.mfa.as_ref().map(MfaDoc::from),
            created_at: timestamp::to_bson(u.created_at),
            updated_at: timestamp::to_bson(u.updated_at),
            version: i64::try_from(u.version).unwrap_or(i64::MAX),
        }
    }
}

impl TryFrom<UserDoc> for User {
    type Error = anyhow::Error;

    fn try_from(d: UserDoc) -> anyhow::Result<Self> {
        let bad = |what: &str, e: String| anyhow::anyhow!("stored user {}: {what}: {e}", d.id);
        Ok(Self {
            id: UserId::parse(&d.id).map_err(|e| bad("id", e))?,
            email: Email::parse(&d.email).map_err(|e| bad("email", e))?,
            role: Role::parse(&d.role).map_err(|e| bad("role", e))?,
            profile: Profile {
                first_name: Name::parse(&d.first_name).map_err(|e| bad("first_name", e))?,
                last_name: Name::parse(&d.last_name).map_err(|e| bad("last_name", e))?,
                address: d.address.map(AddressInput::trusted),
            },
            password_hash: d.password_hash,
            email_verified: d.email_verified,
            mfa: d.mfa.map(Mfa::try_from).transpose()?,
            created_at: timestamp::from_bson(d.created_at)?,
            updated_at: timestamp::from_bson(d.updated_at)?,
            version: u64::try_from(d.version)?,
        })
    }
}

pub struct MongoUserStore {
    users: Collection<UserDoc>,
    /// `{_id: "admins", count}`: how many admins there are, changed in the transaction
    /// of every change of role, under a guard that keeps it above zero.
    counters: Collection<bson::Document>,
    outbox: MongoOutbox,
}

/// The counter of admins.
const ADMINS: &str = "admins";

/// A change of role that would leave no admin (aborts its transaction).
#[derive(Debug, thiserror::Error)]
#[error("the last admin keeps the role")]
struct LastAdmin;

impl MongoUserStore {
    pub async fn open(db: Database, outbox: MongoOutbox) -> anyhow::Result<Self> {
        let users = db.collection::<UserDoc>("users");
        shop_storage::ensure_indexes(
            &users,
            vec![
                IndexModel::builder()
                    .keys(doc! { "email": 1 })
                    .options(IndexOptions::builder().unique(true).name("email_unique".to_owned()).build())
                    .build(),
                // Admins are counted (the last one keeps the role).
                IndexModel::builder()
                    .keys(doc! { "role": 1 })
                    .options(IndexOptions::builder().name("by_role".to_owned()).build())
                    .build(),
            ],
        )
        .await?;
        let counters = db.collection::<bson::Document>("counters");
        if counters.find_one(doc! { "_id": ADMINS }).await?.is_none() {
            // First start (or the first since the counter came): count the admins there are.
            let count = i64::try_from(users.count_documents(doc! { "role": Role::Admin.as_str() }).await?)?;
            let made = counters.insert_one(doc! { "_id": ADMINS, "count": count }).await;
            if let Err(err) = made {
                anyhow::ensure!(shop_storage::is_duplicate(&err.into()), "cannot count the admins");
            }
        }
        Ok(Self { users, counters, outbox })
    }

    /// Counts one admin more (`+1`) or fewer (`-1`, refused when it is the last).
    async fn count_admins(&self, session: &mut mongodb::ClientSession, delta: i64) -> anyhow::Result<()> {
        if delta > 0 {
            let more = doc! { "$inc": { "count": delta } };
            self.counters.update_one(doc! { "_id": ADMINS }, more).upsert(true).session(session).await?;
        } else if delta < 0 {
            let guard = doc! { "_id": ADMINS, "count": { "$gt": -delta } };
            let fewer = self.counters.update_one(guard, doc! { "$inc": { "count": delta } }).session(session).await?;
            if fewer.matched_count == 0 {
                return Err(LastAdmin.into());
            }
        }
        Ok(())
    }

    async fn one(&self, filter: bson::Document) -> Result<Option<User>, StoreError> {
        let found = self.users.find_one(filter).await.map_err(unexpected)?;
        found.map(User::try_from).transpose().map_err(unexpected)
    }
}

/// Why a write of a user was refused: a stale version, an email someone else has, or else.
fn refusal(err: anyhow::Error) -> StoreError {
    if err.is::<LastAdmin>() {
        StoreError::LastAdmin
    } else if shop_storage::is_stale(&err) {
        StoreError::Stale
    } else if shop_storage::is_duplicate(&err) {
        StoreError::EmailTaken
    } else {
        StoreError::Unexpected(err)
    }
}

#[async_trait]
impl UserStore for MongoUserStore {
    async fn insert(&self, user: &User, events: &[Envelope]) -> Result<(), StoreError> {
        let doc = UserDoc::from(user);
        let admin = i64::from(user.role == Role::Admin);
        let written = self
            .outbox
            .transact(events, async |session| {
                self.users.insert_one(doc).session(&mut *session).await?;
                self.count_admins(session, admin).await
            })
            .await;
        written.map_err(refusal)
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.one(doc! { "_id": id.to_string() }).await
    }

    async fn by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        self.one(doc! { "email": email.as_str() }).await
    }

    async fn update(&self, user: &User, events: &[Envelope]) -> Result<(), StoreError> {
        let previous = i64::try_from(user.version).unwrap_or(i64::MAX) - 1;
        // A role changes only through `change_role`, which keeps the count of admins.
        let guard = doc! { "_id": user.id.to_string(), "version": previous, "role": user.role.as_str() };
        let doc = UserDoc::from(user);
        let written = self
            .outbox
            .transact(events, async |session| shop_storage::replace_guarded(&self.users, session, guard, &doc).await)
            .await;
        written.map_err(refusal)
    }

    async fn change_role(&self, user: &User, was: Role, events: &[Envelope]) -> Result<(), StoreError> {
        let previous = i64::try_from(user.version).unwrap_or(i64::MAX) - 1;
        let guard = doc! { "_id": user.id.to_string(), "version": previous, "role": was.as_str() };
        let doc = UserDoc::from(user);
        let delta = i64::from(user.role == Role::Admin) - i64::from(was == Role::Admin);
        let written = self
            .outbox
            .transact(events, async |session| {
                self.count_admins(&mut *session, delta).await?;
                shop_storage::replace_guarded(&self.users, session, guard, &doc).await
            })
            .await;
        written.map_err(refusal)
    }

    async fn list(&self, role: Option<Role>, page: Paging) -> Result<Page<User>, StoreError> {
        let order = shop_storage::Order::by_id(false);
        let filter = role.map(|r| doc! { "role": r.as_str() }).unwrap_or_default();
        let found =
            shop_storage::page(&self.users, filter, order, page.start(), page.limit()).await.map_err(unexpected)?;
        let items = found.items.into_iter().map(User::try_from).collect::<anyhow::Result<_>>()?;
        Ok(Page { items, total: found.total, next: found.next })
    }
}
