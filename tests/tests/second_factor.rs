//! The second factor through the gateway, in the fleet: a customer enrols TOTP (password,
//! then a first code) and gets recovery codes; signing in then takes a code — a wrong one, a
//! used one (replayed) and a used recovery code are refused, five wrong codes void the
//! challenge; an admin of a shop that requires a second factor enrols at sign-in and cannot
//! turn it off; the account is told by mail.

use std::time::Duration;

use serde_json::{Value, json};
use shop_e2e::{
    Api,
    fleet::{ADMIN_EMAIL, ADMIN_PASSWORD, Fleet, Options},
};
use shop_identity::totp::{STEP, Secret};
use shop_test_support::eventually;

const PASSWORD: &str = "a long enough passphrase";

fn now_step() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    i64::try_from(now).unwrap().div_euclid(STEP)
}

fn code(secret: &Secret, step: i64) -> String {
    format!("{:06}", secret.code(step))
}

/// A code of another step: surely wrong now.
fn wrong(secret: &Secret) -> String {
    code(secret, now_step() + 1000)
}

async fn login(api: &Api, email: &str, password: &str) -> Value {
    let reply = api.login(email, password).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body
}

async fn finish(api: &Api, challenge: &str, body: Value) -> shop_e2e::Reply {
    let mut body = body;
    body["challenge"] = json!(challenge);
    api.post("/api/v1/auth/second-factor", None, body).await
}

/// Enrols the account of `token`: its secret, the step its first code took, its recovery codes.
async fn enrol(api: &Api, token: &str) -> (Secret, i64, Vec<String>) {
    let wrong_password =
        api.post("/api/v1/me/mfa/totp", Some(token), json!({"current_password": "nope nope nope"})).await;
    assert_eq!(wrong_password.status, 400, "{}", wrong_password.text);
    let begun = api.post("/api/v1/me/mfa/totp", Some(token), json!({"current_password": PASSWORD})).await;
    assert_eq!(begun.status, 200, "{}", begun.text);
    assert!(begun.body["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/Shop:"), "{}", begun.text);
    let secret = Secret::from_base32(begun.body["secret"].as_str().unwrap()).unwrap();
    let refused = api.post("/api/v1/me/mfa/totp/confirm", Some(token), json!({"code": wrong(&secret)})).await;
    assert_eq!((refused.status, refused.body["code"].as_str()), (401, Some("invalid_code")), "{}", refused.text);
    let step = now_step();
    let confirmed = api.post("/api/v1/me/mfa/totp/confirm", Some(token), json!({"code": code(&secret, step)})).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    let codes: Vec<String> =
        confirmed.body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 10);
    (secret, step, codes)
}

async fn a_customer_signs_in_with_a_code_once(api: &Api) -> (String, String) {
    let (email, _, session) = api.register_customer().await;
    let token = session["access_token"].as_str().unwrap().to_owned();
    assert_eq!(api.get("/api/v1/me", Some(&token)).await.body["mfa_enabled"], false);
    let (secret, step, recovery) = enrol(api, &token).await;
    assert_eq!(api.get("/api/v1/me", Some(&token)).await.body["mfa_enabled"], true);
    let again = api.post("/api/v1/me/mfa/totp", Some(&token), json!({"current_password": PASSWORD})).await;
    assert_eq!((again.status, again.body["code"].as_str()), (409, Some("second_factor_on")));

    let first = login(api, &email, PASSWORD).await;
    assert_eq!(first["second_factor_required"], true, "{first}");
    assert!(first.get("access_token").is_none(), "no session before the second factor: {first}");
    let challenge = first["challenge"].as_str().unwrap();
    let replayed = finish(api, challenge, json!({"code": code(&secret, step)})).await;
    assert_eq!((replayed.status, replayed.body["code"].as_str()), (401, Some("invalid_code")), "a used code");
    let signed_in = finish(api, challenge, json!({"code": code(&secret, step + 1)})).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    assert!(signed_in.body["access_token"].is_string() && signed_in.body.get("recovery_codes").is_none());
    let spent = finish(api, challenge, json!({"code": code(&secret, step + 1)})).await;
    assert_eq!((spent.status, spent.body["code"].as_str()), (401, Some("invalid_challenge")), "a challenge works once");

    let second = login(api, &email, PASSWORD).await;
    let challenge = second["challenge"].as_str().unwrap();
    let used = finish(api, challenge, json!({"code": code(&secret, step + 1)})).await;
    assert_eq!(used.status, 401, "a code is taken once");
    let recovered = finish(api, challenge, json!({"recovery_code": recovery[0].to_uppercase()})).await;
    assert_eq!(recovered.status, 200, "{}", recovered.text);
    let third = login(api, &email, PASSWORD).await;
    let challenge = third["challenge"].as_str().unwrap();
    let reused = finish(api, challenge, json!({"recovery_code": recovery[0]})).await;
    assert_eq!(reused.status, 401, "a recovery code works once");
    for _ in 0..4 {
        assert_eq!(finish(api, challenge, json!({"code": wrong(&secret)})).await.status, 401);
    }
    let voided = finish(api, challenge, json!({"recovery_code": recovery[1]})).await;
    assert_eq!(
        (voided.status, voided.body["code"].as_str()),
        (401, Some("invalid_challenge")),
        "five wrong codes void it"
    );
    (email, token)
}

