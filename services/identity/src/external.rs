//! Signing in with an OpenID Connect provider, as accounts see it. A sign-in begun keeps
//! its nonce and PKCE verifier under its `state` (a one-time token: the callback takes it
//! once) with the hash of a binding the browser holds, so it finishes only in the browser
//! that began it. The identity the provider vouches for (issuer + subject) then signs in
//! to the account it is linked to; a new one makes a customer account — or is linked to
//! the account with the provider's address when the provider *and* the shop both verified
//! that address, never otherwise. A signed-in account links more identities and unlinks
//! them, never its last way to sign in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shop_auth::Role;
use shop_messaging::{kind, new_event};
use shop_proto::events::v1::IdentityLinked;
use time::OffsetDateTime;

use crate::{
    SERVICE,
    accounts::{Accounts, Origin, hash_token, new_secret},
    config::OidcProviderSettings,
    domain::{Email, LinkedIdentity, Name, Profile, User, UserId},
    error::IdentityError,
    oidc::{Identity, OidcClient, ProviderConfig},
    second_factor::SignIn,
    storage::{OneTimeToken, Purpose},
};

/// How long a begun sign-in waits for its callback.
const SIGN_IN_SECS: i64 = 600;
/// The identities one account may have linked.
pub const MAX_IDENTITIES: usize = 10;

/// The configured providers, by the shop's name for each.
pub struct Providers(BTreeMap<String, OidcClient>);

impl Providers {
    pub fn new(settings: &BTreeMap<String, OidcProviderSettings>, public_url: &str) -> anyhow::Result<Self> {
        let clients = settings
            .iter()
            .map(|(name, given)| {
                let config = ProviderConfig::from_settings(name, given, public_url)?;
                Ok((name.clone(), OidcClient::new(config)?))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self(clients))
    }

    pub fn none() -> Self {
        Self(BTreeMap::new())
    }

    pub fn configs(&self) -> impl Iterator<Item = &ProviderConfig> {
        self.0.values().map(|c| &c.config)
    }

    fn get(&self, name: &str) -> Result<&OidcClient, IdentityError> {
        self.0.get(name).ok_or(IdentityError::UnknownProvider)
    }
}

/// What the callback must match, kept with the begun sign-in.
#[derive(Serialize, Deserialize)]
struct Begun {
    provider: String,
    nonce: String,
    verifier: String,
    /// SHA-256 of the browser's binding.
    binding: String,
}

/// A sign-in begun: where the browser goes, and the binding it keeps meanwhile.
pub struct Started {
    pub url: String,
    pub binding: String,
}

/// How a provider's callback ends.
pub enum Finished {
    SignIn(SignIn),
    /// An identity linked to the signed-in account that began it.
    Linked(LinkedIdentity),
}

/// The account a begun sign-in links to: none (nil) for a sign-in.
const NOBODY: UserId = UserId::from_uuid(uuid::Uuid::nil());

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn linked(provider: &str, who: &Identity) -> LinkedIdentity {
    LinkedIdentity {
        id: uuid::Uuid::now_v7().simple().to_string(),
        provider: provider.to_owned(),
        issuer: who.issuer.clone(),
        subject: who.subject.clone(),
        email: who.email.clone(),
        linked_at: OffsetDateTime::now_utc(),
    }
}

impl Accounts {
    /// Begins a sign-in with `provider` — or, with `link_to`, the linking of an identity
    /// there to that account.
    pub async fn start_external(&self, provider: &str, link_to: Option<UserId>) -> Result<Started, IdentityError> {
        let client = self.providers.get(provider)?;
        let started = client.start().await.map_err(|e| {
            tracing::warn!(provider, error = %e, "the sign-in provider cannot be reached");
            IdentityError::ProviderUnavailable
        })?;
        let binding = new_secret();
        let begun = Begun {
            provider: provider.to_owned(),
            nonce: started.nonce,
            verifier: started.verifier,
            binding: hash_token(&binding),
        };
        let token = OneTimeToken {
            hash: hash_token(&started.state),
            purpose: Purpose::ExternalSignIn,
            user_id: link_to.unwrap_or(NOBODY),
            expires_at: now() + SIGN_IN_SECS,
            detail: serde_json::to_string(&begun).map_err(anyhow::Error::from)?,
        };
        self.links.put(&token).await?;
        Ok(Started { url: started.url, binding })
    }

