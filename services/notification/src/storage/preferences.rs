//! Each account's choice of optional notices (a text message when an order ships, the
//! low-stock digest). An account that never chose has the defaults; a change names only the
//! choices it changes, so two changes at once to different choices both hold.

use std::{collections::HashMap, sync::Mutex};

use async_trait::async_trait;
use mongodb::{Collection, Database, bson::doc};
use serde::{Deserialize, Serialize};
use shop_platform::lock;

/// An account's choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preferences {
    /// A text message when an order ships. Off unless chosen.
    pub shipping_sms: bool,
    /// The low-stock digest (vendors and admins). On unless declined.
    pub stock_digest: bool,
    /// When the account last chose (Unix ms); none: the defaults.
    pub updated_at: Option<i64>,
}

impl Default for Preferences {
    fn default() -> Self {
        Self { shipping_sms: false, stock_digest: true, updated_at: None }
    }
}

/// The choices a change makes (none: left as they are).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PreferenceChange {
    pub shipping_sms: Option<bool>,
    pub stock_digest: Option<bool>,
}

impl PreferenceChange {
    fn apply(self, to: &mut Preferences, now: i64) {
        if let Some(v) = self.shipping_sms {
            to.shipping_sms = v;
        }
        if let Some(v) = self.stock_digest {
            to.stock_digest = v;
        }
        to.updated_at = Some(now);
    }
}

#[async_trait]
pub trait PreferenceStore: Send + Sync + 'static {
    /// The choices of `user_id` (the defaults when it never chose).
    async fn get(&self, user_id: &str) -> anyhow::Result<Preferences>;
    /// Makes `change` to the choices of `user_id`: the choices after it.
    async fn update(&self, user_id: &str, change: PreferenceChange, now: i64) -> anyhow::Result<Preferences>;
}

#[derive(Default)]
pub struct MemoryPreferenceStore {
    chosen: Mutex<HashMap<String, Preferences>>,
}

#[async_trait]
impl PreferenceStore for MemoryPreferenceStore {
    async fn get(&self, user_id: &str) -> anyhow::Result<Preferences> {
        Ok(lock(&self.chosen).get(user_id).copied().unwrap_or_default())
    }

    async fn update(&self, user_id: &str, change: PreferenceChange, now: i64) -> anyhow::Result<Preferences> {
        let mut chosen = lock(&self.chosen);
        let preferences = chosen.entry(user_id.to_owned()).or_default();
        change.apply(preferences, now);
        Ok(*preferences)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct PreferencesDoc {
    /// The user id.
    #[serde(rename = "_id")]
    id: String,
    shipping_sms: bool,
    stock_digest: bool,
    updated_at: i64,
    /// One more with each change: a change is written only over the version it read.
    version: i64,
}

impl From<PreferencesDoc> for Preferences {
    fn from(d: PreferencesDoc) -> Self {
        Self { shipping_sms: d.shipping_sms, stock_digest: d.stock_digest, updated_at: Some(d.updated_at) }
    }
}

/// Collection `preferences`, one document per account that chose (`_id` = user id), each
/// change a whole-document replace guarded by the version it read.
pub struct MongoPreferenceStore {
    chosen: Collection<PreferencesDoc>,
}

impl MongoPreferenceStore {
    pub fn open(db: &Database) -> Self {
        Self { chosen: db.collection("preferences") }
    }
}

/// How often a change is tried again over a newer version before it gives up.
const ATTEMPTS: usize = 64;

#[async_trait]
impl PreferenceStore for MongoPreferenceStore {
    async fn get(&self, user_id: &str) -> anyhow::Result<Preferences> {
        let found = self.chosen.find_one(doc! { "_id": user_id }).await?;
        Ok(found.map(Preferences::from).unwrap_or_default())
    }

    async fn update(&self, user_id: &str, change: PreferenceChange, now: i64) -> anyhow::Result<Preferences> {
        for _ in 0..ATTEMPTS {
            let found = self.chosen.find_one(doc! { "_id": user_id }).await?;
            let read = found.as_ref().map(|d| d.version);
            let mut preferences = found.map(Preferences::from).unwrap_or_default();
            change.apply(&mut preferences, now);
            let next = PreferencesDoc {
                id: user_id.to_owned(),
                shipping_sms: preferences.shipping_sms,
                stock_digest: preferences.stock_digest,
                updated_at: now,
                version: read.unwrap_or(0) + 1,
            };
            let written = match read {
                // The first choice: of two at once, one inserts and the other reads it.
                None => match self.chosen.insert_one(&next).await {
                    Ok(_) => true,
                    Err(err) if shop_storage::is_duplicate_key(&err) => false,
                    Err(err) => return Err(err.into()),
                },
                Some(version) => {
                    let guard = doc! { "_id": user_id, "version": version };
                    self.chosen.replace_one(guard, &next).await?.matched_count == 1
                }
            };
            if written {
                return Ok(preferences);
            }
        }
        anyhow::bail!("the preferences of {user_id} kept changing")
    }
}
