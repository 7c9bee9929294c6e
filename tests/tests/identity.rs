//! Accounts, sessions, roles and the attacks on them, through the all-in-one gateway.

use std::{sync::Arc, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use shop_auth::{AUDIENCE, ISSUER, SigningKey, StaticKeys};
use shop_e2e::{Api, Running, services::Services, session_lifecycle};
use shop_gateway::{Gateway, GatewaySettings};
use shop_platform::{Shutdown, settings::Listen};

/// Gateway settings pointing at this platform's services.
fn gateway_settings(app: &Running) -> GatewaySettings {
    let mut s = GatewaySettings { http: Listen::loopback(0), embedded: true, ..GatewaySettings::default() };
    s.service_secret = Some(Services::of(&app.platform).secret("gateway"));
    for (name, addr) in &app.platform.services {
        let url = format!("http://{addr}");
        match *name {
            "identity" => s.upstreams.identity = url,
            "catalog" => s.upstreams.catalog = url,
            "inventory" => s.upstreams.inventory = url,
            "order" => s.upstreams.order = url,
            _ => s.upstreams.payment = url,
        }
    }
    s
}

async fn admin_token(api: &Api) -> String {
    let login = api.login("admin@shop.local", "admin-demo-password").await;
    assert_eq!(login.status, 200, "{}", login.text);
    login.body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_session_lives_from_registration_to_logout() {
    let app = Running::start().await;
    session_lifecycle(&app.api).await;
    app.stop().await;
}

#[tokio::test]
async fn a_changed_password_ends_every_session_and_starts_a_new_one() {
    let app = Running::start().await;
    let api = &app.api;
    let (email, password, first) = api.register_customer().await;
    assert_eq!(first["user"]["email_verified"], false, "no link followed yet");
    let second = api.login(&email, &password).await.body;
    let (access, refresh) = (first["access_token"].as_str().unwrap(), first["refresh_token"].as_str().unwrap());
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    let wrong = api.post("/api/v1/me/password", Some(access), change("not my password", "a fresh passphrase")).await;
    assert_eq!(wrong.status, 400, "{}", wrong.text);
    assert_eq!(wrong.body["errors"][0]["field"], "current_password", "{}", wrong.text);
    let weak = api.post("/api/v1/me/password", Some(access), change(&password, "short")).await;
    assert_eq!((weak.status, weak.body["errors"][0]["field"].as_str()), (400, Some("new_password")), "{}", weak.text);
    assert_eq!(api.post("/api/v1/me/password", None, change(&password, "a fresh passphrase")).await.status, 401);

    let changed = api.post("/api/v1/me/password", Some(access), change(&password, "a fresh passphrase")).await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    for old in [refresh, second["refresh_token"].as_str().unwrap()] {
        let refreshed = api.post("/api/v1/auth/refresh", None, json!({"refresh_token": old})).await;
        assert_eq!(refreshed.status, 401, "every earlier session ended");
    }
    assert_eq!(api.login(&email, &password).await.status, 401, "the old password opens nothing");
    assert_eq!(api.login(&email, "a fresh passphrase").await.status, 200);
    let new = changed.body["refresh_token"].as_str().unwrap();
    assert_eq!(api.post("/api/v1/auth/refresh", None, json!({"refresh_token": new})).await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = Running::start().await;
    let (email, _, _) = app.api.register_customer().await;
    let wrong = app.api.login(&email, "not the password at all").await;
    let unknown = app.api.login("nobody@example.com", "not the password at all").await;
    assert_eq!(wrong.status, 401);
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert_eq!(wrong.body["code"], "invalid_credentials");
    app.stop().await;
}

#[tokio::test]
async fn registration_rejects_weak_passwords_bad_emails_and_privileged_fields() {
    let app = Running::start().await;
    let weak =
        app.api.post("/api/v1/auth/register", None, json!({"email": "w@example.com", "password": "password1"})).await;
    assert_eq!(weak.status, 400);
    assert_eq!(weak.body["errors"][0]["field"], "password");
    let short =
        app.api.post("/api/v1/auth/register", None, json!({"email": "s@example.com", "password": "short"})).await;
    assert_eq!(short.status, 400);
    let bad = app
        .api
        .post("/api/v1/auth/register", None, json!({"email": "not-an-email", "password": "a long enough passphrase"}))
        .await;
    assert_eq!(bad.body["errors"][0]["field"], "email");
    let role = app
        .api
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "r@example.com", "password": "a long enough passphrase", "role": "admin"}),
        )
        .await;
    assert_eq!(role.status, 400, "a client can never set its role");
    assert!(role.text.contains("unknown field `role`"), "{}", role.text);
    let huge = app
        .api
        .post("/api/v1/auth/register", None, json!({"email": "h@example.com", "password": "x".repeat(2 << 20)}))
        .await;
    assert_eq!(huge.status, 413);
    app.stop().await;
}

