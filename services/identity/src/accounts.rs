//! What identity does: registration, sign-in, sessions (rotating refresh tokens with reuse
//! detection), profiles and roles.

use std::{sync::Arc, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand_core::RngCore;
use sha2::{Digest, Sha256};
use shop_auth::{Caller, Role};
use shop_messaging::{Envelope, kind, new_event};
use shop_proto::events::v1::{PasswordChanged, UserRegistered, UserRoleChanged};
use shop_service_kit::Paging;
use time::OffsetDateTime;

use crate::{
    SERVICE,
    domain::{Email, NewAccount, Password, Profile, User, UserId},
    error::IdentityError,
    external::Providers,
    hashing::Hasher,
    keys::KeyRing,
    second_factor::{SecondFactors, SignIn},
    storage::{Consumed, OneTimeTokens, RefreshToken, SessionStore, UserStore},
};

/// A signed-in session's tokens.
#[derive(Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Access token lifetime, seconds.
    pub expires_in: u64,
    /// Refresh token lifetime, seconds.
    pub refresh_expires_in: u64,
}

/// Tokens are credentials: `Debug` shows only when the access token expires.
impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens").field("expires_in", &self.expires_in).finish_non_exhaustive()
    }
}

pub struct Accounts {
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub keys: Arc<KeyRing>,
    pub hasher: Hasher,
    pub refresh_ttl: Duration,
    /// The secrets of verification and reset links (hashed).
    pub links: Arc<dyn OneTimeTokens>,
    /// How long a link works: (verification, password reset).
    pub link_ttl: (Duration, Duration),
    pub second_factors: SecondFactors,
    /// The OpenID Connect providers one may sign in with.
    pub providers: Providers,
}

/// How an account comes to be: signed up by its owner (who is sent a welcome mail and a
/// link proving the address), or made by the shop at start-up (the operator vouches for
/// the address: nothing is sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    SignUp,
    Configured,
}

