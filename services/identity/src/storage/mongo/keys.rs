//! Signing keys in MongoDB: `signing_keys` (sealed by `crate::sealing` before they get here).

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::{
    Collection, Database,
    bson::{Binary, doc, spec::BinarySubtype},
};
use serde::{Deserialize, Serialize};
use shop_auth::SigningKey;

use super::super::KeyStore;

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