#[tokio::test]
async fn roles_decide_what_a_user_may_do_and_a_change_applies_to_the_next_token() {
    let app = Running::start().await;
    let api = &app.api;
    let (email, password, session) = api.register_customer().await;
    let customer = session["access_token"].as_str().unwrap().to_owned();
    let user_id = session["user"]["id"].as_str().unwrap().to_owned();

    assert_eq!(api.get("/api/v1/admin/users", None).await.status, 401);
    let denied = api.get("/api/v1/admin/users", Some(&customer)).await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["code"], "forbidden");

    let admin = admin_token(api).await;
    let users = api.get("/api/v1/admin/users?per_page=100", Some(&admin)).await;
    assert_eq!(users.status, 200, "{}", users.text);
    assert!(users.body["total"].as_u64().unwrap() >= 4);
    assert!(users.body["items"].as_array().unwrap().iter().any(|u| u["email"] == email));
    assert_eq!(api.get("/api/v1/admin/users?per_page=1000", Some(&admin)).await.status, 400);

    let changed = api.patch(&format!("/api/v1/admin/users/{user_id}"), Some(&admin), json!({"role": "admin"})).await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["role"], "admin");
    // The token in hand still says customer; the next one says admin.
    assert_eq!(api.get("/api/v1/admin/users", Some(&customer)).await.status, 403);
    let fresh = api.post("/api/v1/auth/refresh", None, json!({"refresh_token": session["refresh_token"]})).await;
    assert_eq!(fresh.body["user"]["role"], "admin");
    assert_eq!(api.get("/api/v1/admin/users", Some(fresh.body["access_token"].as_str().unwrap())).await.status, 200);

    let bad_role = api.patch(&format!("/api/v1/admin/users/{user_id}"), Some(&admin), json!({"role": "root"})).await;
    assert_eq!(bad_role.status, 400);
    let nobody = api
        .patch(&format!("/api/v1/admin/users/{}", uuid::Uuid::now_v7()), Some(&admin), json!({"role": "vendor"}))
        .await;
    assert_eq!(nobody.status, 404);
    let _ = api.login(&email, &password).await;
    app.stop().await;
}

