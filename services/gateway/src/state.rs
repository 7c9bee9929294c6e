//! What every request handler can reach: the upstream clients, Redis and the product cache.

use std::sync::Arc;

use crate::{cache::ProductCache, upstream::Clients};

pub struct State {
    pub clients: Clients,
    pub redis: Option<deadpool_redis::Pool>,
    pub products: Arc<dyn ProductCache>,
}
