//! One-time jobs claimed among replicas, on the MongoDB stand-in.

use shop_test_support::{mongo_url, require, unique};

#[tokio::test]
async fn a_job_is_claimed_once_among_replicas_starting_together() {
    require("MongoDB", &mongo_url());
    let name = unique("claims");
    let replicas = claim_together(&name).await;
    assert_eq!(replicas.iter().filter(|won| **won).count(), 1, "exactly one replica seeds: {replicas:?}");
    // A replica started later finds the job taken.
    let later = shop_storage::connect(&mongo_url(), &name).await.unwrap();
    assert!(!shop_storage::claim_once(&later, "demo-catalog").await.unwrap());
    assert!(shop_storage::claim_once(&later, "another-job").await.unwrap());
}

/// Four replicas, each with its own client, claiming at once.
async fn claim_together(name: &str) -> Vec<bool> {
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let name = name.to_owned();
        tasks.push(tokio::spawn(async move {
            let db = shop_storage::connect(&mongo_url(), &name).await.unwrap();
            shop_storage::claim_once(&db, "demo-catalog").await.unwrap()
        }));
    }
    let mut won = Vec::new();
    for task in tasks {
        won.push(task.await.unwrap());
    }
    won
}
