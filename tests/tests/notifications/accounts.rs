//! The account flows of the notification tests: every link a customer is mailed, followed
//! (or misused) the way a customer (or an attacker) would.

use std::time::{Duration, Instant};

use serde_json::json;
use shop_e2e::Api;
use shop_test_support::{smtp::SmtpSink, unique};

use super::{MAIL, register, token_of};

/// Register → the welcome mail with a working, single-use verification link.
pub async fn verification(api: &Api, sink: &SmtpSink) {
    let (email, _, session) = register(api).await;
    let access = session["access_token"].as_str().unwrap();
    assert_eq!(session["user"]["email_verified"], false);
    let mail = sink.wait_for(&email, 1, MAIL).await.remove(0);
    assert!(mail.subject.contains("confirm your email"), "{}", mail.subject);
    assert_eq!(mail.from, "shop@fleet.test");
    assert!(mail.text.contains("https://shop.fleet.test/verify-email?token="), "{}", mail.text);
    // The HTML part escapes every value it is given (`/` too, as `&#x2f;`).
    let html = mail.html.replace("&#x2f;", "/");
    assert!(html.contains("href=\"https://shop.fleet.test/verify-email?token="), "{}", mail.html);
    let token = token_of(&mail);
    // A verification token is no reset token.
    let wrong = json!({"token": token, "new_password": "a brand new passphrase"});
    assert_eq!(api.post("/api/v1/auth/password-reset/confirm", None, wrong).await.status, 400);
    let verified = api.post("/api/v1/auth/verify-email", None, json!({"token": token})).await;
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(verified.body["email_verified"], true);
    assert_eq!(api.get("/api/v1/me", Some(access)).await.body["email_verified"], true);
    let again = api.post("/api/v1/auth/verify-email", None, json!({"token": token})).await;
    assert_eq!(again.status, 400, "a link works once");
    assert_eq!(again.body["errors"][0]["field"], "token", "{}", again.text);
    // Verified already: a resend sends nothing.
    assert_eq!(api.post("/api/v1/auth/verify-email/resend", Some(access), json!({})).await.status, 204);

    // An account that resends gets a new link; the first stops working.
    let (email, _, session) = register(api).await;
    let access = session["access_token"].as_str().unwrap();
    let first = token_of(&sink.wait_for(&email, 1, MAIL).await[0]);
    assert_eq!(api.post("/api/v1/auth/verify-email/resend", Some(access), json!({})).await.status, 204);
    let mails = sink.wait_for(&email, 2, MAIL).await;
    assert!(mails[1].subject.starts_with("Confirm your email"), "{}", mails[1].subject);
    let second = token_of(&mails[1]);
    assert_eq!(api.post("/api/v1/auth/verify-email", None, json!({"token": first})).await.status, 400);
    assert_eq!(api.post("/api/v1/auth/verify-email", None, json!({"token": second})).await.status, 200);
}

/// Reset → mail → confirm → the old sessions refused, the new password works, the account
/// told; reused and expired links refused.
pub async fn password_reset(api: &Api, sink: &SmtpSink, ttl: Duration) {
    let (email, password, session) = register(api).await;
    let refresh = session["refresh_token"].as_str().unwrap().to_owned();
    sink.wait_for(&email, 1, MAIL).await;
    let asked = api.post("/api/v1/auth/password-reset", None, json!({"email": email.to_uppercase()})).await;
    assert_eq!(asked.status, 202, "{}", asked.text);
    let mail = sink.wait_for(&email, 2, MAIL).await.remove(1);
    assert!(mail.subject.contains("Reset your"), "{}", mail.subject);
    let token = token_of(&mail);
    let new_password = "a brand new passphrase";
    let weak =
        api.post("/api/v1/auth/password-reset/confirm", None, json!({"token": token, "new_password": "short"})).await;
    assert_eq!(weak.status, 400, "{}", weak.text);
    let done = json!({"token": token, "new_password": new_password});
    let confirmed = api.post("/api/v1/auth/password-reset/confirm", None, done.clone()).await;
    assert_eq!(confirmed.status, 204, "{}", confirmed.text);
    assert_eq!(api.post("/api/v1/auth/password-reset/confirm", None, done).await.status, 400, "used once");
    let stale = api.post("/api/v1/auth/refresh", None, json!({"refresh_token": refresh})).await;
    assert_eq!(stale.status, 401, "the sessions before the reset are over");
    assert_eq!(api.login(&email, &password).await.status, 401);
    assert_eq!(api.login(&email, new_password).await.status, 200);
    let told = sink.wait_for(&email, 3, MAIL).await.remove(2);
    assert!(told.subject.contains("password was changed"), "{}", told.subject);

    // A link past its lifetime opens nothing.
    assert_eq!(api.post("/api/v1/auth/password-reset", None, json!({"email": email})).await.status, 202);
    let late = token_of(&sink.wait_for(&email, 4, MAIL).await[3]);
    tokio::time::sleep(ttl + Duration::from_secs(1)).await;
    let expired = json!({"token": late, "new_password": "yet another passphrase"});
    assert_eq!(api.post("/api/v1/auth/password-reset/confirm", None, expired).await.status, 400);
    assert_eq!(api.login(&email, new_password).await.status, 200, "the password stayed");
}

