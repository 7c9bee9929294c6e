//! The message store contract, run against the embedded store and MongoDB: a notice is
//! recorded once, a due message is claimed by one claimer only (until its lease passes),
//! outcomes settle or reschedule it, and the log pages newest first; an account's
//! preferences change only in what a change names.

use std::{collections::HashSet, sync::Arc};

use shop_notification::{
    domain::{Content, Message, Outcome, Status, now_ms},
    storage::{
        Filter, MemoryMessageStore, MemoryPreferenceStore, MemoryTemplateStore, MessageStore, MongoMessageStore,
        MongoPreferenceStore, MongoTemplateStore, PreferenceChange, PreferenceStore, Preferences, TemplateStore,
        Version,
    },
    templates::Parts,
};
use shop_service_kit::Paging;
use shop_test_support::{mongo_url, require, unique};

fn message(event: &str, to: &str, at: i64) -> Message {
    let content = Content { subject: "Hi".into(), text: "text".into(), html: "<p>html</p>".into(), link: None };
    Message::new(event, "welcome", to, "u1", content, at)
}

async fn records_a_notice_once(store: Arc<dyn MessageStore>) {
    let m = message(&unique("e"), "Ada@Example.com", now_ms());
    assert!(store.enqueue(&m).await.unwrap());
    assert!(!store.enqueue(&m).await.unwrap(), "the same (event, template, recipient) is recorded once");
    let stored = store.get(&m.id).await.unwrap().unwrap();
    assert_eq!(stored.recipient, "ada@example.com");
    assert_eq!(stored.status, Status::Pending);
    assert_eq!(stored.content, m.content);
}

async fn a_claim_holds_the_message(store: Arc<dyn MessageStore>) {
    let now = now_ms();
    let m = message(&unique("e"), "a@example.com", now);
    store.enqueue(&m).await.unwrap();
    let first = store.claim(now, 1_000, 10, Some(&m.id)).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempts, 1);
    assert!(store.claim(now + 999, 1_000, 10, Some(&m.id)).await.unwrap().is_empty(), "held by the first claim");
    let again = store.claim(now + 1_000, 1_000, 10, Some(&m.id)).await.unwrap();
    assert_eq!(again.len(), 1, "free again once the lease passed (a claimer that died)");
    assert_eq!(again[0].attempts, 2);
}

async fn concurrent_claims_split_the_work(store: Arc<dyn MessageStore>) {
    // Due in the past, before anything another check records.
    let at = now_ms() - 3_600_000;
    let mut ids = HashSet::new();
    for i in 0..30 {
        let m = message(&unique("e"), &format!("c{i}@example.com"), at);
        store.enqueue(&m).await.unwrap();
        ids.insert(m.id);
    }
    let claims = (0..6).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.claim(now_ms(), 60_000, 100, None).await.unwrap() })
    });
    let mut seen = Vec::new();
    for claim in claims {
        seen.extend(claim.await.unwrap().into_iter().map(|m| m.id).filter(|id| ids.contains(id)));
    }
    assert_eq!(seen.len(), 30, "every message claimed");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 30, "and by one claimer only");
}

async fn outcomes_settle_or_reschedule(store: Arc<dyn MessageStore>) {
    let now = now_ms();
    let m = message(&unique("e"), "o@example.com", now);
    store.enqueue(&m).await.unwrap();
    store.claim(now, 1_000, 1, Some(&m.id)).await.unwrap();
    store.record(&m.id, &Outcome::Retry { error: "451 busy".into(), at: now + 5_000 }, now).await.unwrap();
    let retried = store.get(&m.id).await.unwrap().unwrap();
    assert_eq!((retried.status, retried.next_attempt_at), (Status::Pending, Some(now + 5_000)));
    assert_eq!(retried.last_error.as_deref(), Some("451 busy"));
    assert!(store.claim(now + 4_999, 1_000, 1, Some(&m.id)).await.unwrap().is_empty());
    assert_eq!(store.claim(now + 5_000, 1_000, 1, Some(&m.id)).await.unwrap().len(), 1);
    store.record(&m.id, &Outcome::Sent { provider_message_id: "<x@y>".into() }, now).await.unwrap();
    let sent = store.get(&m.id).await.unwrap().unwrap();
    assert_eq!((sent.status, sent.next_attempt_at, sent.attempts), (Status::Sent, None, 2));
    assert_eq!(sent.provider_message_id.as_deref(), Some("<x@y>"));
    assert!(store.claim(now + 3_600_000, 1_000, 1, Some(&m.id)).await.unwrap().is_empty(), "settled for good");
}

async fn the_log_pages_newest_first(store: Arc<dyn MessageStore>) {
    let to = format!("{}@example.com", unique("log"));
    let base = now_ms();
    for i in 0..5 {
        store.enqueue(&message(&unique("e"), &to, base + i)).await.unwrap();
    }
    let filter = Filter { recipient: Some(to.to_uppercase()), status: None };
    let first = store.list(&filter, Paging::parse(1, 2).unwrap()).await.unwrap();
    assert_eq!(first.total, 5);
    assert_eq!(first.items.iter().map(|m| m.created_at).collect::<Vec<_>>(), [base + 4, base + 3]);
    let after = first.next.clone().expect("a next page");
    let cursor = Paging::parse(1, 2).unwrap().info_of(&first).next_cursor;
    assert!(!cursor.is_empty() && after.value == Some(base + 3));
    let second = store.list(&filter, Paging::after(&cursor, 2).unwrap()).await.unwrap();
    assert_eq!(second.items.iter().map(|m| m.created_at).collect::<Vec<_>>(), [base + 2, base + 1]);
    let sent = Filter { recipient: Some(to.clone()), status: Some(Status::Sent) };
    assert_eq!(store.list(&sent, Paging::parse(1, 10).unwrap()).await.unwrap().total, 0);
}

