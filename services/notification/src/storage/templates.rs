//! The shop's own versions of the templates (admin overrides): every save is a new version,
//! kept; the highest version of a (template, locale) is the one in use, and a reset is a
//! version too (back to the shipped template), so the history says who changed what when.

use std::{collections::HashMap, sync::Mutex};

use async_trait::async_trait;
use mongodb::{
    Collection, Database, IndexModel,
    bson::{Document, doc},
};
use serde::{Deserialize, Serialize};
use shop_platform::lock;

use crate::templates::Parts;

/// One saved version of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub name: String,
    pub locale: String,
    /// From 1, one more with each save.
    pub version: u32,
    /// The shop's parts; none for a reset to the shipped template.
    pub parts: Option<Parts>,
    /// The admin who saved it.
    pub by: String,
    /// Unix ms.
    pub at: i64,
}

#[async_trait]
pub trait TemplateStore: Send + Sync + 'static {
    /// The newest version of (`name`, `locale`), if it was ever saved.
    async fn current(&self, name: &str, locale: &str) -> anyhow::Result<Option<Version>>;
    /// Every version of (`name`, `locale`), newest first.
    async fn history(&self, name: &str, locale: &str) -> anyhow::Result<Vec<Version>>;
    /// Saves `version` (numbered one past the newest: `version.version` is ignored); its
    /// number. Two saves at once get two numbers.
    async fn save(&self, version: Version) -> anyhow::Result<u32>;
}

#[derive(Default)]
pub struct MemoryTemplateStore {
    versions: Mutex<HashMap<(String, String), Vec<Version>>>,
}

#[async_trait]
impl TemplateStore for MemoryTemplateStore {
    async fn current(&self, name: &str, locale: &str) -> anyhow::Result<Option<Version>> {
        let versions = lock(&self.versions);
        Ok(versions.get(&(name.to_owned(), locale.to_owned())).and_then(|v| v.last().cloned()))
    }

    async fn history(&self, name: &str, locale: &str) -> anyhow::Result<Vec<Version>> {
        let versions = lock(&self.versions);
        let mut found = versions.get(&(name.to_owned(), locale.to_owned())).cloned().unwrap_or_default();
        found.reverse();
        Ok(found)
    }

    async fn save(&self, mut version: Version) -> anyhow::Result<u32> {
        let mut versions = lock(&self.versions);
        let saved = versions.entry((version.name.clone(), version.locale.clone())).or_default();
        version.version = saved.last().map_or(1, |v| v.version + 1);
        let number = version.version;
        saved.push(version);
        Ok(number)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct VersionDoc {
    /// `<locale>:<name>:<version>`: one document per number, so two saves cannot take one.
    #[serde(rename = "_id")]
    id: String,
    /// `<locale>:<name>`, what the versions of one template share.
    key: String,
    version: i64,
    subject: Option<String>,
    text: Option<String>,
    html: Option<String>,
    by: String,
    at: i64,
}

fn key(name: &str, locale: &str) -> String {
    format!("{locale}:{name}")
}

impl VersionDoc {
    fn into_version(self) -> anyhow::Result<Version> {
        let (locale, name) = self.key.split_once(':').ok_or_else(|| anyhow::anyhow!("stored key {}", self.key))?;
        let parts = match (self.subject, self.text, self.html) {
            (Some(subject), Some(text), Some(html)) => Some(Parts { subject, text, html }),
            _ => None,
        };
        Ok(Version {
            name: name.to_owned(),
            locale: locale.to_owned(),
            version: u32::try_from(self.version)?,
            parts,
            by: self.by,
            at: self.at,
        })
    }
}

/// Collection `template_versions`, by `key` (locale and name) and version.
pub struct MongoTemplateStore {
    versions: Collection<VersionDoc>,
}

impl MongoTemplateStore {
    pub async fn open(db: &Database) -> anyhow::Result<Self> {
        let versions = db.collection::<VersionDoc>("template_versions");
        shop_storage::ensure_indexes(&versions, vec![IndexModel::builder().keys(doc! { "key": 1 }).build()]).await?;
        Ok(Self { versions })
    }

    async fn newest(&self, filter: Document) -> anyhow::Result<Option<VersionDoc>> {
        Ok(self.versions.find_one(filter).sort(doc! { "version": -1 }).await?)
    }
}

#[async_trait]
impl TemplateStore for MongoTemplateStore {
    async fn current(&self, name: &str, locale: &str) -> anyhow::Result<Option<Version>> {
        self.newest(doc! { "key": key(name, locale) }).await?.map(VersionDoc::into_version).transpose()
    }

    async fn history(&self, name: &str, locale: &str) -> anyhow::Result<Vec<Version>> {
        use futures::TryStreamExt;
        let found: Vec<VersionDoc> = self
            .versions
            .find(doc! { "key": key(name, locale) })
            .sort(doc! { "version": -1 })
            .await?
            .try_collect()
            .await?;
        found.into_iter().map(VersionDoc::into_version).collect()
    }

    async fn save(&self, version: Version) -> anyhow::Result<u32> {
        let key = key(&version.name, &version.locale);
        // The next number, taken by inserting it: of two saves at once, one tries again.
        for _ in 0..8 {
            let next = self.newest(doc! { "key": &key }).await?.map_or(1, |v| v.version + 1);
            let parts = version.parts.as_ref();
            let doc = VersionDoc {
                id: format!("{key}:{next}"),
                key: key.clone(),
                version: next,
                subject: parts.map(|p| p.subject.clone()),
                text: parts.map(|p| p.text.clone()),
                html: parts.map(|p| p.html.clone()),
                by: version.by.clone(),
                at: version.at,
            };
            match self.versions.insert_one(doc).await {
                Ok(_) => return Ok(u32::try_from(next)?),
                Err(err) if shop_storage::is_duplicate_key(&err) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        anyhow::bail!("template {key} kept changing")
    }
}
