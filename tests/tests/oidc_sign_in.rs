//! Signing in with an OpenID Connect provider through the gateway, in the fleet, against
//! two real providers (npm `oidc-provider` on loopback): start → the provider's login and
//! consent → callback → the platform's session; a second sign-in finds the same account;
//! an address is linked to an existing account only when both the provider and the shop
//! verified it; a tampered state, a callback in another browser, a replayed code, a code
//! of another sign-in (its nonce and verifier not this one's) or of another provider are
//! refused; a signed-in account links several identities (told by mail) and unlinks them,
//! never its last way to sign in.

use std::time::Duration;

use serde_json::{Value, json};
use shop_e2e::{
    Api, Reply,
    fleet::{Fleet, Options},
};
use shop_test_support::{eventually, oidc::OidcProvider, unique};

const PUBLIC: &str = "https://shop.fleet.test";

fn redirect(provider: &str) -> String {
    format!("{PUBLIC}/api/v1/auth/oidc/{provider}/callback")
}

/// A browser at the shop: the binding cookie it was given, if any.
struct Browser<'a> {
    api: &'a Api,
    raw: reqwest::Client,
}

/// A sign-in begun at the shop: the provider's URL and the browser's binding cookie.
struct Begun {
    url: String,
    cookie: String,
}

fn binding_of(reply_headers: &reqwest::header::HeaderMap) -> String {
    let set = reply_headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("shop_oidc="))
        .expect("a binding cookie")
        .to_owned();
    for flag in ["HttpOnly", "Secure", "SameSite=None", "Path=/api/v1/auth/oidc", "Max-Age=600"] {
        assert!(set.contains(flag), "the binding cookie is {flag}: {set}");
    }
    set.split(';').next().unwrap().to_owned()
}

impl<'a> Browser<'a> {
    fn new(api: &'a Api) -> Self {
        let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { api, raw }
    }

    async fn start(&self, provider: &str) -> Begun {
        let started =
            self.raw.get(format!("{}/api/v1/auth/oidc/{provider}/start", self.api.base)).send().await.unwrap();
        assert_eq!(started.status(), 302);
        let url = started.headers()["location"].to_str().unwrap().to_owned();
        Begun { cookie: binding_of(started.headers()), url }
    }

    /// The provider's redirect back, followed at the gateway with `cookie`.
    async fn callback(&self, back: &str, cookie: &str) -> Reply {
        let path = back.strip_prefix(PUBLIC).expect("the provider returns to the shop");
        // As a browser sends it, without following where it leads.
        let sent = self.raw.get(format!("{}{path}", self.api.base)).header("cookie", cookie).send().await.unwrap();
        let (status, headers) = (sent.status().as_u16(), sent.headers().clone());
        let text = sent.text().await.unwrap_or_default();
        let reply = Reply { status, headers, body: serde_json::from_str(&text).unwrap_or(Value::Null), text };
        let cleared = reply.headers.get_all("set-cookie").iter().any(|v| v.to_str().unwrap().contains("Max-Age=0"));
        assert!(cleared, "the callback clears the binding: {:?}", reply.headers);
        reply
    }
}

/// `account` signs in at `provider` from a fresh start: the gateway's answer.
async fn sign_in(browser: &Browser<'_>, idp: &OidcProvider, provider: &str, account: &str) -> Reply {
    let begun = browser.start(provider).await;
    let back = idp.sign_in(&begun.url, account).await;
    browser.callback(&back.url, &begun.cookie).await
}

fn refused(reply: &Reply, status: u16, code: &str) {
    assert_eq!((reply.status, reply.body["code"].as_str()), (status, Some(code)), "{}", reply.text);
}

fn session(reply: &Reply) -> (String, String) {
    assert_eq!(reply.status, 200, "{}", reply.text);
    let token = reply.body["access_token"].as_str().expect("a session").to_owned();
    (token, reply.body["user"]["id"].as_str().unwrap().to_owned())
}

async fn register(api: &Api, email: &str) {
    let body = json!({"email": email, "password": "a long enough passphrase"});
    let made = api.post("/api/v1/auth/register", None, body).await;
    assert_eq!(made.status, 201, "{}", made.text);
}