pub(crate) fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Accounts {
    pub async fn register(
        &self,
        account: NewAccount,
        role: Role,
        id: Option<UserId>,
    ) -> Result<(User, Tokens), IdentityError> {
        let user = self.create(account, role, id, Origin::SignUp).await?;
        tracing::info!(user_id = %user.id, role = %user.role, "account registered");
        let tokens = self.start_session(&user).await?;
        Ok((user, tokens))
    }

    /// Stores a new account (no session).
    pub async fn create(
        &self,
        account: NewAccount,
        role: Role,
        id: Option<UserId>,
        origin: Origin,
    ) -> Result<User, IdentityError> {
        if self.users.by_email(&account.email).await?.is_some() {
            return Err(IdentityError::EmailTaken);
        }
        let now = OffsetDateTime::now_utc();
        let user = User {
            id: id.unwrap_or_default(),
            email: account.email,
            password_hash: self.hasher.hash(account.password.expose()).await?,
            role,
            profile: account.profile,
            email_verified: origin == Origin::Configured,
            mfa: None,
            identities: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        self.store_new(user, origin).await
    }

    /// Stores a new account with the event announcing it (and, signed up by its owner with
    /// an unproven address, the welcome link proving it).
    pub(crate) async fn store_new(&self, user: User, origin: Origin) -> Result<User, IdentityError> {
        let mut events = vec![new_event(
            kind::USER_REGISTERED,
            SERVICE,
            &UserRegistered { user_id: user.id.to_string(), email: user.email.as_str().to_owned() },
        )];
        if origin == Origin::SignUp && !user.email_verified {
            events.push(self.new_link(&user, crate::storage::Purpose::VerifyEmail, true).await?);
        }
        self.users.insert(&user, &events).await?;
        tracing::debug!(user_id = %user.id, role = %user.role, "account created");
        Ok(user)
    }

    /// A session for the right password — or, for an account with a second factor, a
    /// challenge to finish with it.
    pub async fn login(&self, email: &str, password: &str) -> Result<SignIn, IdentityError> {
        // A malformed email is just an unknown one: same answer, same time.
        let user = match Email::parse(email) {
            Ok(email) => self.users.by_email(&email).await?,
            Err(_) => None,
        };
        // An account without a password (made by a provider) is checked like an unknown one.
        let hash = user.as_ref().filter(|u| u.has_password()).map(|u| u.password_hash.as_str());
        let matched = self.hasher.verify(password, hash).await?;
        let user = user.filter(|_| matched).ok_or(IdentityError::BadCredentials)?;
        self.after_password(user).await
    }

    pub(crate) async fn start_session(&self, user: &User) -> Result<Tokens, IdentityError> {
        let family = uuid::Uuid::now_v7().simple().to_string();
        self.issue(user, &family).await
    }

    async fn issue(&self, user: &User, family_id: &str) -> Result<Tokens, IdentityError> {
        let (access_token, expires_in) = self.keys.issue(&user.id.to_string(), user.role)?;
        let refresh_token = new_secret();
        let expires_at = OffsetDateTime::now_utc().unix_timestamp()
            + i64::try_from(self.refresh_ttl.as_secs()).unwrap_or(i64::MAX / 2);
        self.sessions
            .add(&RefreshToken {
                hash: hash_token(&refresh_token),
                family_id: family_id.to_owned(),
                user_id: user.id,
                expires_at,
            })
            .await?;
        Ok(Tokens { access_token, refresh_token, expires_in, refresh_expires_in: self.refresh_ttl.as_secs() })
    }

    /// Trades a refresh token for a new pair. A token used twice revokes its whole family:
    /// whoever holds a copy (thief or owner) must sign in again.
    pub async fn refresh(&self, refresh_token: &str) -> Result<(User, Tokens), IdentityError> {
        let token = match self.sessions.consume(&hash_token(refresh_token)).await? {
            Consumed::Fresh(token) => token,
            Consumed::Reused(token) => {
                tracing::warn!(user_id = %token.user_id, family = %token.family_id, "refresh token reused; session revoked");
                self.sessions.revoke_family(&token.family_id).await?;
                return Err(IdentityError::InvalidRefreshToken);
            }
            Consumed::Unknown => return Err(IdentityError::InvalidRefreshToken),
        };
        let expired = token.expires_at <= OffsetDateTime::now_utc().unix_timestamp();
        if expired || self.sessions.is_revoked(&token.family_id).await? {
            return Err(IdentityError::InvalidRefreshToken);
        }
        // The role is read afresh: a role change takes effect with the next token.
        let user = self.users.get(token.user_id).await?.ok_or(IdentityError::InvalidRefreshToken)?;
        let tokens = self.issue(&user, &token.family_id).await?;
        Ok((user, tokens))
    }

    /// Revokes the session of `refresh_token`, if it is the caller's.
    pub async fn logout(&self, caller: &Caller, refresh_token: &str) -> Result<(), IdentityError> {
        let token = self.sessions.find(&hash_token(refresh_token)).await?;
        if let Some(token) = token.filter(|t| t.user_id.to_string() == caller.user_id) {
            self.sessions.revoke_family(&token.family_id).await?;
        }
        Ok(())
    }

    /// A page of every account, for admins.
    pub async fn users(
        &self,
        role: Option<Role>,
        paging: Paging,
    ) -> Result<shop_service_kit::Page<User>, IdentityError> {
        Ok(self.users.list(role, paging).await?)
    }

    /// The public keys tokens are verified with.
    pub fn jwks(&self) -> Vec<shop_proto::identity::v1::Jwk> {
        self.keys.jwks()
    }

    pub async fn user(&self, id: UserId) -> Result<User, IdentityError> {
        self.users.get(id).await?.ok_or(IdentityError::UserNotFound)
    }

    /// Sets the password of `id` to `new` when `current` is its password now. Every
    /// session of the account ends (one opened with the old password does not outlive it)
    /// and a new one starts for the caller.
    pub async fn change_password(
        &self,
        id: UserId,
        current: &str,
        new: Password,
    ) -> Result<(User, Tokens), IdentityError> {
        let mut user = self.user(id).await?;
        if !self.hasher.verify(current, Some(user.password_hash.as_str())).await? {
            return Err(IdentityError::WrongPassword);
        }
        user.password_hash = self.hasher.hash(new.expose()).await?;
        user.updated_at = OffsetDateTime::now_utc();
        user.version += 1;
        let event = new_event(kind::PASSWORD_CHANGED, SERVICE, &PasswordChanged { user_id: user.id.to_string() });
        self.users.update(&user, &[event]).await?;
        self.sessions.revoke_user(user.id).await?;
        tracing::info!(user_id = %user.id, "password changed; every session ended");
        let tokens = self.start_session(&user).await?;
        Ok((user, tokens))
    }

    pub async fn update_profile(&self, id: UserId, change: impl FnOnce(&mut Profile)) -> Result<User, IdentityError> {
        let mut user = self.user(id).await?;
        change(&mut user.profile);
        user.updated_at = OffsetDateTime::now_utc();
        user.version += 1;
        self.users.update(&user, &[]).await?;
        Ok(user)
    }

    pub async fn set_role(&self, id: UserId, role: Role) -> Result<User, IdentityError> {
        let mut user = self.user(id).await?;
        if user.role == role {
            return Ok(user);
        }
        let event: Envelope = new_event(
            kind::USER_ROLE_CHANGED,
            SERVICE,
            &UserRoleChanged {
                user_id: user.id.to_string(),
                old_role: user.role.as_str().to_owned(),
                new_role: role.as_str().to_owned(),
            },
        );
        let was = user.role;
        user.role = role;
        user.updated_at = OffsetDateTime::now_utc();
        user.version += 1;
        self.users.change_role(&user, was, &[event]).await?;
        tracing::info!(user_id = %user.id, from = %was, to = %role, "role changed");
        Ok(user)
    }
}
