//! The notification service against a real SMTP server (aiosmtpd, `scripts/smtp-sink`) and
//! an HTTP SMS provider beside it, in a fleet on real RabbitMQ and the MongoDB stand-in: the
//! account flows through their mailed links, order mail, shipping texts and the preferences
//! that choose them, retries of refused deliveries, and a service killed while it sends —
//! every message delivered, none twice (counted at the server).

use std::time::Duration;

use serde_json::{Value, json};
use shop_e2e::{
    Api,
    commerce::{self, add_to_cart, checkout, product_with_stock},
    fleet::{Fleet, Options},
};
use shop_test_support::{
    eventually,
    smtp::{Mail, SmtpSink},
    unique,
};

#[path = "notifications/accounts.rs"]
mod accounts;
#[path = "notifications/texts.rs"]
mod texts;

const MAIL: Duration = Duration::from_secs(30);

async fn fleet(sink: &SmtpSink, reset_ttl_secs: u64) -> Fleet {
    Fleet::start(Options {
        env: vec![
            ("notification", "SHOP_SMTP_URL", sink.url()),
            ("notification", "SHOP_MAIL_FROM", "Fleet Shop <shop@fleet.test>".to_owned()),
            ("notification", "SHOP_SMS_URL", sink.sms_url("twilio")),
            ("notification", "SHOP_SMS_FORMAT", "twilio".to_owned()),
            ("notification", "SHOP_SMS_FROM", "FleetShop".to_owned()),
            ("notification", "SHOP_PUBLIC_URL", "https://shop.fleet.test".to_owned()),
            ("identity", "SHOP_RESET_LINK_TTL_SECS", reset_ttl_secs.to_string()),
            ("notification", "SHOP_DIGEST_GATHER_SECS", "2".to_owned()),
            // This shop takes orders only from verified addresses.
            ("order", "SHOP_REQUIRE_VERIFIED_EMAIL", "true".to_owned()),
            ("notification", "SHOP_DIGEST_CHECK_MS", "200".to_owned()),
        ],
        no_demo_data: true,
        ..Options::default()
    })
    .await
}

fn token_of(mail: &Mail) -> String {
    mail.link_param("token").unwrap_or_else(|| panic!("no link in {mail:#?}"))
}

async fn register(api: &Api) -> (String, String, Value) {
    api.register_customer().await
}

/// A paid order → its confirmation with the total; shipped → the shipped notice.
async fn order_mail(fleet: &Fleet, sink: &SmtpSink) {
    let api = &fleet.api;
    let admin = fleet.admin().await;
    let vendor = commerce::vendor(api, &admin).await;
    let sku = product_with_stock(api, &vendor, 1_250, 10).await;
    let (email, _, session) = register(api).await;
    let customer = session["access_token"].as_str().unwrap();
    add_to_cart(api, customer, &sku, 3).await;
    let unverified = checkout(api, customer, &commerce::key(), "tok_visa").await;
    assert_eq!(
        (unverified.status, unverified.body["code"].as_str()),
        (403, Some("email_unverified")),
        "{}",
        unverified.text
    );
    let token = token_of(&sink.wait_for(&email, 1, MAIL).await[0]);
    assert_eq!(api.post("/api/v1/auth/verify-email", None, json!({"token": token})).await.status, 200);
    let placed = checkout(api, customer, &commerce::key(), "tok_visa").await;
    assert_eq!(placed.status, 201, "{}", placed.text);
    let id = placed.body["id"].as_str().unwrap();
    let mails = sink.wait_for(&email, 2, MAIL).await;
    let confirmation = &mails[1];
    assert!(confirmation.subject.contains("is confirmed"), "{}", confirmation.subject);
    assert!(confirmation.text.contains("Total: 37.50 USD"), "{}", confirmation.text);
    assert!(confirmation.text.contains(&format!("3 x Checkout Test Kettle ({sku})")), "{}", confirmation.text);
    assert!(confirmation.text.contains("1 Test Street"), "{}", confirmation.text);
    assert!(confirmation.text.contains(&format!("https://shop.fleet.test/account/orders/{id}")));
    let too_long = json!({"carrier": "DHL", "tracking_number": "9".repeat(65)});
    let refused = api.post(&format!("/api/v1/admin/orders/{id}/ship"), Some(&admin), too_long).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    let tracking = json!({"carrier": "DHL Express", "tracking_number": "JJD000390007"});
    let shipped = api.post(&format!("/api/v1/admin/orders/{id}/ship"), Some(&admin), tracking).await;
    assert_eq!(shipped.status, 200, "{}", shipped.text);
    assert_eq!(shipped.body["shipment"]["tracking_number"], "JJD000390007");
    let notice = sink.wait_for(&email, 3, MAIL).await.remove(2);
    assert!(notice.subject.contains("on its way"), "{}", notice.subject);
    assert!(notice.text.contains("Carrier: DHL Express") && notice.text.contains("Tracking number: JJD000390007"));
    assert_eq!(
        api.get(&format!("/api/v1/orders/{id}"), Some(customer)).await.body["shipment"]["carrier"],
        "DHL Express"
    );
}

