//! Identity's OpenID Connect client against a real provider (npm `oidc-provider`, started
//! on loopback): the sign-in URL carries state, nonce and a PKCE challenge; the code is
//! traded for an ID token whose signature, issuer, audience and nonce are checked; a
//! replayed code, a wrong nonce, another issuer or audience, and a tampered token are
//! refused.

use shop_identity::oidc::{OidcClient, ProviderConfig};
use shop_platform::settings::Secret;
use shop_test_support::oidc::OidcProvider;

const REDIRECT: &str = "http://127.0.0.1:9/api/v1/auth/oidc/test/callback";

fn client(provider: &OidcProvider, issuer: Option<&str>, client_id: Option<&str>) -> OidcClient {
    OidcClient::new(ProviderConfig {
        name: "test".into(),
        issuer: issuer.unwrap_or(&provider.issuer).to_owned(),
        client_id: client_id.unwrap_or(&provider.client_id).to_owned(),
        client_secret: Secret::new(provider.client_secret.clone()),
        redirect_uri: REDIRECT.into(),
        display_name: "Test".into(),
        scopes: "openid email".into(),
        response_mode: "query".into(),
    })
    .unwrap()
}

#[tokio::test]
async fn a_sign_in_at_a_real_provider_is_believed_only_when_every_check_holds() {
    let provider = OidcProvider::start(&[REDIRECT]).await;
    let oidc = client(&provider, None, None);
    let started = oidc.start().await.unwrap();
    assert!(started.url.contains("code_challenge_method=S256") && started.url.contains(&started.state));
    assert!(!started.url.contains(&started.verifier), "the verifier stays with the shop");
    let back = provider.sign_in(&started.url, "alice").await;
    assert_eq!(back.param("state").as_deref(), Some(started.state.as_str()));
    let code = back.param("code").unwrap();
    let who = oidc.finish(&code, &started.verifier, &started.nonce).await.unwrap();
    assert_eq!((who.issuer.as_str(), who.subject.as_str()), (provider.issuer.as_str(), "alice"));
    assert_eq!((who.email.as_deref(), who.email_verified), (Some("alice@example.com"), true));
    assert!(oidc.finish(&code, &started.verifier, &started.nonce).await.is_err(), "a code works once");

    // Bob's address is not verified by the provider.
    let started = oidc.start().await.unwrap();
    let code = provider.sign_in(&started.url, "bob").await.param("code").unwrap();
    let bob = oidc.finish(&code, &started.verifier, &started.nonce).await.unwrap();
    assert_eq!((bob.email.as_deref(), bob.email_verified), (Some("bob@example.com"), false));

    // Another sign-in's nonce, or a wrong verifier: refused.
    let started = oidc.start().await.unwrap();
    let code = provider.sign_in(&started.url, "carol").await.param("code").unwrap();
    assert!(oidc.finish(&code, "not-the-verifier-of-this-sign-in-0123456789", &started.nonce).await.is_err());
    let started = oidc.start().await.unwrap();
    let code = provider.sign_in(&started.url, "carol").await.param("code").unwrap();
    let err = oidc.finish(&code, &started.verifier, "another-nonce").await.unwrap_err();
    assert!(format!("{err:#}").contains("nonce"), "{err:#}");
}

#[tokio::test]
async fn an_id_token_from_another_issuer_or_for_another_client_or_tampered_is_refused() {
    let provider = OidcProvider::start(&[REDIRECT]).await;
    let oidc = client(&provider, None, None);
    // A genuine token, taken as far as the token endpoint.
    let started = oidc.start().await.unwrap();
    let code = provider.sign_in(&started.url, "alice").await.param("code").unwrap();
    let answer = provider.token(&code, &started.verifier, REDIRECT).await;
    let token = answer["id_token"].as_str().unwrap().to_owned();
    assert!(oidc.verify(&token, &started.nonce).await.is_ok(), "the genuine token holds");
    let other_client = client(&provider, None, Some("another-client"));
    assert!(other_client.verify(&token, &started.nonce).await.is_err(), "for another client");
    let other_issuer = client(&provider, Some(&format!("{}/other", provider.issuer)), None);
    assert!(other_issuer.verify(&token, &started.nonce).await.is_err(), "from another issuer");
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mid = parts[1].len() / 2;
    let flipped = if &parts[1][mid..=mid] == "A" { "B" } else { "A" };
    parts[1].replace_range(mid..=mid, flipped);
    assert!(oidc.verify(&parts.join("."), &started.nonce).await.is_err(), "tampered");
    let unsigned = format!("{}.{}.", "eyJhbGciOiJub25lIn0", token.split('.').nth(1).unwrap());
    assert!(oidc.verify(&unsigned, &started.nonce).await.is_err(), "alg none");
}
