//! The web app's session and pages on the all-in-one platform, as a browser meets them: in
//! cookie mode the refresh token is an `HttpOnly; Secure; SameSite=Strict` cookie scoped to
//! the auth routes and never in a body; cookie mode needs its header and the shop's own
//! `Origin`; a replayed cookie is refused and forgotten; sign-out clears it; the JSON mode is
//! unchanged. The app's pages carry a strict CSP, hashed assets are cached for a year, and
//! a product's page names the product in its `<head>` for link previews.

use reqwest::{Method, header::HeaderMap};
use serde_json::json;
use shop_e2e::{Api, Reply, Running};

fn refresh_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("shop_refresh="))
        .map(str::to_owned)
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

async fn in_cookie_mode(
    api: &Api,
    path: &str,
    origin: Option<&str>,
    cookie: Option<&str>,
    body: serde_json::Value,
) -> Reply {
    let mut headers = vec![("x-shop-session", "cookie")];
    if let Some(origin) = origin {
        headers.push(("origin", origin));
    }
    if let Some(cookie) = cookie {
        headers.push(("cookie", cookie));
    }
    api.send_with(Method::POST, path, None, Some(body), &headers).await
}

#[tokio::test]
async fn a_browser_session_keeps_its_refresh_token_out_of_reach_of_scripts() {
    let app = Running::start_with(&shop_e2e::unthrottled()).await;
    let api = &app.api;
    let (email, password, _) = api.register_customer().await;
    let own = api.base.clone();
    let login = json!({"email": email, "password": password});

    for origin in [None, Some("https://evil.example"), Some("http://127.0.0.1:1")] {
        let refused = in_cookie_mode(api, "/api/v1/auth/login", origin, None, login.clone()).await;
        assert_eq!((refused.status, refused.body["code"].as_str()), (403, Some("cross_origin")), "{origin:?}");
    }
    let signed_in = in_cookie_mode(api, "/api/v1/auth/login", Some(&own), None, login.clone()).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    assert!(signed_in.body.get("refresh_token").is_none(), "no refresh token in the body: {}", signed_in.text);
    assert!(signed_in.body["access_token"].is_string());
    let set = refresh_cookie(&signed_in.headers).expect("the refresh cookie");
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/api/v1/auth", "Max-Age=2592000"] {
        assert!(set.contains(flag), "{flag}: {set}");
    }
    let first = cookie_pair(&set);

    // A cross-site form cannot send the header: without it the cookie opens nothing.
    let form = api.send_with(Method::POST, "/api/v1/auth/refresh", None, Some(json!({})), &[("cookie", &first)]).await;
    assert_eq!(form.status, 400, "{}", form.text);

    let refreshed = in_cookie_mode(api, "/api/v1/auth/refresh", Some(&own), Some(&first), json!({})).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    assert!(refreshed.body.get("refresh_token").is_none());
    let second = cookie_pair(&refresh_cookie(&refreshed.headers).expect("a rotated cookie"));
    assert_ne!(first, second, "each refresh rotates the token");
    let me = api.get("/api/v1/me", refreshed.body["access_token"].as_str()).await;
    assert_eq!(me.body["email"], email.as_str());

    // The first cookie again (a stolen copy): refused, forgotten, and the session is over.
    let replayed = in_cookie_mode(api, "/api/v1/auth/refresh", Some(&own), Some(&first), json!({})).await;
    assert_eq!(replayed.status, 401, "{}", replayed.text);
    assert!(refresh_cookie(&replayed.headers).is_some_and(|c| c.contains("Max-Age=0")), "the cookie is cleared");
    let revoked = in_cookie_mode(api, "/api/v1/auth/refresh", Some(&own), Some(&second), json!({})).await;
    assert_eq!(revoked.status, 401, "reuse revoked the whole session: {}", revoked.text);

    // Signing out clears the cookie; its token opens nothing after.
    let again = in_cookie_mode(api, "/api/v1/auth/login", Some(&own), None, login.clone()).await;
    let cookie = cookie_pair(&refresh_cookie(&again.headers).unwrap());
    let token = again.body["access_token"].as_str().unwrap().to_owned();
    let headers = [("x-shop-session", "cookie"), ("origin", own.as_str()), ("cookie", cookie.as_str())];
    let out = api.send_with(Method::POST, "/api/v1/auth/logout", Some(&token), Some(json!({})), &headers).await;
    assert_eq!(out.status, 204, "{}", out.text);
    assert!(refresh_cookie(&out.headers).is_some_and(|c| c.contains("Max-Age=0")));
    let after = in_cookie_mode(api, "/api/v1/auth/refresh", Some(&own), Some(&cookie), json!({})).await;
    assert_eq!(after.status, 401);

    // The JSON mode is as it was.
    let json_mode = api.login(&email, &password).await;
    assert!(json_mode.body["refresh_token"].is_string() && refresh_cookie(&json_mode.headers).is_none());
    app.stop().await;
}

#[tokio::test]
async fn the_app_is_served_with_a_strict_policy_and_pages_that_name_what_they_show() {
    let app = Running::start().await;
    let api = &app.api;
    let home = api.get("/", None).await;
    assert_eq!(home.status, 200, "{}", home.text);
    let csp = home.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(home.text.contains("<div id=\"root\">"), "{}", home.text);
    assert_eq!(home.headers["cache-control"], "no-cache");
    let script = home.text.split("src=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    assert!(script.starts_with("/assets/") && !home.text.contains("<script>"), "no inline script: {}", home.text);
    let asset = api.send_with(Method::GET, &script, None, None, &[("accept-encoding", "gzip")]).await;
    assert_eq!(asset.status, 200);
    assert_eq!(asset.headers["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(asset.headers["content-type"], "text/javascript; charset=utf-8");

    let products = api.get("/api/v1/products?per_page=1", None).await;
    let product = &products.body["items"][0];
    let page = api.get(&format!("/products/{}", product["id"].as_str().unwrap()), None).await;
    let name = product["name"].as_str().unwrap();
    assert!(page.text.contains(&format!("<title>{name} · Shop</title>")), "{}", page.text);
    assert!(page.text.contains(&format!("<meta property=\"og:title\" content=\"{name}\" />")), "{}", page.text);
    let slugged = api.get(&format!("/products/some-words-{}", product["id"].as_str().unwrap()), None).await;
    assert!(slugged.text.contains(&format!("<title>{name} · Shop</title>")), "a slug before the id: {}", slugged.text);
    let category = api.get("/c/footwear", None).await;
    assert!(category.text.contains("<title>Footwear · Shop</title>"), "{}", category.text);
    let unknown = api.get("/products/no-such-product", None).await;
    assert_eq!(unknown.status, 200, "the app shows its own not-found page");
    assert!(unknown.text.contains("<title>Shop</title>"));

    assert_eq!(api.get("/api/v1/no-such-route", None).await.body["code"], "not_found");
    assert_eq!(api.send(Method::POST, "/somewhere", None, None).await.body["code"], "not_found");
    assert_eq!(api.get("/assets/index-0000.js", None).await.status, 404, "an older build's asset");
    app.stop().await;
}