#[tokio::test]
async fn a_user_edits_only_their_profile_fields() {
    let app = Running::start().await;
    let (_, _, session) = app.api.register_customer().await;
    let token = session["access_token"].as_str().unwrap();
    let address = json!({"name": "Ada Lovelace", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"});
    let updated = app.api.patch("/api/v1/me", Some(token), json!({"last_name": "Lovelace", "address": address})).await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.body["last_name"], "Lovelace");
    assert_eq!(updated.body["address"]["city"], "Springfield");
    let me = app.api.get("/api/v1/me", Some(token)).await;
    assert_eq!(me.body["address"]["country"], "US");
    for forbidden in [json!({"role": "admin"}), json!({"email": "x@example.com"}), json!({"id": "x"})] {
        assert_eq!(app.api.patch("/api/v1/me", Some(token), forbidden).await.status, 400);
    }
    let bad = app.api.patch("/api/v1/me", Some(token), json!({"address": {"country": "usa"}})).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    let named: Vec<&str> = bad.body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(named.contains(&"address.country") && named.contains(&"address.name"), "every bad field: {named:?}");
    assert_eq!(app.api.get("/api/v1/me", Some(token)).await.body["address"]["city"], "Springfield", "nothing changed");
    app.stop().await;
}

#[tokio::test]
async fn the_jwks_publishes_the_signing_key() {
    let app = Running::start().await;
    let jwks = app.api.get("/.well-known/jwks.json", None).await;
    assert_eq!(jwks.status, 200);
    let key = &jwks.body["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["crv"].as_str(), key["alg"].as_str()),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
    );
    let (_, _, session) = app.api.register_customer().await;
    let header = jsonwebtoken::decode_header(session["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    app.stop().await;
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn claims(sub: &str) -> Value {
    json!({"sub": sub, "role": "admin", "iss": ISSUER, "aud": AUDIENCE, "iat": now(), "nbf": now(), "exp": now() + 600, "jti": "t"})
}

fn sign(key: &SigningKey, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&key.private_pkcs8)).unwrap()
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_all_refused_with_401() {
    let app = Running::start().await;
    // A gateway that trusts a key this test holds, in front of the same services.
    let key = SigningKey::generate().unwrap();
    let keys = Arc::new(StaticKeys(vec![key.jwk()]));
    let gateway = Gateway::build_with(gateway_settings(&app), shop_gateway::Wiring { keys: Some(keys), bus: None })
        .await
        .unwrap();
    let api = Api::new(format!("http://{}", gateway.addr));
    let stop = Shutdown::new();
    let serving = tokio::spawn(gateway.run(stop.clone()));

    let kid = key.kid.clone();
    let valid = sign(&key, &kid, &claims("someone"));
    let mut expired = claims("someone");
    expired["exp"] = json!(now() - 3600);
    expired["nbf"] = json!(now() - 7200);
    let mut early = claims("someone");
    early["nbf"] = json!(now() + 3600);
    let mut issuer = claims("someone");
    issuer["iss"] = json!("evil");
    let mut audience = claims("someone");
    audience["aud"] = json!("elsewhere");
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string()),
        URL_SAFE_NO_PAD.encode(claims("someone").to_string())
    );
    let mut hs256 = Header::new(Algorithm::HS256);
    hs256.kid = Some(kid.clone());
    let confused =
        jsonwebtoken::encode(&hs256, &claims("someone"), &EncodingKey::from_secret(key.jwk().x.as_bytes())).unwrap();
    let parts: Vec<&str> = valid.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(claims("someone-else").to_string()), parts[2]);
    let unknown_kid = sign(&key, "no-such-key", &claims("someone"));
    let attacks = [
        ("alg none", alg_none),
        ("HS256 signed with the public key", confused),
        ("expired", sign(&key, &kid, &expired)),
        ("not yet valid", sign(&key, &kid, &early)),
        ("wrong issuer", sign(&key, &kid, &issuer)),
        ("wrong audience", sign(&key, &kid, &audience)),
        ("tampered payload", tampered),
        ("unknown kid", unknown_kid),
        ("garbage", "garbage.garbage.garbage".to_owned()),
    ];
    for (name, token) in &attacks {
        let reply = api.get("/api/v1/me", Some(token)).await;
        assert_eq!(reply.status, 401, "{name}: {}", reply.text);
        assert_eq!(reply.body["code"], "unauthorized", "{name}");
        assert!(reply.headers.contains_key("www-authenticate"), "{name}");
        // Not even public routes take a bad token.
        assert_eq!(api.get("/api/v1/products/01920000-0000-7000-8000-000000000001", Some(token)).await.status, 401);
    }
    // The real gateway refuses the foreign key outright; the test gateway lets it through,
    // and identity, verifying again, refuses it: no service trusts the gateway blindly.
    assert_eq!(app.api.get("/api/v1/me", Some(&valid)).await.status, 401);
    assert_eq!(api.get("/api/v1/me", Some(&valid)).await.status, 401);
    stop.trigger();
    serving.await.unwrap().unwrap();
    app.stop().await;
}

#[tokio::test]
async fn a_login_brute_force_from_one_address_is_stopped_with_429() {
    let app = Running::start().await;
    let (email, _, _) = app.api.register_customer().await;
    let mut limited_at = None;
    for attempt in 1..=20 {
        let reply = app.api.login(&email, &format!("guess number {attempt}")).await;
        if reply.status == 429 {
            assert_eq!(reply.body["code"], "rate_limited");
            let retry: u64 = reply.headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!(retry >= 1);
            limited_at = Some(attempt);
            break;
        }
        assert_eq!(reply.status, 401);
    }
    let limited_at = limited_at.expect("the limiter stepped in");
    assert!(limited_at < 20, "429 after {limited_at} attempts");
    app.stop().await;
}

#[tokio::test]
async fn guessing_one_accounts_password_is_slowed_whatever_the_address() {
    // The per-address limit lifted, as if the guesses came from many addresses.
    let mut settings = shop::Settings::ephemeral();
    settings.rate_limits.auth = shop_gateway::ratelimit::Limit { per_minute: 100_000, burst: 10_000 };
    let app = Running::start_with(&settings).await;
    let (email, password, _) = app.api.register_customer().await;
    let (other, other_password, _) = app.api.register_customer().await;
    for attempt in 1..=5 {
        let reply = app.api.login(&email, &format!("guess number {attempt}")).await;
        assert_eq!(reply.status, 401, "failure {attempt} is answered: {}", reply.text);
    }
    for password in ["guess number 6", password.as_str()] {
        let slowed = app.api.login(&email.to_uppercase(), password).await;
        assert_eq!(slowed.status, 429, "the sixth attempt waits, right or wrong: {}", slowed.text);
        let retry: u64 = slowed.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((150..=180).contains(&retry), "one attempt per three minutes: {retry}");
    }
    let unknown = "nobody-at-all@example.com";
    for _ in 0..5 {
        assert_eq!(app.api.login(unknown, "whatever it is").await.status, 401);
    }
    assert_eq!(app.api.login(unknown, "whatever it is").await.status, 429, "unknown accounts alike");
    assert_eq!(app.api.login(&other, &other_password).await.status, 200, "other accounts are not slowed");
    app.stop().await;
}