    /// Finishes a begun sign-in with the provider's answer (its state and code) in the
    /// browser holding `binding`. The state works once, whatever the outcome.
    pub async fn finish_external(
        &self,
        provider: &str,
        state: &str,
        code: &str,
        binding: &str,
    ) -> Result<Finished, IdentityError> {
        let refused = |why: &str| {
            tracing::warn!(provider, why, "a provider's sign-in refused");
            IdentityError::ExternalSignInFailed
        };
        let token = self.links.take(&hash_token(state), Purpose::ExternalSignIn, now()).await?;
        let token = token.ok_or_else(|| refused("unknown, used or expired state"))?;
        let begun: Begun = serde_json::from_str(&token.detail).map_err(|_| refused("unreadable sign-in"))?;
        if begun.provider != provider || begun.binding != hash_token(binding) {
            return Err(refused("another provider's or another browser's state"));
        }
        let client = self.providers.get(provider)?;
        let who = client.finish(code, &begun.verifier, &begun.nonce).await.map_err(|e| {
            tracing::warn!(provider, error = %e, "a provider's sign-in refused");
            IdentityError::ExternalSignInFailed
        })?;
        if token.user_id != NOBODY {
            return Ok(Finished::Linked(self.link_identity(token.user_id, provider, &who).await?));
        }
        if let Some(user) = self.users.by_identity(&who.issuer, &who.subject).await? {
            return Ok(Finished::SignIn(self.after_password(user).await?));
        }
        let email = who.email.as_deref().and_then(|e| Email::parse(e).ok()).ok_or(IdentityError::NoEmail)?;
        let user = match self.users.by_email(&email).await? {
            // The address is the same person's only when both sides proved it.
            Some(user) if who.email_verified && user.email_verified => {
                self.link_identity(user.id, provider, &who).await?;
                self.user(user.id).await?
            }
            Some(_) => return Err(IdentityError::AccountExists),
            None => self.sign_up_external(provider, email, &who).await?,
        };
        Ok(Finished::SignIn(self.after_password(user).await?))
    }

    /// A customer account for a new identity: no password; the address proven when the
    /// provider says so, else a link proving it is mailed (with the welcome).
    async fn sign_up_external(&self, provider: &str, email: Email, who: &Identity) -> Result<User, IdentityError> {
        let name = |n: &Option<String>| n.as_deref().and_then(|n| Name::parse(n).ok()).unwrap_or_default();
        let now = OffsetDateTime::now_utc();
        let user = User {
            id: UserId::new(),
            email,
            password_hash: String::new(),
            role: Role::Customer,
            profile: Profile { first_name: name(&who.given_name), last_name: name(&who.family_name), address: None },
            email_verified: who.email_verified,
            mfa: None,
            identities: vec![linked(provider, who)],
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let user = self.store_new(user, Origin::SignUp).await?;
        tracing::info!(user_id = %user.id, provider, "account registered with a provider");
        Ok(user)
    }

    /// Links the provider's identity to account `id` (already linked to it: nothing
    /// changes), telling the account.
    async fn link_identity(&self, id: UserId, provider: &str, who: &Identity) -> Result<LinkedIdentity, IdentityError> {
        let mut user = self.user(id).await?;
        if let Some(known) = user.identities.iter().find(|i| i.issuer == who.issuer && i.subject == who.subject) {
            return Ok(known.clone());
        }
        if user.identities.len() >= MAX_IDENTITIES {
            return Err(IdentityError::TooManyIdentities);
        }
        let identity = linked(provider, who);
        let display_name = self.display_name(provider);
        let told = new_event(
            kind::IDENTITY_LINKED,
            SERVICE,
            &IdentityLinked { user_id: user.id.to_string(), provider: display_name },
        );
        user.identities.push(identity.clone());
        user.version += 1;
        user.updated_at = OffsetDateTime::now_utc();
        self.users.link(&user, &identity, &[told]).await?;
        tracing::info!(user_id = %user.id, provider, "identity linked");
        Ok(identity)
    }

    /// What people read for `provider` (its name when it is no longer configured).
    pub fn display_name(&self, provider: &str) -> String {
        self.providers.get(provider).map_or_else(|_| provider.to_owned(), |c| c.config.display_name.clone())
    }

    /// Unlinks identity `identity` from account `id`, unless it is its last way in.
    pub async fn unlink_identity(&self, id: UserId, identity: &str) -> Result<User, IdentityError> {
        let mut user = self.user(id).await?;
        let at = user.identities.iter().position(|i| i.id == identity).ok_or(IdentityError::IdentityNotFound)?;
        if !user.has_password() && user.identities.len() == 1 {
            return Err(IdentityError::LastSignInMethod);
        }
        let gone = user.identities.remove(at);
        user.version += 1;
        user.updated_at = OffsetDateTime::now_utc();
        self.users.unlink(&user, &gone, &[]).await?;
        tracing::info!(user_id = %user.id, provider = %gone.provider, "identity unlinked");
        Ok(user)
    }
}
