//! Reviews: `reviews` (one per user per product) and `review_votes` (`_id` = review:user).

use async_trait::async_trait;
use mongodb::{
    Collection, Database, IndexModel,
    bson::{self, doc},
    options::IndexOptions,
};
use serde::{Deserialize, Serialize};
use shop_service_kit::{Page, Paging};
use shop_storage::timestamp;
use shop_storage::{Kind, Order};

use super::unexpected;
use crate::{
    domain::{ProductId, Review, ReviewId, review::ReviewSort},
    storage::{ReviewStore, StoreError},
};

#[derive(Debug, Serialize, Deserialize)]
struct ReviewDoc {
    #[serde(rename = "_id")]
    id: String,
    product_id: String,
    user_id: String,
    rating: i32,
    comment: String,
    verified_purchase: bool,
    /// Raised with `$inc`.
    helpful_count: i64,
    created_at: bson::DateTime,
}

impl From<&Review> for ReviewDoc {
    fn from(r: &Review) -> Self {
        Self {
            id: r.id.to_string(),
            product_id: r.product_id.to_string(),
            user_id: r.user_id.clone(),
            rating: i32::from(r.rating),
            comment: r.comment.clone(),
            verified_purchase: r.verified_purchase,
            helpful_count: i64::from(r.helpful_count),
            created_at: timestamp::to_bson(r.created_at),
        }
    }
}

impl TryFrom<ReviewDoc> for Review {
    type Error = anyhow::Error;

    fn try_from(d: ReviewDoc) -> anyhow::Result<Self> {
        let bad = |e: String| anyhow::anyhow!("stored review {}: {e}", d.id);
        Ok(Self {
            id: ReviewId::parse(&d.id).map_err(bad)?,
            product_id: d.product_id.parse().map_err(bad)?,
            rating: u8::try_from(d.rating)?,
            helpful_count: u32::try_from(d.helpful_count)?,
            created_at: timestamp::from_bson(d.created_at)?,
            user_id: d.user_id,
            comment: d.comment,
            verified_purchase: d.verified_purchase,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct VoteDoc {
    #[serde(rename = "_id")]
    id: String,
}

pub struct MongoReviewStore {
    db: Database,
    reviews: Collection<ReviewDoc>,
    votes: Collection<VoteDoc>,
}

impl MongoReviewStore {
    pub async fn open(db: Database) -> anyhow::Result<Self> {
        let reviews = db.collection::<ReviewDoc>("reviews");
        shop_storage::ensure_indexes(
            &reviews,
            vec![
                IndexModel::builder()
                    .keys(doc! { "product_id": 1, "user_id": 1 })
                    .options(IndexOptions::builder().unique(true).name("one_per_user".to_owned()).build())
                    .build(),
                IndexModel::builder().keys(doc! { "product_id": 1, "created_at": -1 }).build(),
            ],
        )
        .await?;
        let votes = db.collection("review_votes");
        Ok(Self { db, reviews, votes })
    }
}

#[async_trait]
impl ReviewStore for MongoReviewStore {
    async fn insert(&self, review: &Review) -> Result<(), StoreError> {
        match self.reviews.insert_one(ReviewDoc::from(review)).await {
            Ok(_) => Ok(()),
            Err(err) if shop_storage::is_duplicate_key(&err) => Err(StoreError::DuplicateReview),
            Err(err) => Err(unexpected(err)),
        }
    }

    async fn get(&self, id: ReviewId) -> Result<Option<Review>, StoreError> {
        let found = self.reviews.find_one(doc! { "_id": id.to_string() }).await.map_err(unexpected)?;
        found.map(Review::try_from).transpose().map_err(unexpected)
    }

    async fn list(&self, product: ProductId, sort: ReviewSort, page: Paging) -> Result<Page<Review>, StoreError> {
        let filter = doc! { "product_id": product.to_string() };
        // Newest first is by id (time-ordered); most helpful first, then newest.
        let order = match sort {
            ReviewSort::Newest => Order::by_id(true),
            ReviewSort::Helpful => Order::by("helpful_count", Kind::Int, true),
        };
        let found =
            shop_storage::page(&self.reviews, filter, order, page.start(), page.limit()).await.map_err(unexpected)?;
        let items = found.items.into_iter().map(Review::try_from).collect::<anyhow::Result<_>>()?;
        Ok(Page { items, total: found.total, next: found.next })
    }

    async fn histogram(&self, product: ProductId) -> Result<[u32; 5], StoreError> {
        let mut histogram = [0u32; 5];
        for (stars, slot) in (1..=5).zip(histogram.iter_mut()) {
            let n = self
                .reviews
                .count_documents(doc! { "product_id": product.to_string(), "rating": stars })
                .await
                .map_err(unexpected)?;
            *slot = u32::try_from(n).unwrap_or(u32::MAX);
        }
        Ok(histogram)
    }

    async fn vote(&self, review: ReviewId, user_id: &str) -> Result<bool, StoreError> {
        let mut session = shop_storage::begin(&self.db).await.map_err(unexpected)?;
        let written = async {
            self.votes.insert_one(VoteDoc { id: format!("{review}:{user_id}") }).session(&mut *session).await?;
            self.reviews
                .update_one(doc! { "_id": review.to_string() }, doc! { "$inc": { "helpful_count": 1 } })
                .session(&mut *session)
                .await?;
            anyhow::Ok(())
        }
        .await;
        match shop_storage::finish(session, written).await {
            Ok(()) => Ok(true),
            Err(err) if shop_storage::is_duplicate(&err) => Ok(false),
            Err(err) => Err(StoreError::Unexpected(err)),
        }
    }
}
