//! Identity's own settings, beside the common service settings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shop_platform::settings::Secret;
use shop_service_kit::ServiceSettings;

use crate::SERVICE;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct IdentityExtra {
    /// `SHOP_ADMIN_EMAIL`: an admin account created at start-up if absent (never changed).
    pub admin_email: Option<String>,
    /// `SHOP_ADMIN_PASSWORD`: its password.
    pub admin_password: Option<Secret>,
    /// Lifetime of an access token.
    pub access_token_ttl_secs: u64,
    /// Lifetime of a refresh token (each use rotates it).
    pub refresh_token_ttl_secs: u64,
    /// A new signing key is made when the newest is this old; older keys keep verifying.
    pub signing_key_rotation_days: u64,
    /// Password hashes computed at once (0: one less than the cores, at least one).
    pub password_hash_concurrency: usize,
    /// The services that may obtain service tokens, with their secrets:
    /// `SHOP_SERVICE_CLIENTS__ORDER=<secret>` (two secrets, space-separated, while one is
    /// rotated).
    pub service_clients: BTreeMap<String, Secret>,
    /// `SHOP_SIGNING_KEY_KEK`: the key-encryption key signing keys are sealed with at rest
    /// (at least 32 characters; required with MongoDB).
    pub signing_key_kek: Option<Secret>,
    /// How long an email verification link works.
    pub verification_link_ttl_secs: u64,
    /// How long a password reset link works.
    pub reset_link_ttl_secs: u64,
    /// `SHOP_REQUIRE_ADMIN_MFA`: admins sign in only with a second factor (one without it
    /// enrols at sign-in).
    pub require_admin_mfa: bool,
    /// `SHOP_SIGNING_KEY_KEK_PREVIOUS`: the KEK being rotated out; keys sealed with it are
    /// sealed again with the current one at start.
    pub signing_key_kek_previous: Option<Secret>,
    /// `SHOP_PUBLIC_URL`: where shoppers reach the shop; a provider sends the browser back
    /// to `<public url>/api/v1/auth/oidc/<name>/callback`.
    pub public_url: String,
    /// `SHOP_OIDC__<NAME>__ISSUER`, `…__CLIENT_ID`, `…__CLIENT_SECRET` (and optionally
    /// `…__DISPLAY_NAME`, `…__SCOPES`, `…__RESPONSE_MODE`): the OpenID Connect providers
    /// one may sign in with, by the shop's name for each (lower case).
    pub oidc: BTreeMap<String, OidcProviderSettings>,
}

/// An OpenID Connect provider as configured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OidcProviderSettings {
    /// The issuer (`https://accounts.google.com`); its discovery document is read from
    /// `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// What people read on the button ("Google"); the name capitalised when absent.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Space-separated scopes (`openid email` when absent; `openid` is always asked).
    #[serde(default)]
    pub scopes: Option<String>,
    /// How the provider returns the browser: `query` (a GET, the default) or `form_post`
    /// (a POST; Apple's, when it is asked for the email).
    #[serde(default)]
    pub response_mode: Option<String>,
}

impl Default for IdentityExtra {
    fn default() -> Self {
        Self {
            admin_email: None,
            admin_password: None,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            signing_key_rotation_days: 30,
            password_hash_concurrency: 0,
            service_clients: BTreeMap::new(),
            signing_key_kek: None,
            signing_key_kek_previous: None,
            verification_link_ttl_secs: 24 * 3600,
            reset_link_ttl_secs: 30 * 60,
            require_admin_mfa: false,
            public_url: "http://127.0.0.1:8080".into(),
            oidc: BTreeMap::new(),
        }
    }
}

pub type Settings = ServiceSettings<IdentityExtra>;

pub fn default_settings() -> Settings {
    Settings::defaults(SERVICE, 50051, 9101)
}
