//! Categories: `categories`, slugs unique.

use async_trait::async_trait;
use mongodb::{Collection, Database, IndexModel, bson::doc, options::IndexOptions};
use serde::{Deserialize, Serialize};

use super::{all, unexpected};
use crate::{
    domain::{Category, CategoryId, Slug},
    storage::{CategoryStore, StoreError},
};

#[derive(Debug, Serialize, Deserialize)]
struct CategoryDoc {
    #[serde(rename = "_id")]
    id: String,
    name: String,
    slug: String,
    description: String,
    parent_id: Option<String>,
    image: Option<String>,
    active: bool,
}

impl From<&Category> for CategoryDoc {
    fn from(c: &Category) -> Self {
        Self {
            id: c.id.to_string(),
            name: c.name.clone(),
            slug: c.slug.as_str().to_owned(),
            description: c.description.clone(),
            parent_id: c.parent_id.map(|p| p.to_string()),
            image: c.image.clone(),
            active: c.active,
        }
    }
}

impl TryFrom<CategoryDoc> for Category {
    type Error = anyhow::Error;

    fn try_from(d: CategoryDoc) -> anyhow::Result<Self> {
        let bad = |e: String| anyhow::anyhow!("stored category {}: {e}", d.id);
        Ok(Self {
            id: CategoryId::parse(&d.id).map_err(bad)?,
            slug: Slug::parse(&d.slug).map_err(bad)?,
            parent_id: d.parent_id.as_deref().map(CategoryId::parse).transpose().map_err(bad)?,
            name: d.name,
            description: d.description,
            image: d.image,
            active: d.active,
        })
    }
}

pub struct MongoCategoryStore {
    categories: Collection<CategoryDoc>,
}

impl MongoCategoryStore {
    pub async fn open(db: &Database) -> anyhow::Result<Self> {
        let categories = db.collection::<CategoryDoc>("categories");
        shop_storage::ensure_indexes(
            &categories,
            vec![
                IndexModel::builder()
                    .keys(doc! { "slug": 1 })
                    .options(IndexOptions::builder().unique(true).name("slug_unique".to_owned()).build())
                    .build(),
                // The tree is read whole, by name.
                IndexModel::builder()
                    .keys(doc! { "name": 1 })
                    .options(IndexOptions::builder().name("by_name".to_owned()).build())
                    .build(),
            ],
        )
        .await?;
        Ok(Self { categories })
    }
}

fn slug_taken(err: mongodb::error::Error) -> StoreError {
    if shop_storage::is_duplicate_key(&err) { StoreError::SlugTaken } else { unexpected(err) }
}

#[async_trait]
impl CategoryStore for MongoCategoryStore {
    async fn insert(&self, category: &Category) -> Result<(), StoreError> {
        self.categories.insert_one(CategoryDoc::from(category)).await.map_err(slug_taken)?;
        Ok(())
    }

    async fn update(&self, category: &Category) -> Result<(), StoreError> {
        let replaced = self
            .categories
            .replace_one(doc! { "_id": category.id.to_string() }, CategoryDoc::from(category))
            .await
            .map_err(slug_taken)?;
        if replaced.matched_count == 1 { Ok(()) } else { Err(StoreError::Stale) }
    }

    async fn delete(&self, id: CategoryId) -> Result<(), StoreError> {
        self.categories.delete_one(doc! { "_id": id.to_string() }).await.map_err(unexpected)?;
        Ok(())
    }

    async fn all(&self) -> Result<Vec<Category>, StoreError> {
        let docs = all(self.categories.find(doc! {}).sort(doc! { "name": 1 }).await).await?;
        docs.into_iter().map(|d| Category::try_from(d).map_err(unexpected)).collect()
    }
}