/// Proves `email`'s address with the link its welcome mail carries.
async fn prove(api: &Api, admin: &str, email: &str) {
    let welcome = || async {
        let mailbox = api.get("/api/v1/admin/mailbox", Some(admin)).await;
        let items = mailbox.body["items"].as_array().cloned().unwrap_or_default();
        items.into_iter().find(|m| m["to"] == email && m["text"].as_str().is_some_and(|t| t.contains("token=")))
    };
    assert!(eventually(Duration::from_secs(20), || async { welcome().await.is_some() }).await, "mailed {email}");
    let text = welcome().await.unwrap()["text"].as_str().unwrap().to_owned();
    let token = text.split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    let proved = api.post("/api/v1/auth/verify-email", None, json!({"token": token})).await;
    assert_eq!(proved.status, 200, "{}", proved.text);
}

async fn mailed(api: &Api, admin: &str, email: &str, subject: &str) -> bool {
    eventually(Duration::from_secs(20), || async {
        let mailbox = api.get("/api/v1/admin/mailbox", Some(admin)).await;
        mailbox.body["items"].as_array().is_some_and(|items| {
            items.iter().any(|m| m["to"] == email && m["subject"].as_str().unwrap_or("").contains(subject))
        })
    })
    .await
}

#[tokio::test]
async fn a_provider_signs_in_links_and_refuses_what_it_must() {
    let _one = Fleet::exclusive().await;
    let alpha = OidcProvider::start(&[&redirect("alpha")]).await;
    let beta = OidcProvider::start(&[&redirect("beta")]).await;
    let options = Options {
        env: vec![
            ("identity", "SHOP_PUBLIC_URL", PUBLIC.to_owned()),
            ("identity", "SHOP_OIDC__ALPHA__ISSUER", alpha.issuer.clone()),
            ("identity", "SHOP_OIDC__ALPHA__CLIENT_ID", alpha.client_id.clone()),
            ("identity", "SHOP_OIDC__ALPHA__CLIENT_SECRET", alpha.client_secret.clone()),
            ("identity", "SHOP_OIDC__ALPHA__DISPLAY_NAME", "Alpha ID".to_owned()),
            ("identity", "SHOP_OIDC__BETA__ISSUER", beta.issuer.clone()),
            ("identity", "SHOP_OIDC__BETA__CLIENT_ID", beta.client_id.clone()),
            ("identity", "SHOP_OIDC__BETA__CLIENT_SECRET", beta.client_secret.clone()),
        ],
        ..Options::default()
    };
    let fleet = Fleet::start(options).await;
    let (api, admin) = (&fleet.api, fleet.admin().await);
    let browser = Browser::new(api);

    let listed = api.get("/api/v1/auth/providers", None).await;
    assert_eq!(
        listed.body["providers"],
        json!([
            {"name": "alpha", "display_name": "Alpha ID", "start_url": "/api/v1/auth/oidc/alpha/start"},
            {"name": "beta", "display_name": "Beta", "start_url": "/api/v1/auth/oidc/beta/start"},
        ]),
        "{}",
        listed.text
    );
    refused(&api.get("/api/v1/auth/oidc/gamma/start", None).await, 404, "not_found");

    // The provider's accounts, by login: each an address of this run's, verified by the
    // provider unless the login says `unverified.`.
    let alice = format!("{}@example.com", unique("alice"));
    let carol = format!("{}@example.com", unique("carol"));
    let bob = format!("{}@example.com", unique("bob"));
    let unverified_bob = format!("unverified.{bob}");

    // A new identity makes a customer account, its address proven by the provider; the
    // next sign-in finds the same account. No password opens it.
    let begun = browser.start("alpha").await;
    assert!(begun.url.starts_with(&alpha.issuer) && begun.url.contains("code_challenge_method=S256"), "{}", begun.url);
    let back = alpha.sign_in(&begun.url, &alice).await;
    let first = browser.callback(&back.url, &begun.cookie).await;
    let (token, alice_id) = session(&first);
    assert!(first.body["refresh_token"].is_string(), "the same tokens as a password sign-in");
    let me = api.get("/api/v1/me", Some(&token)).await;
    assert_eq!((me.body["email"].as_str(), me.body["email_verified"].as_bool()), (Some(alice.as_str()), Some(true)));
    assert_eq!(me.body["role"], "customer");
    // The code and state served once: the same callback again is refused.
    refused(&browser.callback(&back.url, &begun.cookie).await, 401, "sign_in_failed");
    assert_eq!(session(&sign_in(&browser, &alpha, "alpha", &alice).await).1, alice_id, "the same account");
    refused(&api.login(&alice, "").await, 401, "invalid_credentials");
    refused(&api.login(&alice, "a long enough passphrase").await, 401, "invalid_credentials");
    let mine = api.get("/api/v1/me/identities", Some(&token)).await;
    assert_eq!(mine.body["password_set"], false, "{}", mine.text);
    let only = mine.body["identities"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(mine.body["identities"][0]["provider"], "alpha");
    let last = api.send(reqwest::Method::DELETE, &format!("/api/v1/me/identities/{only}"), Some(&token), None).await;
    refused(&last, 409, "last_sign_in_method");

    // An address the shop has not proven is not taken over, even when the provider proved
    // it; nor one the provider has not proven, when the shop has. Proven on both sides, the
    // identity is linked to the account, which is told.
    register(api, &carol).await;
    refused(&sign_in(&browser, &alpha, "alpha", &carol).await, 409, "account_exists");
    register(api, &bob).await;
    prove(api, &admin, &bob).await;
    refused(&sign_in(&browser, &alpha, "alpha", &unverified_bob).await, 409, "account_exists");
    let bobs = api.login(&bob, "a long enough passphrase").await;
    assert_eq!(
        api.get("/api/v1/me/identities", bobs.body["access_token"].as_str()).await.body["identities"],
        json!([])
    );
    prove(api, &admin, &carol).await;
    let carols_session = api.login(&carol, "a long enough passphrase").await;
    let (carol_token, carol_id) = session(&carols_session);
    assert_eq!(session(&sign_in(&browser, &alpha, "alpha", &carol).await).1, carol_id, "both proved it: linked");
    assert!(mailed(api, &admin, &carol, "Sign in with Alpha ID").await, "the account is told");
    let carols = api.get("/api/v1/me/identities", Some(&carol_token)).await;
    assert_eq!(
        (carols.body["password_set"].as_bool(), carols.body["identities"][0]["email"].as_str()),
        (Some(true), Some(carol.as_str()))
    );

    // Tampered state; the right state in another browser (no binding, or another's); a code
    // of another sign-in; a code of the other provider: refused, and none signs anyone in.
    let begun = browser.start("alpha").await;
    let back = alpha.sign_in(&begun.url, &alice).await;
    let state = back.param("state").unwrap();
    let tampered = back.url.replace(&state, &format!("{}x", &state[..state.len() - 1]));
    refused(&browser.callback(&tampered, &begun.cookie).await, 401, "sign_in_failed");
    let other = browser.start("alpha").await;
    refused(&browser.callback(&back.url, &other.cookie).await, 401, "sign_in_failed");
    refused(&browser.callback(&back.url, &begun.cookie).await, 401, "sign_in_failed"); // its state is spent

    let first = browser.start("alpha").await;
    let second = browser.start("alpha").await;
    let code_of_first = alpha.sign_in(&first.url, &alice).await.param("code").unwrap();
    let back = alpha.sign_in(&second.url, &alice).await;
    let swapped = back.url.replace(&back.param("code").unwrap(), &code_of_first);
    refused(&browser.callback(&swapped, &second.cookie).await, 401, "sign_in_failed");

    let at_alpha = browser.start("alpha").await;
    let at_beta = browser.start("beta").await;
    let beta_code = beta.sign_in(&at_beta.url, &alice).await.param("code").unwrap();
    let back = alpha.sign_in(&at_alpha.url, &alice).await;
    let mixed = back.url.replace(&back.param("code").unwrap(), &beta_code);
    refused(&browser.callback(&mixed, &at_alpha.cookie).await, 401, "sign_in_failed");
    let misrouted = back.url.replace("/oidc/alpha/", "/oidc/beta/");
    refused(&browser.callback(&misrouted, &at_alpha.cookie).await, 401, "sign_in_failed");

    let denied =
        browser.callback(&format!("{PUBLIC}/api/v1/auth/oidc/alpha/callback?error=access_denied&state=x"), "").await;
    refused(&denied, 401, "provider_refused");

    links_and_unlinks(api, &admin, &browser, &alpha, &beta).await;
    the_web_app_signs_in_with_a_cookie(api, &browser, &alpha, &alice).await;
}

/// A sign-in the web app begins (`mode=cookie`): the callback sets the session cookie and
/// sends the browser back into the app, or to its sign-in page with the error's code; it
/// never sends the browser to another site.
async fn the_web_app_signs_in_with_a_cookie(api: &Api, browser: &Browser<'_>, alpha: &OidcProvider, alice: &str) {
    let start = |query: &'static str| async move {
        let url = format!("{}/api/v1/auth/oidc/alpha/start?{query}", api.base);
        browser.raw.get(url).send().await.unwrap()
    };
    for evil in ["mode=cookie&return_to=//evil.example/", "mode=cookie&return_to=https://evil.example/", "mode=sms"] {
        assert_eq!(start(evil).await.status(), 400, "{evil}");
    }
    let begun = start("mode=cookie&return_to=/account/orders").await;
    let cookies: Vec<String> =
        begun.headers().get_all("set-cookie").iter().map(|v| cookie_of(v.to_str().unwrap())).collect();
    assert_eq!(cookies.len(), 2, "the binding and the way back: {cookies:?}");
    let url = begun.headers()["location"].to_str().unwrap().to_owned();
    let back = alpha.sign_in(&url, alice).await;
    let callback = browser.callback(&back.url, &cookies.join("; ")).await;
    assert_eq!(callback.status, 303, "{}", callback.text);
    assert_eq!(callback.headers["location"], "/account/orders");
    let session = callback
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("shop_refresh="));
    let session = session.expect("the session's cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"), "{session}");
    // The same callback again: back to the app's sign-in page, with the reason.
    let again = browser.callback(&back.url, &cookies.join("; ")).await;
    assert_eq!((again.status, again.headers["location"].to_str().unwrap()), (303, "/sign-in?error=sign_in_failed"));
}

