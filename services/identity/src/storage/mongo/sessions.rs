//! Refresh-token sessions in MongoDB: `refresh_tokens` (by token hash, forgotten when they
//! expire) and `revoked_families`.

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::{
    Collection, Database, IndexModel,
    bson::{self, doc},
    options::ReturnDocument,
};
use serde::{Deserialize, Serialize};

use super::super::{Consumed, RefreshToken, SessionStore};
use crate::domain::UserId;

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
