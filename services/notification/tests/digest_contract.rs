//! The digest store contract, run against the embedded store and MongoDB: lines gather per
//! recipient, a digest is due after the gathering wait and at most once per period, an
//! open digest survives its sender (the next open returns it whole), and lines arriving
//! while one is open wait for the next.

use std::sync::Arc;

use shop_notification::{
    domain::now_ms,
    storage::{DigestLine, DigestStore, MemoryDigestStore, MongoDigestStore},
};
use shop_test_support::{mongo_url, require, unique};

fn line(recipient: &str, sku: &str, at: i64) -> DigestLine {
    DigestLine {
        recipient: recipient.to_owned(),
        event_id: unique("e"),
        sku: sku.to_owned(),
        available: 1,
        threshold: 5,
        at,
    }
}

fn skus(lines: &[DigestLine]) -> Vec<&str> {
    lines.iter().map(|l| l.sku.as_str()).collect()
}

async fn lines_gather_into_one_digest_a_period(store: Arc<dyn DigestStore>) {
    let (vendor, other) = (unique("vendor"), unique("other"));
    let t = now_ms();
    let first = line(&vendor, "A", t);
    assert!(store.add(&first).await.unwrap());
    assert!(!store.add(&first).await.unwrap(), "one line per event and recipient");
    store.add(&line(&vendor, "B", t + 10)).await.unwrap();
    store.add(&line(&other, "C", t + 20)).await.unwrap();
    assert!(store.due(t + 500, 1_000, 3_600_000).await.unwrap().is_empty(), "still gathering");
    let mut due = store.due(t + 1_020, 1_000, 3_600_000).await.unwrap();
    due.sort();
    let mut both = vec![vendor.clone(), other.clone()];
    both.sort();
    assert_eq!(due, both);

    let (batch, lines) = store.open(&vendor).await.unwrap().unwrap();
    assert_eq!(skus(&lines), ["A", "B"]);
    // A line arriving while the digest is open waits for the next one.
    store.add(&line(&vendor, "D", t + 1_100)).await.unwrap();
    // The sender died before closing: the digest is due again, whole and alone.
    assert!(store.due(t + 1_200, 1_000, 3_600_000).await.unwrap().contains(&vendor));
    let (again, lines) = store.open(&vendor).await.unwrap().unwrap();
    assert_eq!((again.as_str(), skus(&lines)), (batch.as_str(), vec!["A", "B"]));
    store.close(&vendor, &batch, t + 1_300, true).await.unwrap();

    // D waits: a digest went out less than a period ago.
    assert!(!store.due(t + 10_000, 1_000, 3_600_000).await.unwrap().contains(&vendor));
    let later = t + 1_300 + 3_600_000;
    assert!(store.due(later, 1_000, 3_600_000).await.unwrap().contains(&vendor));
    let (next, lines) = store.open(&vendor).await.unwrap().unwrap();
    assert_ne!(next, batch);
    assert_eq!(skus(&lines), ["D"]);
    store.close(&vendor, &next, later, true).await.unwrap();
    assert!(!store.due(later + 7_200_000, 1_000, 3_600_000).await.unwrap().contains(&vendor), "nothing waits");

    // A batch with nothing left to tell is dropped, and does not hold back the next.
    let other_batch = store.open(&other).await.unwrap().unwrap().0;
    store.close(&other, &other_batch, t + 2_000, false).await.unwrap();
    store.add(&line(&other, "E", t + 3_000)).await.unwrap();
    assert!(store.due(t + 4_000, 1_000, 3_600_000).await.unwrap().contains(&other));
}

mod memory {
    use super::*;

    fn store() -> Arc<dyn DigestStore> {
        Arc::new(MemoryDigestStore::default())
    }

    shop_test_support::contract_tests!(lines_gather_into_one_digest_a_period(store()));
}

mod mongo {
    use super::*;

    async fn store() -> Arc<dyn DigestStore> {
        require("MongoDB", &mongo_url());
        let db = shop_storage::connect(&mongo_url(), &unique("notification")).await.unwrap();
        Arc::new(MongoDigestStore::open_store(&db).await.unwrap())
    }

    shop_test_support::contract_tests!(lines_gather_into_one_digest_a_period(store().await));
}
