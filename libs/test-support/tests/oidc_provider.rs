//! The tests' OpenID provider, as a client meets it: discovery, the authorization code flow
//! with PKCE signed in without a browser, and an ID token for the account with its email.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use shop_test_support::oidc::OidcProvider;

const REDIRECT: &str = "http://127.0.0.1:9/callback";

#[tokio::test]
async fn an_account_signs_in_without_a_browser_and_gets_an_id_token() {
    let provider = OidcProvider::start(&[REDIRECT]).await;
    let http = shop_test_support::http();
    let discovery: serde_json::Value = http
        .get(format!("{}/.well-known/openid-configuration", provider.issuer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], provider.issuer.as_str());
    let verifier = "a-verifier-of-enough-length-0123456789-abcdefghijk";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let authorize = format!(
        "{}?client_id={}&response_type=code&scope=openid%20email&redirect_uri={}&state=s1&nonce=n1&code_challenge={challenge}&code_challenge_method=S256",
        discovery["authorization_endpoint"].as_str().unwrap(),
        provider.client_id,
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
    );
    let back = provider.sign_in(&authorize, "alice").await;
    assert!(back.url.starts_with(REDIRECT), "{}", back.url);
    assert_eq!(back.param("state").as_deref(), Some("s1"));
    assert_eq!(back.param("iss").as_deref(), Some(provider.issuer.as_str()));
    let code = back.param("code").expect("a code");
    assert_eq!(discovery["token_endpoint"], format!("{}/token", provider.issuer));
    let tokens = provider.token(&code, verifier, REDIRECT).await;
    let id_token = tokens["id_token"].as_str().unwrap_or_else(|| panic!("{tokens}"));
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(id_token.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(
        (&claims["sub"], &claims["nonce"], &claims["aud"]),
        (&"alice".into(), &"n1".into(), &provider.client_id.as_str().into())
    );
    assert_eq!((&claims["email"], &claims["email_verified"]), (&"alice@example.com".into(), &true.into()));
}
