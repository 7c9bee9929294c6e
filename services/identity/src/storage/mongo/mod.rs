//! MongoDB identity stores: `users` (unique email) and `identity_links` (an identity to its
//! account) here, with their events in one transaction; `refresh_tokens` and
//! `revoked_families` in [`sessions`], `signing_keys` in [`keys`].

mod docs;
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
use shop_auth::Role;
use shop_messaging::{Envelope, outbox::MongoOutbox};
use shop_service_kit::{Page, Paging};

use super::{StoreError, UserStore, identity_key};
use crate::domain::{Email, LinkedIdentity, User, UserId};
use docs::{LinkDoc, UserDoc};

fn unexpected(err: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Unexpected(err.into())
}

pub struct MongoUserStore {
    users: Collection<UserDoc>,
    /// `{_id: "admins", count}`: how many admins there are, changed in the transaction
    /// of every change of role, under a guard that keeps it above zero.
    counters: Collection<bson::Document>,
    links: Collection<LinkDoc>,
    outbox: MongoOutbox,
}

/// The counter of admins.
const ADMINS: &str = "admins";

/// A change of role that would leave no admin (aborts its transaction).
#[derive(Debug, thiserror::Error)]
#[error("the last admin keeps the role")]
struct LastAdmin;

/// An identity linked to another account (aborts its transaction).
#[derive(Debug, thiserror::Error)]
#[error("the identity is linked to another account")]
struct IdentityTaken;

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
        let links = db.collection::<LinkDoc>("identity_links");
        shop_storage::ensure_indexes(
            &links,
            vec![
                IndexModel::builder()
                    .keys(doc! { "user_id": 1 })
                    .options(IndexOptions::builder().name("by_user".to_owned()).build())
                    .build(),
            ],
        )
        .await?;
        Ok(Self { users, counters, links, outbox })
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

    /// Notes `identity` as `user`'s, in `session` (refused when it is another's).
    async fn note_link(
        &self,
        session: &mut mongodb::ClientSession,
        user: UserId,
        identity: &LinkedIdentity,
    ) -> anyhow::Result<()> {
        let link = LinkDoc { key: identity_key(&identity.issuer, &identity.subject), user_id: user.to_string() };
        match self.links.insert_one(link).session(session).await {
            Err(err) if shop_storage::is_duplicate_key(&err) => Err(IdentityTaken.into()),
            other => Ok(other.map(drop)?),
        }
    }

    async fn one(&self, filter: bson::Document) -> Result<Option<User>, StoreError> {
        let found = self.users.find_one(filter).await.map_err(unexpected)?;
        found.map(User::try_from).transpose().map_err(unexpected)
    }
}

impl MongoUserStore {
    /// Replaces `user` when the stored one is its previous version with the same role, in
    /// one transaction with its events and the identity linked (`true`) or unlinked.
    async fn replace(
        &self,
        user: &User,
        events: &[Envelope],
        identity: Option<(&LinkedIdentity, bool)>,
    ) -> Result<(), StoreError> {
        let previous = i64::try_from(user.version).unwrap_or(i64::MAX) - 1;
        // A role changes only through `change_role`, which keeps the count of admins.
        let guard = doc! { "_id": user.id.to_string(), "version": previous, "role": user.role.as_str() };
        let doc = UserDoc::from(user);
        let written = self
            .outbox
            .transact(events, async |session| {
                match identity {
                    Some((identity, true)) => self.note_link(&mut *session, user.id, identity).await?,
                    Some((identity, false)) => {
                        let key = identity_key(&identity.issuer, &identity.subject);
                        let mine = doc! { "_id": key, "user_id": user.id.to_string() };
                        self.links.delete_one(mine).session(&mut *session).await?;
                    }
                    None => {}
                }
                shop_storage::replace_guarded(&self.users, session, guard, &doc).await
            })
            .await;
        written.map_err(refusal)
    }
}

/// Why a write of a user was refused: a stale version, an email someone else has, or else.
fn refusal(err: anyhow::Error) -> StoreError {
    if err.is::<LastAdmin>() {
        StoreError::LastAdmin
    } else if err.is::<IdentityTaken>() {
        StoreError::IdentityTaken
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
                for identity in &user.identities {
                    self.note_link(&mut *session, user.id, identity).await?;
                }
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

    async fn by_identity(&self, issuer: &str, subject: &str) -> Result<Option<User>, StoreError> {
        let link = self.links.find_one(doc! { "_id": identity_key(issuer, subject) }).await.map_err(unexpected)?;
        match link {
            Some(link) => self.one(doc! { "_id": link.user_id }).await,
            None => Ok(None),
        }
    }

    async fn update(&self, user: &User, events: &[Envelope]) -> Result<(), StoreError> {
        self.replace(user, events, None).await
    }

    async fn link(&self, user: &User, identity: &LinkedIdentity, events: &[Envelope]) -> Result<(), StoreError> {
        self.replace(user, events, Some((identity, true))).await
    }

    async fn unlink(&self, user: &User, identity: &LinkedIdentity, events: &[Envelope]) -> Result<(), StoreError> {
        self.replace(user, events, Some((identity, false))).await
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