fn cookie_of(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

/// A signed-in account links identities at both providers and signs in with either; one
/// linked to it cannot be linked to another; unlinked, it no longer signs in there.
async fn links_and_unlinks<'a>(
    api: &'a Api,
    admin: &str,
    browser: &'a Browser<'a>,
    alpha: &'a OidcProvider,
    beta: &'a OidcProvider,
) {
    let (email, _, session_body) = api.register_customer().await;
    let token = session_body["access_token"].as_str().unwrap().to_owned();
    let me = session_body["user"]["id"].as_str().unwrap().to_owned();
    let erin = format!("unverified.{}@example.com", unique("erin"));
    let erin = erin.as_str();
    let link = |provider: &'static str, account: String, token: String| async move {
        let begun = browser
            .raw
            .post(format!("{}/api/v1/me/identities/{provider}", api.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(begun.status(), 200);
        let cookie = binding_of(begun.headers());
        let body: Value = begun.json().await.unwrap();
        let idp = if provider == "alpha" { alpha } else { beta };
        let back = idp.sign_in(body["authorization_url"].as_str().unwrap(), &account).await;
        browser.callback(&back.url, &cookie).await
    };
    let linked = link("alpha", erin.to_owned(), token.clone()).await;
    assert_eq!((linked.status, linked.body["linked"]["provider"].as_str()), (200, Some("alpha")), "{}", linked.text);
    assert_eq!(link("beta", erin.to_owned(), token.clone()).await.status, 200, "several identities");
    assert!(mailed(api, admin, &email, "Sign in with Beta").await, "the account is told of each");
    assert_eq!(session(&sign_in(browser, alpha, "alpha", erin).await).1, me);
    assert_eq!(session(&sign_in(browser, beta, "beta", erin).await).1, me);

    let (_, _, someone) = api.register_customer().await;
    let theirs = link("alpha", erin.to_owned(), someone["access_token"].as_str().unwrap().to_owned()).await;
    refused(&theirs, 409, "identity_taken");

    let mine = api.get("/api/v1/me/identities", Some(&token)).await;
    assert_eq!(
        (mine.body["password_set"].as_bool(), mine.body["identities"].as_array().map(Vec::len)),
        (Some(true), Some(2))
    );
    let at_alpha = mine.body["identities"].as_array().unwrap().iter().find(|i| i["provider"] == "alpha").unwrap();
    let path = format!("/api/v1/me/identities/{}", at_alpha["id"].as_str().unwrap());
    let left = api.send(reqwest::Method::DELETE, &path, Some(&token), None).await;
    assert_eq!((left.status, left.body["identities"].as_array().map(Vec::len)), (200, Some(1)), "{}", left.text);
    refused(&api.send(reqwest::Method::DELETE, &path, Some(&token), None).await, 404, "not_found");
    // erin at alpha is nobody's now: signing in makes a new account (its address is erin's).
    let anew = sign_in(browser, alpha, "alpha", erin).await;
    assert_ne!(session(&anew).1, me);
}