async fn suppressed_addresses(store: Arc<dyn MessageStore>) {
    let address = format!("{}@example.com", unique("bounce"));
    assert!(!store.is_suppressed(&address).await.unwrap());
    store.suppress(&address.to_uppercase(), "550 no such mailbox").await.unwrap();
    store.suppress(&address, "550 again").await.unwrap();
    assert!(store.is_suppressed(&address).await.unwrap());
}

async fn template_versions_are_numbered_and_kept(store: Arc<dyn TemplateStore>) {
    let version = |parts: Option<Parts>| Version {
        name: "welcome".into(),
        locale: "pt-BR".into(),
        version: 0,
        parts,
        by: "admin-1".into(),
        at: 1_000,
    };
    assert!(store.current("welcome", "pt-BR").await.unwrap().is_none());
    let parts = Parts { subject: "Olá".into(), text: "t".into(), html: "<p>h</p>".into() };
    // Saves at once each get a number of their own.
    let saves = (0..5).map(|_| {
        let (store, v) = (store.clone(), version(Some(parts.clone())));
        tokio::spawn(async move { store.save(v).await.unwrap() })
    });
    let mut numbers = Vec::new();
    for save in saves {
        numbers.push(save.await.unwrap());
    }
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
    assert_eq!(store.save(version(None)).await.unwrap(), 6, "a reset is a version");
    let current = store.current("welcome", "pt-BR").await.unwrap().unwrap();
    assert_eq!((current.version, current.parts, current.by.as_str()), (6, None, "admin-1"));
    let history = store.history("welcome", "pt-BR").await.unwrap();
    assert_eq!(history.iter().map(|v| v.version).collect::<Vec<_>>(), [6, 5, 4, 3, 2, 1]);
    assert_eq!(history[1].parts.as_ref(), Some(&parts));
    assert!(store.history("welcome", "en").await.unwrap().is_empty(), "each locale its own");
}

async fn preferences_change_only_what_is_chosen(store: Arc<dyn PreferenceStore>) {
    let user = unique("user");
    assert_eq!(store.get(&user).await.unwrap(), Preferences::default());
    assert_eq!(
        (Preferences::default().shipping_sms, Preferences::default().stock_digest),
        (false, true),
        "texts are chosen, digests declined"
    );
    // Many changes at once, each to one choice: every one holds, none undoes another.
    let changes = (0..16).map(|i| {
        let (store, user) = (store.clone(), user.clone());
        let change = if i % 2 == 0 {
            PreferenceChange { shipping_sms: Some(true), stock_digest: None }
        } else {
            PreferenceChange { shipping_sms: None, stock_digest: Some(false) }
        };
        tokio::spawn(async move { store.update(&user, change, 1_000 + i).await.unwrap() })
    });
    for change in changes {
        change.await.unwrap();
    }
    let now = store.get(&user).await.unwrap();
    assert_eq!((now.shipping_sms, now.stock_digest), (true, false));
    assert!(now.updated_at.is_some_and(|t| (1_000..1_016).contains(&t)), "{now:?}");
    let back = store.update(&user, PreferenceChange { shipping_sms: Some(false), stock_digest: None }, 5_000);
    let back = back.await.unwrap();
    assert_eq!((back.shipping_sms, back.stock_digest, back.updated_at), (false, false, Some(5_000)));
    assert_eq!(store.get(&unique("user")).await.unwrap(), Preferences::default(), "each account its own");
}

mod memory {
    use super::*;

    fn store() -> Arc<dyn MessageStore> {
        Arc::new(MemoryMessageStore::default())
    }

    shop_test_support::contract_tests!(
        records_a_notice_once(store()),
        a_claim_holds_the_message(store()),
        concurrent_claims_split_the_work(store()),
        outcomes_settle_or_reschedule(store()),
        the_log_pages_newest_first(store()),
        suppressed_addresses(store()),
        template_versions_are_numbered_and_kept(Arc::new(MemoryTemplateStore::default())),
        preferences_change_only_what_is_chosen(Arc::new(MemoryPreferenceStore::default())),
    );
}

mod mongo {
    use super::*;

    async fn store() -> Arc<dyn MessageStore> {
        require("MongoDB", &mongo_url());
        let db = shop_storage::connect(&mongo_url(), &unique("notification")).await.unwrap();
        Arc::new(MongoMessageStore::open(&db).await.unwrap())
    }

    async fn templates() -> Arc<dyn TemplateStore> {
        require("MongoDB", &mongo_url());
        let db = shop_storage::connect(&mongo_url(), &unique("notification")).await.unwrap();
        Arc::new(MongoTemplateStore::open(&db).await.unwrap())
    }

    async fn preferences() -> Arc<dyn PreferenceStore> {
        require("MongoDB", &mongo_url());
        let db = shop_storage::connect(&mongo_url(), &unique("notification")).await.unwrap();
        Arc::new(MongoPreferenceStore::open(&db))
    }

    shop_test_support::contract_tests!(
        records_a_notice_once(store().await),
        a_claim_holds_the_message(store().await),
        concurrent_claims_split_the_work(store().await),
        outcomes_settle_or_reschedule(store().await),
        the_log_pages_newest_first(store().await),
        suppressed_addresses(store().await),
        template_versions_are_numbered_and_kept(templates().await),
        preferences_change_only_what_is_chosen(preferences().await),
    );
}
