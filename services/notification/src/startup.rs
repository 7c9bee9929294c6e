//! Builds notification from its settings: its stores, the channels (SMTP and an SMS
//! provider, or the dev mailbox for either), the consumers of the events it answers, the retry loop and the gRPC host.

use std::{sync::Arc, time::Duration};

use shop_messaging::InProcessBus;
use shop_platform::Shutdown;
use shop_proto::{
    identity::v1::identity_service_client::IdentityServiceClient,
    inventory::v1::inventory_service_client::InventoryServiceClient,
    order::v1::order_service_client::OrderServiceClient,
};
use shop_service_kit::{Frame, Service, Storage};

use crate::{
    SERVICE, Settings,
    account::Accounts,
    channels::{Channel, Mailbox},
    delivery::{Channels, Delivery, DeliveryMetrics, Retry},
    events::{
        IDENTITY_EVENTS, IdentityMail, LINK_EVENTS, LinkMail, Notices, ORDER_EVENTS, OrderMail, PASSWORD_EVENTS,
        PasswordMail, Site,
    },
    grpc::NotificationGrpc,
    journal::Journal,
    sms::HttpSms,
    smtp::Smtp,
    stock::{Digests, STOCK_EVENTS, StockMail},
    storage::{
        DigestStore, MemoryDigestStore, MemoryMessageStore, MemoryPreferenceStore, MemoryTemplateStore, MessageStore,
        MongoDigestStore, MongoMessageStore, MongoPreferenceStore, MongoTemplateStore, PreferenceStore, TemplateStore,
    },
    templates::Templates,
};

/// The notification stores: messages, digests, the shop's template versions, preferences.
type Stores = (Arc<dyn MessageStore>, Arc<dyn DigestStore>, Arc<dyn TemplateStore>, Arc<dyn PreferenceStore>);

/// The durable queue of each consumer.
pub const QUEUES: [&str; 5] = [
    "notification-links",
    "notification-passwords",
    "notification-orders",
    "notification-stock",
    "notification-identities",
];

pub async fn build(settings: Settings, embedded: InProcessBus, shutdown: Shutdown) -> anyhow::Result<Service> {
    let mut frame = Frame::connect(SERVICE, settings, &embedded, shutdown).await?;
    let (store, digests, saved, preferences): Stores = match &frame.backends.storage {
        Storage::Mongo { db, .. } => (
            Arc::new(MongoMessageStore::open(db).await?),
            Arc::new(MongoDigestStore::open_store(db).await?),
            Arc::new(MongoTemplateStore::open(db).await?),
            Arc::new(MongoPreferenceStore::open(db)),
        ),
        Storage::Embedded { .. } => (
            Arc::new(MemoryMessageStore::default()),
            Arc::new(MemoryDigestStore::default()),
            Arc::new(MemoryTemplateStore::default()),
            Arc::new(MemoryPreferenceStore::default()),
        ),
    };
    let templates = Arc::new(Templates::with_store(saved));
    let extra = frame.settings.extra.clone();
    let mailbox = Arc::new(Mailbox::new(extra.mailbox_capacity));
    let email: Arc<dyn Channel> = match &extra.smtp_url {
        Some(url) => Arc::new(Smtp::new(url.expose(), &extra.mail_from)?),
        None => {
            tracing::info!("no SMTP server configured (SHOP_SMTP_URL): mail goes to the dev mailbox");
            mailbox.clone()
        }
    };
    let sms: Arc<dyn Channel> = match &extra.sms_url {
        Some(url) => {
            let token = extra.sms_token.as_ref().map(|t| t.expose());
            Arc::new(HttpSms::new(url.expose(), token, &extra.sms_from, extra.sms_format)?)
        }
        None => {
            tracing::info!("no SMS provider configured (SHOP_SMS_URL): text messages go to the dev mailbox");
            mailbox.clone()
        }
    };
    // Listed to admins only while some channel delivers into it.
    let mailbox = (extra.smtp_url.is_none() || extra.sms_url.is_none()).then_some(mailbox);
    let journal = extra.delivery_journal.as_deref().map(Journal::open).transpose()?;
    if let Some(journal) = &journal {
        // Before anything is claimed: what a killed process sent is not sent again.
        journal.replay(store.as_ref(), true).await?;
    }
    let delivery = Arc::new(Delivery {
        journal,
        store,
        channels: Channels { email, sms },
        retry: Retry {
            max_attempts: extra.max_attempts.max(1),
            base: Duration::from_millis(extra.retry_base_ms),
            max: Duration::from_millis(extra.retry_max_ms),
        },
        lease: Duration::from_millis(extra.claim_lease_ms),
        concurrency: extra.send_concurrency,
        metrics: DeliveryMetrics::new(Some(frame.registry()))?,
    });
    let identity_url = frame.settings.identity_url.clone();
    let identity = IdentityServiceClient::new(frame.upstream("identity", &identity_url)?);
    let notices = Arc::new(Notices {
        templates: templates.clone(),
        delivery: delivery.clone(),
        preferences: preferences.clone(),
        identity: identity.clone(),
        orders: OrderServiceClient::new(frame.upstream("order", &extra.order_url)?),
        site: Site { name: extra.shop_name.clone(), url: extra.public_url.trim_end_matches('/').to_owned() },
    });
    let [links, passwords, orders, stock, identities] = QUEUES;
    frame.consume(links, &LINK_EVENTS, LinkMail(notices.clone())).await?;
    frame.consume(passwords, &PASSWORD_EVENTS, PasswordMail(notices.clone())).await?;
    frame.consume(identities, &IDENTITY_EVENTS, IdentityMail(notices.clone())).await?;
    frame.consume(orders, &ORDER_EVENTS, OrderMail(notices.clone())).await?;
    frame.consume(stock, &STOCK_EVENTS, StockMail::new(notices.clone(), digests.clone())).await?;
    let digests = Arc::new(Digests {
        notices,
        store: digests,
        inventory: InventoryServiceClient::new(frame.upstream("inventory", &extra.inventory_url)?),
        gather: Duration::from_secs(extra.digest_gather_secs),
        every: Duration::from_secs(extra.digest_every_secs),
    });
    frame.every("low-stock digests", Duration::from_millis(extra.digest_check_ms.max(50)), move || {
        let digests = digests.clone();
        async move { digests.round().await }
    });
    let retrying = delivery.clone();
    frame.every("message delivery", Duration::from_millis(extra.retry_every_ms.max(50)), move || {
        let delivery = retrying.clone();
        async move { delivery.round().await.map(|_| ()) }
    });
    let verifier = frame.verifier()?;
    let accounts = Accounts { preferences, identity };
    let server = NotificationGrpc::new(verifier.clone(), delivery, mailbox, templates, accounts).server();
    frame.serve(&crate::grpc::POLICY, verifier, server).await
}
