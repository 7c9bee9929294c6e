//! MongoDB catalog stores. Products: one document each, written whole with a version
//! guard; collection `skus` claims each SKU for one product (`_id` = SKU, so uniqueness needs
//! no multikey index); a product, its SKU claims and its events share a transaction.
//! Categories: `categories` (unique slug). Reviews: `reviews` (unique user per product)
//! and `review_votes` (`_id` = review:user).

mod categories;
mod product_doc;
mod products;
mod reviews;

use futures::TryStreamExt;

pub use categories::MongoCategoryStore;
pub use products::MongoProductStore;
pub use reviews::MongoReviewStore;

use super::StoreError;

pub(super) fn unexpected(err: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Unexpected(err.into())
}

pub(super) async fn all<T: serde::de::DeserializeOwned + Send + Sync>(
    cursor: mongodb::error::Result<mongodb::Cursor<T>>,
) -> Result<Vec<T>, StoreError> {
    cursor.map_err(unexpected)?.try_collect().await.map_err(unexpected)
}
