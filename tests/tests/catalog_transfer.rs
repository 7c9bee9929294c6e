//! Bulk import and export through the gateway, as a shop's staff use them: a 10,000-row
//! CSV of products with bad rows among the good, run twice; a vendor kept out of another's
//! products; an export that imports back to the same catalog; stock levels from a file.

use std::{collections::BTreeSet, time::Duration};

use serde_json::Value;
use shop_e2e::{
    Api, Running,
    commerce::{customer, token, vendor},
};

const IMPORT: &str = "/api/v1/admin/products/import";

/// The platform with sign-in limits out of the way: these tests register several users
/// from one address.
async fn platform() -> (Running, String) {
    let app = Running::start_with(&shop_e2e::unthrottled()).await;
    let admin = token(&app.api, "admin@shop.local", "admin-demo-password").await;
    (app, admin)
}

/// The import's answer, one JSON object a line.
fn lines(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

/// The refused rows and the final counts of an import's answer.
fn outcome(text: &str) -> (Vec<Value>, Value) {
    let all = lines(text);
    let errors: Vec<Value> = all.iter().filter_map(|l| l.get("error").cloned()).collect();
    let done = all.last().and_then(|l| l.get("done")).cloned().unwrap_or_else(|| panic!("no done line: {text}"));
    (errors, done)
}

fn counts(done: &Value) -> [u64; 5] {
    ["rows", "created", "updated", "unchanged", "failed"].map(|k| done[k].as_u64().unwrap())
}

/// 10,000 single-variant products tagged `tag`, every 200th row broken in one of five ways.
fn catalog_csv(tag: &str, prefix: &str) -> (Vec<u8>, BTreeSet<u64>) {
    let mut file = String::from("sku,name,description,tags,status,price,currency,attributes\n");
    let mut bad = BTreeSet::new();
    for row in 1..=10_000u64 {
        let (mut name, mut price, mut status, mut currency) =
            (format!("Imported Item {row}"), (100 + row).to_string(), "active", "USD");
        let sku = format!("{prefix}-{row:05}");
        if row % 200 == 0 {
            bad.insert(row);
            match (row / 200) % 5 {
                0 => price = "12.x".into(),
                1 => name = String::new(),
                2 => status = "sold",
                3 => currency = "dollars",
                _ => price = "-5".into(),
            }
        }
        let colour = ["red", "blue", "green"][(row % 3) as usize];
        file.push_str(&format!(
            "{sku},{name},\"A sturdy item, number {row}\",{tag}|bulk,{status},{price},{currency},colour={colour}\n"
        ));
    }
    (file.into_bytes(), bad)
}

#[tokio::test]
async fn a_csv_import_upserts_by_sku_reports_bad_rows_and_a_rerun_changes_nothing() {
    let (app, admin) = platform().await;
    let api = &app.api;
    let seller = vendor(api, &admin).await;
    let tag = format!("imp{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let prefix = format!("IM{}", &uuid::Uuid::now_v7().simple().to_string()[24..]).to_uppercase();
    let (file, bad) = catalog_csv(&tag, &prefix);

    let first = api.upload(IMPORT, Some(&seller), "text/csv", file.clone()).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let (errors, done) = outcome(&first.text);
    assert_eq!(counts(&done), [10_000, 9_950, 0, 0, 50], "{done}");
    let rows: BTreeSet<u64> = errors.iter().map(|e| e["row"].as_u64().unwrap()).collect();
    assert_eq!(rows, bad, "each bad row reported by its number");
    let fields: BTreeSet<&str> = errors.iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains("price") && fields.contains("name") && fields.contains("status"), "{fields:?}");
    assert!(lines(&first.text).iter().any(|l| l.get("progress").is_some()), "progress while it runs");

    // Searchable within a second, each product once.
    let tagged = format!("/api/v1/products?tag={tag}&per_page=1&facets=true");
    let found = shop_test_support::eventually(Duration::from_secs(1), || async {
        api.get(&tagged, None).await.body["total"] == 9_950
    });
    assert!(found.await, "{}", api.get(&tagged, None).await.text);
    let facets = api.get(&tagged, None).await.body["facets"]["attributes"].clone();
    assert_eq!(facets[0]["name"], "colour", "{facets}");

    let again = api.upload(IMPORT, Some(&seller), "text/csv", file).await;
    let (errors, done) = outcome(&again.text);
    assert_eq!(counts(&done), [10_000, 0, 0, 9_950, 50], "a second run changes nothing: {done}");
    assert_eq!(errors.len(), 50);

    // A price change in the file is an update; a vendor keeps out of another's SKUs.
    let changed = format!("sku,name,price,currency,status,tags\n{prefix}-00001,Imported Item 1,77,USD,active,{tag}\n");
    let (errors, done) =
        outcome(&api.upload(IMPORT, Some(&seller), "text/csv", changed.clone().into_bytes()).await.text);
    assert_eq!(counts(&done), [1, 0, 1, 0, 0], "{errors:?}");
    let rival = vendor(api, &admin).await;
    let taken = api.upload(IMPORT, Some(&rival), "text/csv", changed.replace(",77,", ",1,").into_bytes()).await;
    let (errors, done) = outcome(&taken.text);
    assert_eq!(counts(&done), [1, 0, 0, 0, 1]);
    assert_eq!((errors[0]["row"].as_u64(), errors[0]["field"].as_str()), (Some(1), Some("sku")), "{errors:?}");
    // Cheaper than any other row: the one repriced, searchable within a second.
    let cheapest = format!("/api/v1/products?tag={tag}&sort=price_asc&per_page=1");
    let repriced = shop_test_support::eventually(Duration::from_secs(1), || async {
        api.get(&cheapest, None).await.body["items"][0]["variants"][0]["price"]["amount"] == 77
    });
    assert!(repriced.await, "{}", api.get(&cheapest, None).await.text);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let item = &api.get(&cheapest, None).await.body["items"][0];
    assert_eq!(
        (item["name"].as_str(), &item["variants"][0]["price"]["amount"]),
        (Some("Imported Item 1"), &Value::from(77)),
        "the rival changed nothing"
    );
    app.stop().await;
}

async fn export(api: &Api, who: &str, format: &str) -> (u16, String, String) {
    let res = api
        .client
        .get(format!("{}/api/v1/admin/products/export?format={format}", api.base))
        .bearer_auth(who)
        .send()
        .await
        .unwrap();
    let (status, kind) = (res.status().as_u16(), res.headers()["content-type"].to_str().unwrap_or("").to_owned());
    (status, kind, res.text().await.unwrap())
}

#[tokio::test]
async fn an_export_imports_back_to_the_same_catalog_and_products_span_rows_by_handle() {
    let (app, admin) = platform().await;
    let api = &app.api;
    let seller = vendor(api, &admin).await;
    let prefix = format!("HX{}", &uuid::Uuid::now_v7().simple().to_string()[24..]).to_uppercase();
    let file = format!(
        "handle,name,description,tags,status,attributes,images,sku,price,currency,variant_attributes\n\
         tee,\"Cotton Tee, heavy\",\"Soft \"\"combed\"\" cotton\",cotton|tee,active,fit=regular,https://img.example/tee.jpg Front view,{prefix}-S,1500,EUR,size=S\n\
         tee,,,,,,,{prefix}-M,1500,EUR,size=M\n\
         tee,,,,,,,{prefix}-L,1700,EUR,size=L\n\
         ,Canvas Tote,,bag,draft,,,{prefix}-TOTE,900,EUR,\n"
    );
    let (errors, done) = outcome(&api.upload(IMPORT, Some(&seller), "text/csv", file.into_bytes()).await.text);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(counts(&done), [4, 2, 0, 0, 0], "three rows of one handle are one product");

    let (status, kind, csv) = export(api, &seller, "csv").await;
    assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"));
    assert_eq!(csv.lines().count(), 1 + 4, "a header and a row per variant:\n{csv}");
    assert!(csv.contains("\"Cotton Tee, heavy\""), "{csv}");
    let (status, _, ndjson) = export(api, &seller, "ndjson").await;
    assert_eq!((status, ndjson.lines().count()), (200, 2), "{ndjson}");

    // Each export imports back to exactly what is there.
    for (kind, file) in [("text/csv", csv), ("application/x-ndjson", ndjson)] {
        let (errors, done) = outcome(&api.upload(IMPORT, Some(&seller), kind, file.into_bytes()).await.text);
        assert!(errors.is_empty(), "{kind}: {errors:?}");
        assert_eq!(counts(&done)[1..], [0, 0, 2, 0], "{kind}: {done}");
    }
    // A vendor exports its own products only; an admin everyone's.
    let (_, _, everything) = export(api, &admin, "ndjson").await;
    assert!(everything.lines().count() > 200, "the demo catalog too");
    let other = vendor(api, &admin).await;
    assert_eq!(export(api, &other, "ndjson").await.2, "", "nothing of its own yet");

    // Who may, and what is a file.
    let shopper = customer(api).await;
    assert_eq!(api.upload(IMPORT, Some(&shopper), "text/csv", b"sku\n".to_vec()).await.status, 403);
    assert_eq!(export(api, &shopper, "csv").await.0, 403);
    assert_eq!(api.upload(IMPORT, None, "text/csv", b"sku\n".to_vec()).await.status, 401);
    assert_eq!(api.upload(IMPORT, Some(&seller), "application/pdf", b"%PDF".to_vec()).await.status, 415);
    assert_eq!(export(api, &seller, "xml").await.0, 400);
    let broken = api.upload(IMPORT, Some(&seller), "application/x-ndjson", b"{\"name\": 1}\nnot json\n".to_vec()).await;
    let (errors, done) = outcome(&broken.text);
    assert_eq!((errors.len(), counts(&done)[4]), (2, 2), "{errors:?}");
    let endless = vec![b'x'; 100_000];
    let aborted = lines(&api.upload(IMPORT, Some(&seller), "text/csv", endless).await.text);
    let problem = &aborted.last().unwrap()["aborted"];
    assert_eq!(problem["status"], 400, "a row over 64 KiB ends the import: {aborted:?}");
    app.stop().await;
}

async fn on_hand(api: &Api, sku: &str, who: &str) -> i64 {
    api.get(&format!("/api/v1/inventory/{sku}"), Some(who)).await.body["on_hand"].as_i64().unwrap()
}

#[tokio::test]
async fn stock_is_imported_row_by_row_for_the_owners_skus_and_a_rerun_changes_nothing() {
    let (app, admin) = platform().await;
    let api = &app.api;
    let seller = vendor(api, &admin).await;
    let rival = vendor(api, &admin).await;
    let prefix = format!("ST{}", &uuid::Uuid::now_v7().simple().to_string()[24..]).to_uppercase();
    let products = format!(
        "sku,name,status,price,currency\n{prefix}-1,Jar,active,500,EUR\n{prefix}-2,Lid,active,100,EUR\n{prefix}-3,Cork,active,90,EUR\n"
    );
    let (errors, _) = outcome(&api.upload(IMPORT, Some(&seller), "text/csv", products.into_bytes()).await.text);
    assert!(errors.is_empty(), "{errors:?}");
    let theirs = format!("sku,name,status,price,currency\n{prefix}-R,Rival Jar,active,500,EUR\n");
    outcome(&api.upload(IMPORT, Some(&rival), "text/csv", theirs.into_bytes()).await.text);
    // Inventory learns the SKUs from catalog's events.
    let known = shop_test_support::eventually(Duration::from_secs(10), || async {
        let r = api.get(&format!("/api/v1/inventory/{prefix}-R"), Some(&admin)).await.status == 200;
        r && api.get(&format!("/api/v1/inventory/{prefix}-3"), Some(&seller)).await.status == 200
    })
    .await;
    assert!(known, "inventory adopted the imported SKUs");
    let (two_before, rivals_before) =
        (on_hand(api, &format!("{prefix}-2"), &seller).await, on_hand(api, &format!("{prefix}-R"), &rival).await);

    const STOCK: &str = "/api/v1/admin/inventory/import";
    let file = format!(
        "sku,on_hand,low_stock_threshold\n\
         {prefix}-1,7,2\n\
         {prefix}-2,,4\n\
         {prefix}-3,x,\n\
         {prefix}-R,5,\n\
         NO-SUCH-{prefix},1,\n\
         {prefix}-1,-3,\n\
         ,1,1\n\
         {prefix}-3,,\n"
    );
    let (errors, done) = outcome(&api.upload(STOCK, Some(&seller), "text/csv", file.clone().into_bytes()).await.text);
    assert_eq!(counts(&done), [8, 0, 2, 0, 6], "{done}");
    let refused: Vec<(u64, &str)> =
        errors.iter().map(|e| (e["row"].as_u64().unwrap(), e["field"].as_str().unwrap())).collect();
    assert_eq!(
        refused,
        [(3, "on_hand"), (4, "sku"), (5, "sku"), (6, "on_hand"), (7, "sku"), (8, "on_hand")],
        "{errors:?}"
    );
    assert!(errors[1]["message"].as_str().unwrap().contains("another vendor"), "{errors:?}");
    let one = api.get(&format!("/api/v1/inventory/{prefix}-1"), Some(&seller)).await.body;
    assert_eq!((one["on_hand"].as_i64(), one["low_stock_threshold"].as_i64()), (Some(7), Some(2)));
    let two = api.get(&format!("/api/v1/inventory/{prefix}-2"), Some(&seller)).await.body;
    assert_eq!((two["on_hand"].as_i64(), two["low_stock_threshold"].as_i64()), (Some(two_before), Some(4)));
    assert_eq!(on_hand(api, &format!("{prefix}-R"), &rival).await, rivals_before, "the rival's stock is untouched");

    // The same file again: nothing changes, not even the ledger.
    let entries = format!("/api/v1/inventory/{prefix}-1/ledger");
    let written = api.get(&entries, Some(&seller)).await.body["total"].as_u64().unwrap();
    let (_, again) = outcome(&api.upload(STOCK, Some(&seller), "text/csv", file.into_bytes()).await.text);
    assert_eq!(counts(&again), [8, 0, 0, 2, 6], "{again}");
    assert_eq!(api.get(&entries, Some(&seller)).await.body["total"].as_u64().unwrap(), written, "no new ledger entry");

    // NDJSON, by an admin for anyone's SKU (numbers no demo stock starts with).
    let lines = format!(
        "{{\"sku\": \"{prefix}-3\", \"on_hand\": 77}}\n{{\"sku\": \"{prefix}-R\", \"low_stock_threshold\": 1}}\n{{\"sku\": 5}}\n"
    );
    let (errors, done) =
        outcome(&api.upload(STOCK, Some(&admin), "application/x-ndjson", lines.into_bytes()).await.text);
    assert_eq!(counts(&done), [3, 0, 2, 0, 1], "{done} {errors:?}");
    assert_eq!(api.get(&format!("/api/v1/inventory/{prefix}-3"), Some(&seller)).await.body["on_hand"], 77);

    let shopper = customer(api).await;
    assert_eq!(api.upload(STOCK, Some(&shopper), "text/csv", b"sku,on_hand\n".to_vec()).await.status, 403);
    assert_eq!(api.upload(STOCK, None, "text/csv", b"sku,on_hand\n".to_vec()).await.status, 401);
    assert_eq!(api.upload(STOCK, Some(&seller), "application/pdf", b"%PDF".to_vec()).await.status, 415);
    app.stop().await;
}
