//! MongoDB identity stores: `users` (unique email), `refresh_tokens` (by token hash),
//! `revoked_families`, `signing_keys`. User changes and their events share a transaction.

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::{
    Collection, Database, IndexModel,
    bson::{self, Binary, doc, spec::BinarySubtype},
    options::{IndexOptions, ReturnDocument},
};
use serde::{Deserialize, Serialize};
use shop_auth::{Role, SigningKey};
use shop_messaging::{Envelope, outbox::MongoOutbox};
use shop_service_kit::{Page, Paging};
use shop_storage::timestamp;
use shop_types::AddressInput;

use super::{Consumed, KeyStore, RefreshToken, SessionStore, StoreError, UserStore};
use crate::domain::{Email, Name, Profile, User, UserId};

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
    created_at: bson::DateTime,
    updated_at: bson::DateTime,
    version: i64,
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

#[derive(Debug, Serialize, Deserialize)]
struct TokenDoc {
    #[serde(rename = "_id")]
    hash: String,
    family_id: String,
    user_id: String,
    expires_at: i64,
    /// 0 until the token is rotated; raised with `$inc` under a guard.
    uses: i32,
    /// `expires_at` as a date: the TTL index deletes the token then.
    #[serde(default = "shop_storage::now_date")]
    expires: bson::DateTime,
}

impl TryFrom<TokenDoc> for RefreshToken {
    type Error = anyhow::Error;

    fn try_from(d: TokenDoc) -> anyhow::Result<Self> {
        Ok(Self {
            user_id: UserId::parse(&d.user_id).map_err(|e| anyhow::anyhow!("stored token: {e}"))?,
            hash: d.hash,
            family_id: d.family_id,
            expires_at: d.expires_at,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct RevokedDoc {
    #[serde(rename = "_id")]
    family_id: String,
    /// When it was revoked: no token of the family outlives this by more than the refresh
    /// token lifetime, after which the TTL index forgets the revocation.
    #[serde(default = "shop_storage::now_date")]
    at: bson::DateTime,
}

pub struct MongoSessionStore {
    tokens: Collection<TokenDoc>,
    revoked: Collection<RevokedDoc>,
}

impl MongoSessionStore {
    /// `refresh_ttl`: the lifetime of a refresh token (how long a revocation must last).
    pub async fn open(db: &Database, refresh_ttl: std::time::Duration) -> anyhow::Result<Self> {
        let tokens = db.collection::<TokenDoc>("refresh_tokens");
        let by_family = IndexModel::builder().keys(doc! { "family_id": 1 }).build();
        // A user's sessions are revoked together (a changed password).
        let by_user = IndexModel::builder().keys(doc! { "user_id": 1 }).build();
        let expiry = shop_storage::expires("expires", std::time::Duration::ZERO);
        shop_storage::ensure_indexes(&tokens, vec![by_family, by_user, expiry]).await?;
        let revoked = db.collection("revoked_families");
        shop_storage::ensure_indexes(&revoked, vec![shop_storage::expires("at", refresh_ttl)]).await?;
        Ok(Self { tokens, revoked })
    }
}

#[async_trait]
impl SessionStore for MongoSessionStore {
    async fn add(&self, token: &RefreshToken) -> anyhow::Result<()> {
        let doc = TokenDoc {
            hash: token.hash.clone(),
            family_id: token.family_id.clone(),
            user_id: token.user_id.to_string(),
            expires_at: token.expires_at,
            uses: 0,
            expires: bson::DateTime::from_millis(token.expires_at.saturating_mul(1000)),
        };
        self.tokens.insert_one(doc).await?;
        Ok(())
    }

    async fn consume(&self, hash: &str) -> anyhow::Result<Consumed> {
        let fresh = self
            .tokens
            .find_one_and_update(doc! { "_id": hash, "uses": 0 }, doc! { "$inc": { "uses": 1 } })
            .return_document(ReturnDocument::After)
            .await?;
        if let Some(doc) = fresh {
            return Ok(Consumed::Fresh(doc.try_into()?));
        }
        Ok(match self.tokens.find_one(doc! { "_id": hash }).await? {
            Some(doc) => Consumed::Reused(doc.try_into()?),
            None => Consumed::Unknown,
        })
    }

    async fn find(&self, hash: &str) -> anyhow::Result<Option<RefreshToken>> {
        self.tokens.find_one(doc! { "_id": hash }).await?.map(RefreshToken::try_from).transpose()
    }

    async fn revoke_family(&self, family_id: &str) -> anyhow::Result<()> {
        match self
            .revoked
            .insert_one(RevokedDoc { family_id: family_id.to_owned(), at: shop_storage::now_date() })
            .await
        {
            Err(err) if !shop_storage::is_duplicate_key(&err) => Err(err.into()),
            _ => Ok(()),
        }
    }

    async fn revoke_user(&self, user: UserId) -> anyhow::Result<()> {
        let tokens: Vec<TokenDoc> = self.tokens.find(doc! { "user_id": user.to_string() }).await?.try_collect().await?;
        let families: std::collections::BTreeSet<String> = tokens.into_iter().map(|t| t.family_id).collect();
        for family in families {
            self.revoke_family(&family).await?;
        }
        Ok(())
    }

    async fn is_revoked(&self, family_id: &str) -> anyhow::Result<bool> {
        Ok(self.revoked.find_one(doc! { "_id": family_id }).await?.is_some())
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyDoc {
    #[serde(rename = "_id")]
    kid: String,
    private_pkcs8: Binary,
    public: Binary,
    created_at: i64,
}

pub struct MongoKeyStore {
    keys: Collection<KeyDoc>,
}

impl MongoKeyStore {
    pub fn new(db: &Database) -> Self {
        Self { keys: db.collection("signing_keys") }
    }
}

fn binary(bytes: &[u8]) -> Binary {
    Binary { subtype: BinarySubtype::Generic, bytes: bytes.to_vec() }
}

#[async_trait]
impl KeyStore for MongoKeyStore {
    async fn all(&self) -> anyhow::Result<Vec<SigningKey>> {
        let docs: Vec<KeyDoc> = self.keys.find(doc! {}).sort(doc! { "created_at": 1 }).await?.try_collect().await?;
        Ok(docs
            .into_iter()
            .map(|d| SigningKey {
                kid: d.kid,
                private_pkcs8: d.private_pkcs8.bytes,
                public: d.public.bytes,
                created_at: d.created_at,
            })
            .collect())
    }

    async fn put(&self, key: &SigningKey) -> anyhow::Result<()> {
        let doc = KeyDoc {
            kid: key.kid.clone(),
            private_pkcs8: binary(&key.private_pkcs8),
            public: binary(&key.public),
            created_at: key.created_at,
        };
        match self.keys.insert_one(&doc).await {
            Ok(_) => Ok(()),
            // Present: only the private half changes (sealed anew).
            Err(err) if shop_storage::is_duplicate_key(&err) => {
                let sealed = doc! { "$set": { "private_pkcs8": doc.private_pkcs8.clone() } };
                self.keys.update_one(doc! { "_id": &key.kid }, sealed).await?;
                Ok(())
            }
            Err(err) => Err(err.into()),
        }
    }

    async fn remove(&self, kid: &str) -> anyhow::Result<()> {
        self.keys.delete_one(doc! { "_id": kid }).await?;
        Ok(())
    }
}