/// A change of address: confirmed at the new one (the current one told), then sign-in
/// moves with it.
pub async fn email_change(api: &Api, sink: &SmtpSink) {
    let (email, password, session) = register(api).await;
    let access = session["access_token"].as_str().unwrap();
    sink.wait_for(&email, 1, MAIL).await;
    let (taken, ..) = register(api).await;
    let new_email = format!("{}@example.com", unique("moved"));
    let ask = |current: &str, new: &str| json!({"current_password": current, "new_email": new});
    assert_eq!(api.post("/api/v1/me/email", Some(access), ask("wrong password!", &new_email)).await.status, 400);
    assert_eq!(api.post("/api/v1/me/email", Some(access), ask(&password, &email)).await.status, 400);
    assert_eq!(api.post("/api/v1/me/email", Some(access), ask(&password, "not an address")).await.status, 400);
    let taken = api.post("/api/v1/me/email", Some(access), ask(&password, &taken)).await;
    assert_eq!((taken.status, taken.body["code"].as_str()), (409, Some("email_taken")), "{}", taken.text);
    let asked = api.post("/api/v1/me/email", Some(access), ask(&password, &new_email)).await;
    assert_eq!(asked.status, 202, "{}", asked.text);
    let confirm = sink.wait_for(&new_email, 1, MAIL).await.remove(0);
    assert!(confirm.subject.contains("Confirm your new email"), "{}", confirm.subject);
    assert!(confirm.text.contains("https://shop.fleet.test/confirm-email?token="), "{}", confirm.text);
    let notice = sink.wait_for(&email, 2, MAIL).await.remove(1);
    assert!(notice.subject.contains("is changing") && notice.text.contains(&new_email), "{}", notice.text);
    assert_eq!(api.get("/api/v1/me", Some(access)).await.body["email"], email.as_str(), "not moved before the link");
    let token = token_of(&confirm);
    let moved = api.post("/api/v1/auth/confirm-email", None, json!({"token": token})).await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(
        (moved.body["email"].as_str(), moved.body["email_verified"].as_bool()),
        (Some(new_email.as_str()), Some(true))
    );
    assert_eq!(api.post("/api/v1/auth/confirm-email", None, json!({"token": token})).await.status, 400, "once");
    assert_eq!(api.login(&email, &password).await.status, 401);
    assert_eq!(api.login(&new_email, &password).await.status, 200);
}

/// The reset request tells nobody whether an account exists: same status, same body, the
/// same time.
pub async fn reset_answers_alike(api: &Api, sink: &SmtpSink) {
    let mut known = Vec::new();
    for _ in 0..5 {
        let (email, ..) = register(api).await;
        sink.wait_for(&email, 1, MAIL).await;
        known.push(email);
    }
    let unknown: Vec<String> = (0..5).map(|_| format!("{}@example.com", unique("nobody"))).collect();
    let mut timings = [Vec::new(), Vec::new()];
    let mut bodies = Vec::new();
    for round in 0..5 {
        for (which, email) in [(0, &known[round]), (1, &unknown[round])] {
            let started = Instant::now();
            let reply = api.post("/api/v1/auth/password-reset", None, json!({"email": email})).await;
            timings[which].push(started.elapsed());
            assert_eq!(reply.status, 202);
            bodies.push(reply.text);
        }
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]), "{bodies:?}");
    let median = |t: &mut Vec<Duration>| {
        t.sort();
        t[t.len() / 2]
    };
    let (k, u) = (median(&mut timings[0]), median(&mut timings[1]));
    assert!(k.abs_diff(u) < Duration::from_millis(25), "known {k:?} vs unknown {u:?}");
    for email in &known {
        sink.wait_for(email, 2, MAIL).await;
    }
    assert!(sink.to(&unknown[0]).await.is_empty());
}