#[tokio::test]
async fn the_last_admin_cannot_step_down() {
    let app = Running::start().await;
    let admin = admin_token(&app.api).await;
    let me = app.api.get("/api/v1/me", Some(&admin)).await;
    let path = format!("/api/v1/admin/users/{}", me.body["id"].as_str().unwrap());
    let demoted = app.api.patch(&path, Some(&admin), json!({"role": "customer"})).await;
    assert_eq!((demoted.status, demoted.body["code"].as_str()), (409, Some("last_admin")), "{}", demoted.text);
    // With a second admin, the first may step down.
    let (_, _, second) = app.api.register_customer().await;
    let second_path = format!("/api/v1/admin/users/{}", second["user"]["id"].as_str().unwrap());
    assert_eq!(app.api.patch(&second_path, Some(&admin), json!({"role": "admin"})).await.status, 200);
    assert_eq!(app.api.patch(&path, Some(&admin), json!({"role": "customer"})).await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn browsers_get_cors_only_for_allowed_origins_and_every_response_is_hardened() {
    let app = Running::start().await;
    let mut settings = gateway_settings(&app);
    settings.cors_origins = "https://shop.example.com".into();
    let gateway = Gateway::build(settings).await.unwrap();
    let base = format!("http://{}", gateway.addr);
    let stop = Shutdown::new();
    let serving = tokio::spawn(gateway.run(stop.clone()));
    let client = shop_test_support::http();
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, format!("{base}/api/v1/me"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allowed = preflight("https://shop.example.com").await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://shop.example.com");
    let other = preflight("https://evil.example").await.unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
    let res = client.get(format!("{base}/healthz")).send().await.unwrap();
    for header in
        ["x-content-type-options", "x-frame-options", "content-security-policy", "referrer-policy", "x-request-id"]
    {
        assert!(res.headers().contains_key(header), "{header}");
    }
    stop.trigger();
    serving.await.unwrap().unwrap();
    app.stop().await;
}

#[tokio::test]
async fn signing_keys_rotate_without_logging_anyone_out() {
    use shop_identity::{keys::KeyRing, storage::MemoryKeyStore};
    let ring = Arc::new(
        KeyRing::open(Arc::new(MemoryKeyStore::default()), Duration::from_secs(3600), Duration::from_secs(900))
            .await
            .unwrap(),
    );
    let verifier = shop_auth::Verifier::new(Arc::new(StaticKeys(ring.jwks())));
    let (before, _) = ring.issue("u1", shop_auth::Role::Customer).unwrap();
    assert!(verifier.verify(&before).await.is_ok());
    ring.rotate().await.unwrap();
    let (after, _) = ring.issue("u1", shop_auth::Role::Customer).unwrap();
    assert_ne!(jsonwebtoken::decode_header(&before).unwrap().kid, jsonwebtoken::decode_header(&after).unwrap().kid);
    assert_eq!(ring.jwks().len(), 2, "the old key is still published");
    // A verifier that knows the new JWKS accepts tokens of both keys.
    let refreshed = shop_auth::Verifier::new(ring.clone());
    assert!(refreshed.verify(&before).await.is_ok());
    assert!(refreshed.verify(&after).await.is_ok());
    // One that only knew the old key fetches again on the unknown kid (its source is fixed here).
    assert!(verifier.verify(&after).await.is_err());
}

#[tokio::test]
async fn two_gateways_sharing_redis_enforce_one_limit_together() {
    shop_test_support::require("Redis", &shop_test_support::redis_url());
    let app = Running::start().await;
    let (_, _, session) = app.api.register_customer().await;
    let token = session["access_token"].as_str().unwrap().to_owned();
    let mut gateways = Vec::new();
    let stop = Shutdown::new();
    for _ in 0..2 {
        let mut settings = gateway_settings(&app);
        settings.backends.redis_url = Some(shop_platform::settings::SecretUrl::new(shop_test_support::redis_url()));
        settings.rate_limits.user = shop_gateway::ratelimit::Limit { per_minute: 60, burst: 10 };
        let gateway = Gateway::build(settings).await.unwrap();
        gateways.push(Api::new(format!("http://{}", gateway.addr)));
        tokio::spawn(gateway.run(stop.clone()));
    }
    let mut allowed = 0;
    for i in 0..30 {
        let reply = gateways[i % 2].get("/api/v1/me", Some(&token)).await;
        match reply.status {
            200 => allowed += 1,
            429 => assert!(reply.headers.contains_key("retry-after")),
            other => panic!("unexpected {other}: {}", reply.text),
        }
    }
    // One shared budget of 10 (plus at most a refill or two while the loop runs), not 2 × 10.
    assert!((10..=12).contains(&allowed), "{allowed} of 30 allowed");
    stop.trigger();
    app.stop().await;
}