async fn a_customer_turns_it_off(api: &Api) {
    let (email, _, session) = api.register_customer().await;
    let token = session["access_token"].as_str().unwrap();
    let (secret, step, _) = enrol(api, token).await;
    let off = |password: &str, code: String| {
        api.post("/api/v1/me/mfa/totp/disable", Some(token), json!({"current_password": password, "code": code}))
    };
    assert_eq!(off("nope nope nope", code(&secret, step + 1)).await.status, 400);
    assert_eq!(off(PASSWORD, wrong(&secret)).await.status, 401);
    let done = off(PASSWORD, code(&secret, step + 1)).await;
    assert_eq!(done.status, 204, "{}", done.text);
    assert!(login(api, &email, PASSWORD).await["access_token"].is_string(), "a password alone again");
}

async fn an_admin_enrols_at_sign_in_and_keeps_it(api: &Api) -> String {
    let first = login(api, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        (&first["second_factor_required"], &first["enrolment_required"]),
        (&json!(true), &json!(true)),
        "{first}"
    );
    let challenge = first["challenge"].as_str().unwrap();
    let enrolment = api.post("/api/v1/auth/second-factor/enrol", None, json!({"challenge": challenge})).await;
    assert_eq!(enrolment.status, 200, "{}", enrolment.text);
    let secret = Secret::from_base32(enrolment.body["secret"].as_str().unwrap()).unwrap();
    let step = now_step();
    let signed_in = finish(api, challenge, json!({"code": code(&secret, step)})).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    assert_eq!(signed_in.body["recovery_codes"].as_array().map(Vec::len), Some(10), "{}", signed_in.text);
    let admin = signed_in.body["access_token"].as_str().unwrap().to_owned();
    let off = json!({"current_password": ADMIN_PASSWORD, "code": code(&secret, step + 1)});
    let kept = api.post("/api/v1/me/mfa/totp/disable", Some(&admin), off).await;
    assert_eq!((kept.status, kept.body["code"].as_str()), (403, Some("second_factor_required")), "{}", kept.text);
    let next = login(api, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!((&next["second_factor_required"], &next["enrolment_required"]), (&json!(true), &json!(false)));
    admin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_takes_a_second_factor_for_those_who_have_one() {
    let _one = Fleet::exclusive().await;
    let options = Options {
        no_demo_data: true,
        env: vec![("identity", "SHOP_REQUIRE_ADMIN_MFA", "true".to_owned())],
        ..Options::default()
    };
    let fleet = Fleet::start(options).await;
    let api = &fleet.api;
    let (email, _) = a_customer_signs_in_with_a_code_once(api).await;
    a_customer_turns_it_off(api).await;
    let admin = an_admin_enrols_at_sign_in_and_keeps_it(api).await;
    let told = eventually(Duration::from_secs(30), || async {
        let mailbox = api.get("/api/v1/admin/mailbox", Some(&admin)).await;
        mailbox.body["items"].as_array().is_some_and(|items| {
            items
                .iter()
                .any(|m| m["to"] == email.as_str() && m["subject"].as_str().unwrap_or("").contains("second factor"))
        })
    })
    .await;
    assert!(told, "the customer is told a second factor was turned on");
    fleet.stop(&[]);
}
