//! Builds identity from its settings: its stores, the signing key ring (kept fresh by a
//! periodic task), the bootstrap accounts and the gRPC host.

use std::{sync::Arc, time::Duration};

use shop_auth::{Role, Verifier};
use shop_messaging::InProcessBus;
use shop_platform::Shutdown;
use shop_service_kit::{Frame, Service, Storage};

use crate::{
    Settings,
    accounts::Accounts,
    clients::ServiceClients,
    external::Providers,
    grpc::IdentityGrpc,
    hashing::Hasher,
    keys::KeyRing,
    sealing::{SealedKeyStore, Sealer},
    second_factor::SecondFactors,
    storage::{
        KeyStore, MemoryKeyStore, MemoryOneTimeTokens, MemorySessionStore, MemoryUserStore, MongoKeyStore,
        MongoOneTimeTokens, MongoSessionStore, MongoUserStore, OneTimeTokens, SessionStore, UserStore,
    },
};

/// The identity stores.
type Stores = (Arc<dyn UserStore>, Arc<dyn SessionStore>, Arc<dyn KeyStore>, Arc<dyn OneTimeTokens>);

/// How often a replica looks for signing keys another replica made (and rotates when due).
const KEY_MAINTENANCE: Duration = Duration::from_secs(600);

/// Connects the backends, prepares keys and bootstrap accounts, and starts serving.
pub async fn build(settings: Settings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    let refresh_ttl = Duration::from_secs(settings.extra.refresh_token_ttl_secs);
    let mut frame = Frame::connect(crate::SERVICE, settings, &embedded, shutdown).await?;
    let (users, sessions, keys, links): Stores = match &frame.backends.storage {
        Storage::Mongo { db, outbox } => (
            Arc::new(MongoUserStore::open(db.clone(), outbox.clone()).await?),
            Arc::new(MongoSessionStore::open(db, refresh_ttl).await?),
            Arc::new(MongoKeyStore::new(db)),
            Arc::new(MongoOneTimeTokens::open(db).await?),
        ),
        Storage::Embedded { outbox } => (
            Arc::new(MemoryUserStore::new(outbox.clone())),
            Arc::new(MemorySessionStore::default()),
            Arc::new(MemoryKeyStore::default()),
            Arc::new(MemoryOneTimeTokens::default()),
        ),
    };
    let extra = frame.settings.extra.clone();
    let keys: Arc<dyn KeyStore> = match (&extra.signing_key_kek, &frame.backends.storage) {
        (Some(kek), _) => {
            let sealer = Sealer::new(kek, extra.signing_key_kek_previous.as_ref())?;
            Arc::new(SealedKeyStore::open(keys, sealer).await?)
        }
        (None, Storage::Embedded { .. }) => keys,
        (None, Storage::Mongo { .. }) => {
            anyhow::bail!("SHOP_SIGNING_KEY_KEK must be set: signing keys are stored sealed with it")
        }
    };
    let access_ttl = Duration::from_secs(extra.access_token_ttl_secs);
    let rotation = Duration::from_secs(extra.signing_key_rotation_days.max(1) * 24 * 3600);
    let ring = Arc::new(KeyRing::open(keys, rotation, access_ttl).await?);
    let maintained = ring.clone();
    frame.every("signing key maintenance", KEY_MAINTENANCE, move || {
        let ring = maintained.clone();
        async move { ring.maintain().await }
    });
    let accounts = Arc::new(Accounts {
        users,
        sessions,
        keys: ring.clone(),
        hasher: Hasher::new(extra.password_hash_concurrency).await?,
        refresh_ttl: Duration::from_secs(extra.refresh_token_ttl_secs),
        links,
        link_ttl: (
            Duration::from_secs(extra.verification_link_ttl_secs),
            Duration::from_secs(extra.reset_link_ttl_secs),
        ),
        second_factors: SecondFactors {
            sealer: extra
                .signing_key_kek
                .as_ref()
                .map(|kek| Sealer::new(kek, extra.signing_key_kek_previous.as_ref()).map(Arc::new))
                .transpose()?,
            required_for_admins: extra.require_admin_mfa,
        },
        providers: Providers::new(&extra.oidc, &extra.public_url)?,
    });
    if let (Some(email), Some(password)) = (&extra.admin_email, &extra.admin_password) {
        crate::seed::ensure_account(&accounts, email, password.expose(), Role::Admin, None, "Admin").await?;
        tracing::info!(email = %email, "the configured admin account is ready");
    }
    if frame.settings.demo_data {
        crate::seed::demo_accounts(&accounts).await?;
    }
    let verifier = Arc::new(Verifier::new(ring));
    let clients = ServiceClients::new(&extra.service_clients)?;
    if clients.is_empty() {
        tracing::warn!("no service clients configured: no service can call another");
    }
    let server = IdentityGrpc::new(accounts, verifier.clone(), clients).server();
    frame.serve(&crate::grpc::POLICY, verifier, server).await
}
