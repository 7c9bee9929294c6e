//! Signing in with an OpenID Connect provider: the authorization code flow with PKCE, a
//! `state` and a `nonce`, as the shop's side of it — the provider's discovery document and
//! keys fetched and kept a while, the URL to send the browser to, and the code traded for an
//! ID token whose signature (RS256, ES256 or EdDSA only), issuer, audience, expiry and
//! nonce are checked before anything in it is believed.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shop_platform::{lock, settings::Secret};

use crate::{accounts::new_secret, config::OidcProviderSettings};

/// How long a provider's discovery document and keys are reused (a key not among them is
/// fetched again at once: providers rotate keys).
const KEPT_FOR: Duration = Duration::from_secs(3600);
/// The signatures an ID token may carry.
const ALGORITHMS: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

/// A provider as the shop is configured for it.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The shop's name for it (`google`), in its routes.
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Where the provider sends the browser back (the gateway's callback route).
    pub redirect_uri: String,
    /// What people read ("Google").
    pub display_name: String,
    /// The scopes asked for (`openid` among them).
    pub scopes: String,
    /// `query`, or `form_post` (the callback is a POST).
    pub response_mode: String,
}

impl ProviderConfig {
    /// A provider from its settings, checked: a name fit for a path, an HTTPS issuer (HTTP
    /// only on loopback), a client id and secret, a known response mode.
    pub fn from_settings(name: &str, given: &OidcProviderSettings, public_url: &str) -> anyhow::Result<Self> {
        let fit = !name.is_empty()
            && name.len() <= 32
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        anyhow::ensure!(fit, "SHOP_OIDC: provider name {name:?} must be 1-32 of a-z, 0-9, -");
        let issuer = url::Url::parse(&given.issuer)
            .map_err(|e| anyhow::anyhow!("SHOP_OIDC__{name}__ISSUER: {e}", name = name.to_uppercase()))?;
        let loopback = issuer
            .host_str()
            .is_some_and(|h| h == "localhost" || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()));
        anyhow::ensure!(
            issuer.scheme() == "https" || (issuer.scheme() == "http" && loopback),
            "SHOP_OIDC__{}__ISSUER must be an https URL",
            name.to_uppercase()
        );
        anyhow::ensure!(
            !given.client_id.is_empty() && !given.client_secret.expose().is_empty(),
            "SHOP_OIDC__{0}__CLIENT_ID and SHOP_OIDC__{0}__CLIENT_SECRET must be set",
            name.to_uppercase()
        );
        let response_mode = given.response_mode.clone().unwrap_or_else(|| "query".into());
        anyhow::ensure!(
            matches!(response_mode.as_str(), "query" | "form_post"),
            "SHOP_OIDC__{}__RESPONSE_MODE must be query or form_post",
            name.to_uppercase()
        );
        let mut scopes: Vec<&str> = given.scopes.as_deref().unwrap_or("openid email").split_whitespace().collect();
        if !scopes.contains(&"openid") {
            scopes.insert(0, "openid");
        }
        let display_name = given.display_name.clone().unwrap_or_else(|| {
            let mut chars = name.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        });
        Ok(Self {
            name: name.to_owned(),
            issuer: given.issuer.clone(),
            client_id: given.client_id.clone(),
            client_secret: given.client_secret.clone(),
            redirect_uri: format!("{}/api/v1/auth/oidc/{name}/callback", public_url.trim_end_matches('/')),
            display_name,
            scopes: scopes.join(" "),
            response_mode,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// A sign-in begun: where to send the browser, and what the callback must match.
#[derive(Debug, Clone)]
pub struct Started {
    pub url: String,
    pub state: String,
    pub nonce: String,
    /// The PKCE verifier (its S256 challenge went in the URL).
    pub verifier: String,
}

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct IdClaims {
    iss: String,
    sub: String,
    nonce: Option<String>,
    email: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

pub struct OidcClient {
    pub config: ProviderConfig,
    http: reqwest::Client,
    discovery: Mutex<Option<(Instant, Discovery)>>,
    keys: Mutex<Option<(Instant, JwkSet)>>,
}

impl OidcClient {
    pub fn new(config: ProviderConfig) -> anyhow::Result<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { config, http, discovery: Mutex::new(None), keys: Mutex::new(None) })
    }

    async fn discovery(&self) -> anyhow::Result<Discovery> {
        if let Some((_, found)) = lock(&self.discovery).as_ref().filter(|(at, _)| at.elapsed() < KEPT_FOR) {
            return Ok(found.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.config.issuer.trim_end_matches('/'));
        let found: Discovery = self.http.get(&url).send().await?.error_for_status()?.json().await?;
        // The document must be the configured issuer's own.
        anyhow::ensure!(found.issuer == self.config.issuer, "discovery names issuer {}", found.issuer);
        *lock(&self.discovery) = Some((Instant::now(), found.clone()));
        Ok(found)
    }

    async fn keys(&self, kid: Option<&str>) -> anyhow::Result<JwkSet> {
        let kept = lock(&self.keys).as_ref().filter(|(at, _)| at.elapsed() < KEPT_FOR).map(|(_, k)| k.clone());
        if let Some(keys) = kept.filter(|k| kid.is_none_or(|kid| k.find(kid).is_some())) {
            return Ok(keys);
        }
        let uri = self.discovery().await?.jwks_uri;
        let keys: JwkSet = self.http.get(&uri).send().await?.error_for_status()?.json().await?;
        *lock(&self.keys) = Some((Instant::now(), keys.clone()));
        Ok(keys)
    }

    /// A new sign-in: the provider's URL with a fresh state, nonce and PKCE challenge.
    pub async fn start(&self) -> anyhow::Result<Started> {
        let discovery = self.discovery().await?;
        let (state, nonce, verifier) = (new_secret(), new_secret(), new_secret());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("client_id", &self.config.client_id)
            .append_pair("response_type", "code")
            .append_pair("scope", &self.config.scopes)
            .append_pair("redirect_uri", &self.config.redirect_uri)
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if self.config.response_mode != "query" {
            query.append_pair("response_mode", &self.config.response_mode);
        }
        let joint = if discovery.authorization_endpoint.contains('?') { '&' } else { '?' };
        let url = format!("{}{joint}{}", discovery.authorization_endpoint, query.finish());
        Ok(Started { url, state, nonce, verifier })
    }

    /// Trades the callback's code for the ID token, and checks it: who signed in.
    pub async fn finish(&self, code: &str, verifier: &str, nonce: &str) -> anyhow::Result<Identity> {
        let discovery = self.discovery().await?;
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", &self.config.redirect_uri)
            .append_pair("code_verifier", verifier)
            .finish();
        let answer = self
            .http
            .post(&discovery.token_endpoint)
            .basic_auth(&self.config.client_id, Some(self.config.client_secret.expose()))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await?;
        anyhow::ensure!(answer.status().is_success(), "the provider refused the code: {}", answer.status());
        let answer: TokenAnswer = answer.json().await?;
        let id_token = answer.id_token.ok_or_else(|| anyhow::anyhow!("no ID token in the provider's answer"))?;
        self.verify(&id_token, nonce).await
    }

    /// Checks an ID token: signed by one of the provider's keys with an allowed algorithm,
    /// for this client, from this issuer, not expired, with this sign-in's nonce.
    pub async fn verify(&self, id_token: &str, nonce: &str) -> anyhow::Result<Identity> {
        let header = jsonwebtoken::decode_header(id_token)?;
        anyhow::ensure!(ALGORITHMS.contains(&header.alg), "an ID token signed with {:?}", header.alg);
        let keys = self.keys(header.kid.as_deref()).await?;
        let jwk = match header.kid.as_deref() {
            Some(kid) => keys.find(kid),
            None => keys.keys.first(),
        }
        .ok_or_else(|| anyhow::anyhow!("no key of the provider's signed the ID token"))?;
        let key = DecodingKey::from_jwk(jwk)?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<IdClaims>(id_token, &key, &validation)?.claims;
        anyhow::ensure!(claims.nonce.as_deref() == Some(nonce), "the ID token's nonce is not this sign-in's");
        let email_verified = match claims.email_verified {
            Some(serde_json::Value::Bool(v)) => v,
            // Some providers send it as a string.
            Some(serde_json::Value::String(v)) => v == "true",
            _ => false,
        };
        // A subject is at most 255 ASCII characters (OpenID Connect Core 2).
        anyhow::ensure!(!claims.sub.is_empty() && claims.sub.len() <= 255, "an ID token without a fit subject");
        Ok(Identity {
            issuer: claims.iss,
            subject: claims.sub,
            email: claims.email,
            email_verified,
            given_name: claims.given_name,
            family_name: claims.family_name,
        })
    }
}