/// The log entry of the one message to `email`.
async fn logged(api: &Api, admin: &str, email: &str) -> Value {
    let reply = api.get(&format!("/api/v1/admin/notifications/messages?recipient={email}"), Some(admin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["items"][0].clone()
}

/// 4xx twice then accepted → delivered once after retries; 5xx → failed, not retried;
/// an unknown mailbox (550) → failed, and the address is sent nothing more.
async fn refusals(fleet: &Fleet, sink: &SmtpSink) {
    let (api, admin) = (&fleet.api, fleet.admin().await);
    let email = format!("{}@example.com", unique("refused"));
    sink.refuse(&email, &[451, 451]).await;
    let body = json!({"email": email, "password": "a long enough passphrase", "first_name": "R"});
    assert_eq!(api.post("/api/v1/auth/register", None, body).await.status, 201);
    let mails = sink.wait_for(&email, 1, MAIL).await;
    let entry = logged(api, &admin, &email).await;
    assert_eq!((entry["status"].as_str(), entry["attempts"].as_u64()), (Some("sent"), Some(3)), "{entry}");
    assert!(entry["last_error"].as_str().unwrap().contains("451"), "{entry}");
    assert_eq!(entry["provider_message_id"], mails[0].message_id.as_str());

    let email = format!("{}@example.com", unique("refused"));
    sink.refuse(&email, &[554]).await;
    let body = json!({"email": email, "password": "a long enough passphrase", "first_name": "R"});
    assert_eq!(api.post("/api/v1/auth/register", None, body).await.status, 201);
    let failed = eventually(MAIL, || async { logged(api, &admin, &email).await["status"] == "failed" }).await;
    assert!(failed, "{}", logged(api, &admin, &email).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let entry = logged(api, &admin, &email).await;
    assert_eq!(entry["attempts"], 1, "a permanent refusal is not retried: {entry}");
    assert!(sink.to(&email).await.is_empty());
    // Resent by an admin, it goes through now.
    let resent = api
        .post(
            &format!("/api/v1/admin/notifications/messages/{}/resend", entry["id"].as_str().unwrap()),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(resent.status, 200, "{}", resent.text);
    sink.wait_for(&email, 1, MAIL).await;

    let (email, _, session) = register(api).await;
    sink.bounce(&email).await;
    let bounced = eventually(MAIL, || async { logged(api, &admin, &email).await["status"] == "failed" }).await;
    assert!(bounced, "{}", logged(api, &admin, &email).await);
    let access = session["access_token"].as_str().unwrap();
    assert_eq!(api.post("/api/v1/auth/verify-email/resend", Some(access), json!({})).await.status, 204);
    let suppressed = eventually(MAIL, || async {
        let reply = api
            .get(&format!("/api/v1/admin/notifications/messages?recipient={email}&status=suppressed"), Some(&admin))
            .await;
        reply.body["total"] == 1
    })
    .await;
    assert!(suppressed, "a bounced address is sent nothing more");

    // Only admins read the log and the mailbox.
    let customer = commerce::customer(api).await;
    for path in ["/api/v1/admin/notifications/messages", "/api/v1/admin/mailbox"] {
        assert_eq!(api.get(path, Some(&customer)).await.status, 403, "{path}");
        assert_eq!(api.get(path, None).await.status, 401, "{path}");
    }
}

/// Low stock on three SKUs of one vendor within the hour → one digest to the vendor (and
/// one to the admin) naming all three; a fourth SKU low later in the hour waits.
async fn stock_digest(fleet: &Fleet, sink: &SmtpSink) {
    let (api, admin) = (&fleet.api, fleet.admin().await);
    let (email, password, session) = register(api).await;
    let id = session["user"]["id"].as_str().unwrap();
    let promoted = api.patch(&format!("/api/v1/admin/users/{id}"), Some(&admin), json!({"role": "vendor"})).await;
    assert_eq!(promoted.status, 200, "{}", promoted.text);
    let vendor = commerce::token(api, &email, &password).await;
    sink.wait_for(&email, 1, MAIL).await;
    let mut skus = Vec::new();
    for _ in 0..4 {
        skus.push(product_with_stock(api, &vendor, 500, 50).await);
    }
    let low = json!({"on_hand": 2, "low_stock_threshold": 5});
    for sku in &skus[..3] {
        let set =
            api.send(reqwest::Method::PUT, &format!("/api/v1/inventory/{sku}"), Some(&vendor), Some(low.clone())).await;
        assert_eq!(set.status, 200, "{}", set.text);
    }
    let digest = sink.wait_for(&email, 2, MAIL).await.remove(1);
    assert!(digest.subject.starts_with("3 products are running low"), "{}", digest.subject);
    for sku in &skus[..3] {
        assert!(digest.text.contains(&format!("{sku}: 2 available (threshold 5)")), "{}", digest.text);
    }
    let admin_told = eventually(MAIL, || async {
        let mail = sink.to(shop_e2e::fleet::ADMIN_EMAIL).await;
        mail.iter().any(|m| m.subject.contains("running low") && skus[..3].iter().all(|s| m.text.contains(s.as_str())))
    })
    .await;
    assert!(admin_told, "the admin's digest names the three SKUs");
    // Within the hour, another low SKU waits for the next digest.
    let set = api.send(reqwest::Method::PUT, &format!("/api/v1/inventory/{}", skus[3]), Some(&vendor), Some(low)).await;
    assert_eq!(set.status, 200, "{}", set.text);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(sink.to(&email).await.len(), 2, "one digest an hour");
}

/// The templates through REST: list, preview, a malformed or escaping template refused at
/// save (400) and never sent, the shop's version sent (its values escaped in HTML), reset.
async fn templates(fleet: &Fleet, sink: &SmtpSink) {
    let (api, admin) = (&fleet.api, fleet.admin().await);
    let base = "/api/v1/admin/notifications/templates";
    let listed = api.get(base, Some(&admin)).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let names: Vec<&str> = listed.body.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"welcome") && names.contains(&"order_confirmation"), "{names:?}");
    let shipped = api.send(reqwest::Method::POST, &format!("{base}/welcome/preview"), Some(&admin), None).await;
    assert_eq!(shipped.status, 200, "{}", shipped.text);
    assert!(shipped.body["subject"].as_str().unwrap().starts_with("Welcome to Shop"), "{}", shipped.text);

    let edit = |subject: &str, text: &str, html: &str| json!({"subject": subject, "text": text, "html": html});
    let refused = [
        edit("Hi {{ name", "{{ link }}", "<p>{{ link }}</p>"),
        edit("Hi", "{{ link }} {{ password }}", "<p>{{ link }}</p>"),
        edit("Hi", "{% include '/etc/passwd' %}", "<p>{{ link }}</p>"),
        edit("Hi", "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}", "<p></p>"),
        edit("", "{{ link }}", "<p>{{ link }}</p>"),
    ];
    for body in refused {
        let preview = api.post(&format!("{base}/welcome/preview"), Some(&admin), body.clone()).await;
        assert_eq!(preview.status, 400, "preview of {body}: {}", preview.text);
        let saved = api.send(reqwest::Method::PUT, &format!("{base}/welcome"), Some(&admin), Some(body.clone())).await;
        assert_eq!(saved.status, 400, "save of {body}: {}", saved.text);
    }
    assert_eq!(api.get(&format!("{base}/welcome"), Some(&admin)).await.body["custom"], false, "nothing was kept");
    assert_eq!(api.get(&format!("{base}/no_such_template"), Some(&admin)).await.status, 400);
    assert_eq!(api.get(&format!("{base}/welcome?locale=EN_us"), Some(&admin)).await.status, 400);

    let ours = edit(
        "Hello {{ name }}, welcome to {{ shop }}",
        "Confirm here: {{ link }}",
        "<p>Hello {{ name }}</p><p>{{ link }}</p>",
    );
    let saved = api.send(reqwest::Method::PUT, &format!("{base}/welcome"), Some(&admin), Some(ours)).await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    assert_eq!(saved.body["custom"], true);
    assert_eq!(saved.body["history"][0]["version"], 1);

    let email = format!("{}@example.com", unique("tmpl"));
    let body = json!({"email": email, "password": "a long enough passphrase", "first_name": "<b>Eve</b>"});
    assert_eq!(api.post("/api/v1/auth/register", None, body).await.status, 201);
    let mail = sink.wait_for(&email, 1, MAIL).await.remove(0);
    assert_eq!(mail.subject, "Hello <b>Eve</b>, welcome to Shop", "the subject is text");
    assert!(mail.html.contains("&lt;b&gt;Eve&lt;&#x2f;b&gt;") && !mail.html.contains("<b>Eve"), "{}", mail.html);
    assert!(mail.text.starts_with("Confirm here: https://shop.fleet.test/verify-email?token="), "{}", mail.text);

    let reset = api.send(reqwest::Method::DELETE, &format!("{base}/welcome"), Some(&admin), None).await;
    assert_eq!(reset.status, 200, "{}", reset.text);
    assert_eq!(
        (reset.body["custom"].as_bool(), reset.body["history"].as_array().map(Vec::len)),
        (Some(false), Some(2))
    );
    assert!(reset.body["parts"]["subject"].as_str().unwrap().starts_with("Welcome to"));
    let customer = commerce::customer(api).await;
    assert_eq!(api.get(base, Some(&customer)).await.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_writes_to_its_customers_through_a_real_mail_server() {
    let _one = Fleet::exclusive().await;
    let sink = SmtpSink::start().await;
    let ttl = Duration::from_secs(4);
    let fleet = fleet(&sink, ttl.as_secs()).await;
    accounts::verification(&fleet.api, &sink).await;
    accounts::password_reset(&fleet.api, &sink, ttl).await;
    accounts::email_change(&fleet.api, &sink).await;
    accounts::reset_answers_alike(&fleet.api, &sink).await;
    order_mail(&fleet, &sink).await;
    refusals(&fleet, &sink).await;
    stock_digest(&fleet, &sink).await;
    texts::preferences_and_texts(&fleet, &sink).await;
    texts::declined_digest(&fleet, &sink).await;
    templates(&fleet, &sink).await;
    fleet.stop(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_service_killed_mid_batch_delivers_every_message_once() {
    let _one = Fleet::exclusive().await;
    let sink = SmtpSink::start().await;
    let mut fleet = fleet(&sink, 1800).await;
    let emails: Vec<String> = (0..40).map(|_| format!("{}@example.com", unique("kill"))).collect();
    let registering = {
        let (api, emails) = (Api::new(fleet.base.clone()), emails.clone());
        tokio::spawn(async move {
            for email in emails {
                let body = json!({"email": email, "password": "a long enough passphrase", "first_name": "K"});
                let reply = api.post("/api/v1/auth/register", None, body).await;
                assert_eq!(reply.status, 201, "{}", reply.text);
            }
        })
    };
    // Killed once some of the mail went out, while the rest is being sent or queued.
    let started = eventually(MAIL, || async { sink.messages().await.len() >= 5 }).await;
    assert!(started, "no mail went out");
    fleet.kill("notification");
    registering.await.unwrap();
    fleet.restart("notification").await;
    let all = eventually(Duration::from_secs(60), || async {
        let messages = sink.messages().await;
        emails.iter().all(|e| messages.iter().any(|m| m.to.contains(e)))
    })
    .await;
    assert!(all, "every welcome mail arrives");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let messages = sink.messages().await;
    for email in &emails {
        let count = messages.iter().filter(|m| m.to.contains(email)).count();
        assert_eq!(count, 1, "{email} got {count} welcome mails");
    }
    fleet.stop(&[]);
}
