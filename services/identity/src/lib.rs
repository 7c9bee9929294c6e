//! Identity service: accounts, credentials (Argon2id), roles, sessions and signing keys.

pub mod accounts;
pub mod config;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod hashing;
pub mod keys;
pub mod seed;
pub mod storage;

use std::{sync::Arc, time::Duration};

use shop_auth::{Role, Verifier};
use shop_messaging::{
    InProcessBus,
    backends::Backends,
    outbox::{MemoryOutbox, MongoOutbox, OutboxStore},
    service::{Service, ServiceSettings},
};
use shop_platform::Shutdown;
use shop_proto::identity::v1::identity_service_server::SERVICE_NAME;

use crate::{
    accounts::Accounts,
    config::IdentityExtra,
    grpc::IdentityGrpc,
    hashing::Hasher,
    keys::KeyRing,
    storage::{
        KeyStore, MemoryKeyStore, MemorySessionStore, MemoryUserStore, MongoKeyStore, MongoSessionStore,
        MongoUserStore, SessionStore, UserStore,
    },
};

pub const SERVICE: &str = "identity";

pub type Settings = ServiceSettings<IdentityExtra>;

pub fn default_settings() -> Settings {
    Settings::defaults(SERVICE, 50051, 9101)
}

/// The identity stores and the outbox they write events to.
type Stores = (Arc<dyn UserStore>, Arc<dyn SessionStore>, Arc<dyn KeyStore>, Arc<dyn OutboxStore>);

/// How often a replica looks for signing keys another replica made (and rotates when due).
const KEY_MAINTENANCE: Duration = Duration::from_secs(600);

/// Connects the backends, prepares keys and bootstrap accounts, and starts serving.
pub async fn build(settings: Settings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    let extra = &settings.extra;
    let backends = Backends::connect(&settings.backends, &settings.bus, &embedded).await?;
    let (users, sessions, keys, outbox): Stores = match &backends.db {
        Some(db) => {
            let outbox = MongoOutbox::new(db);
            (
                Arc::new(MongoUserStore::open(db.clone(), outbox.clone()).await?),
                Arc::new(MongoSessionStore::open(db).await?),
                Arc::new(MongoKeyStore::new(db)),
                Arc::new(outbox),
            )
        }
        None => {
            let outbox = MemoryOutbox::default();
            (
                Arc::new(MemoryUserStore::new(outbox.clone())),
                Arc::new(MemorySessionStore::default()),
                Arc::new(MemoryKeyStore::default()),
                Arc::new(outbox),
            )
        }
    };
    let access_ttl = Duration::from_secs(extra.access_token_ttl_secs);
    let rotation = Duration::from_secs(extra.signing_key_rotation_days.max(1) * 24 * 3600);
    let ring = Arc::new(KeyRing::open(keys, rotation, access_ttl).await?);
    ring.spawn_maintenance(KEY_MAINTENANCE, shutdown.clone());
    let accounts = Arc::new(Accounts {
        users,
        sessions,
        keys: ring.clone(),
        hasher: Hasher::new(extra.password_hash_concurrency).await?,
        refresh_ttl: Duration::from_secs(extra.refresh_token_ttl_secs),
    });
    if let (Some(email), Some(password)) = (&extra.admin_email, &extra.admin_password) {
        seed::ensure_account(&accounts, email, password.expose(), Role::Admin, None, "Admin").await?;
    }
    if settings.demo_data {
        seed::demo_accounts(&accounts).await?;
    }
    let verifier = Arc::new(Verifier::new(ring));
    let routes = tonic::service::Routes::new(IdentityGrpc::new(accounts, verifier).server());
    Ok(Service::start(&settings, &[SERVICE_NAME], routes, Some((outbox, backends.bus)), shutdown)
        .await?
        .closing(backends.db))
}
