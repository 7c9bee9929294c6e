//! A real OpenID provider for tests (`scripts/oidc-provider`: npm `oidc-provider`, which
//! `scripts/test` installs), and a user signing in at it without a browser: its login and
//! consent pages are plain forms, posted here with the provider's cookies carried along.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use crate::{eventually, free_port};

pub struct OidcProvider {
    child: Child,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    client: reqwest::Client,
}

/// Where a sign-in at the provider ended: the redirect back to the client.
#[derive(Debug, Clone)]
pub struct Redirect {
    /// The whole URL the provider sent the browser to.
    pub url: String,
}

impl Redirect {
    /// A query parameter of the redirect (`code`, `state`, `iss`, `error`).
    pub fn param(&self, name: &str) -> Option<String> {
        let url = url::Url::parse(&self.url).ok()?;
        url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }
}

/// The provider's cookies, as a browser would keep them for it.
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let cookie = value.to_str().unwrap_or_default();
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.0.retain(|(n, _)| n != name);
                if !value.is_empty() {
                    self.0.push((name.trim().to_owned(), value.to_owned()));
                }
            }
        }
    }

    fn header(&self) -> String {
        self.0.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }
}

impl OidcProvider {
    /// Starts a provider on a free loopback port for one client redirecting to `redirects`;
    /// panics (with what to run) when it cannot.
    pub async fn start(redirects: &[&str]) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/oidc-provider");
        let port = free_port();
        let (client_id, client_secret) = ("shop".to_owned(), format!("secret-{}", crate::unique("oidc")));
        let mut command = Command::new("node");
        command.arg(script).args(["--port", &port.to_string(), "--client", &client_id, "--secret", &client_secret]);
        for redirect in redirects {
            command.args(["--redirect", redirect]);
        }
        let child =
            command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap_or_else(|e| {
                panic!("cannot start the OpenID provider ({e}): run scripts/test, which installs it")
            });
        // Installs the TLS provider every client here needs.
        drop(crate::http());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        let provider = Self { child, issuer: format!("http://127.0.0.1:{port}"), client_id, client_secret, client };
        let discovery = format!("{}/.well-known/openid-configuration", provider.issuer);
        let up = eventually(Duration::from_secs(20), || async {
            provider.client.get(&discovery).send().await.is_ok_and(|r| r.status().is_success())
        })
        .await;
        assert!(up, "the OpenID provider did not start (is oidc-provider installed under $SHOP_STATE_DIR/oidc?)");
        provider
    }

    async fn follow(&self, jar: &mut Jar, url: &str, form: Option<&[(&str, &str)]>) -> (u16, Option<String>, String) {
        let request = match form {
            Some(form) => {
                let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
                self.client.post(url).header("content-type", "application/x-www-form-urlencoded").body(body)
            }
            None => self.client.get(url),
        };
        let response = request.header("cookie", jar.header()).send().await.expect("the provider answers");
        jar.keep(&response);
        let status = response.status().as_u16();
        let location = response.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
        (status, location, response.text().await.unwrap_or_default())
    }

    /// The provider's token endpoint's answer for `code` (the client's own credentials).
    pub async fn token(&self, code: &str, verifier: &str, redirect: &str) -> serde_json::Value {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", redirect)
            .append_pair("code_verifier", verifier)
            .finish();
        let answer = self
            .client
            .post(format!("{}/token", self.issuer))
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .expect("the provider answers");
        answer.json().await.expect("a JSON answer")
    }

    /// `account` signs in at the provider from `authorize_url` (the client's redirect to
    /// it) and consents: where the provider sends the browser back.
    pub async fn sign_in(&self, authorize_url: &str, account: &str) -> Redirect {
        let mut jar = Jar::default();
        let mut url = authorize_url.to_owned();
        for _ in 0..12 {
            if !url.starts_with(&self.issuer) {
                return Redirect { url };
            }
            let (status, location, page) = self.follow(&mut jar, &url, None).await;
            if let Some(next) = location {
                url = if next.starts_with('/') { format!("{}{next}", self.issuer) } else { next };
                continue;
            }
            assert_eq!(status, 200, "the provider's page at {url}: {page}");
            // An interaction page: the login form, or the consent form.
            let form: &[(&str, &str)] = if page.contains("name=\"login\"") {
                &[("prompt", "login"), ("login", account), ("password", "any")]
            } else {
                &[("prompt", "consent")]
            };
            let (_, location, page) = self.follow(&mut jar, &url, Some(form)).await;
            let next = location.unwrap_or_else(|| panic!("the provider kept {url}: {page}"));
            url = if next.starts_with('/') { format!("{}{next}", self.issuer) } else { next };
        }
        panic!("the sign-in at the provider did not come back to the client");
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
