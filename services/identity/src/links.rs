//! The flows that go through a link mailed to the account: proving its address, and
//! setting a forgotten password. A link's secret is a one-time token: identity keeps its
//! hash, the link travels to the notification service in the event that asks for the mail
//! (published through the outbox, with the account's change when there is one).

use std::time::Duration;

use shop_messaging::{Envelope, kind, new_event};
use shop_proto::events::v1::{EmailLink, PasswordChanged};
use time::OffsetDateTime;

use shop_service_kit::Refusal;

use crate::{
    SERVICE,
    accounts::{Accounts, hash_token, new_secret},
    domain::{Email, Password, User, UserId},
    error::IdentityError,
    storage::{OneTimeToken, Purpose},
};

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn seconds(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2)
}

impl Accounts {
    /// A new link of `purpose` for `user`, replacing the unused ones sent before: its
    /// token is stored hashed and the event that has it mailed is returned, to be published
    /// with the change that made it.
    pub(crate) async fn new_link(
        &self,
        user: &User,
        purpose: Purpose,
        welcome: bool,
    ) -> Result<Envelope, IdentityError> {
        self.new_link_about(user, purpose, welcome, "").await
    }

    /// [`Accounts::new_link`] with the link's `detail` (the new address of an email change).
    async fn new_link_about(
        &self,
        user: &User,
        purpose: Purpose,
        welcome: bool,
        detail: &str,
    ) -> Result<Envelope, IdentityError> {
        let (verify, reset) = self.link_ttl;
        let (ttl, event_kind) = match purpose {
            Purpose::VerifyEmail => (verify, kind::VERIFICATION_REQUESTED),
            Purpose::ResetPassword => (reset, kind::PASSWORD_RESET_REQUESTED),
            Purpose::ChangeEmail => (verify, kind::EMAIL_CHANGE_REQUESTED),
            Purpose::SecondFactor | Purpose::ExternalSignIn => {
                return Err(anyhow::anyhow!("a sign-in challenge is not mailed").into());
            }
        };
        let token = new_secret();
        let expires_at = now() + seconds(ttl);
        self.links.forget(user.id, purpose).await?;
        let detail = detail.to_owned();
        let stored =
            OneTimeToken { hash: hash_token(&token), purpose, user_id: user.id, expires_at, detail: detail.clone() };
        self.links.put(&stored).await?;
        let link = EmailLink { user_id: user.id.to_string(), token, expires_at, welcome, new_email: detail };
        Ok(new_event(event_kind, SERVICE, &link))
    }

    /// Publishes `events` for `user` through the outbox (its record unchanged but for its
    /// version).
    async fn announce(&self, mut user: User, events: &[Envelope]) -> Result<(), IdentityError> {
        user.version += 1;
        self.users.update(&user, events).await?;
        Ok(())
    }

    /// Sends the account a new verification link; `false` when its address is proven
    /// already (nothing is sent).
    pub async fn request_verification(&self, id: UserId) -> Result<bool, IdentityError> {
        let user = self.user(id).await?;
        if user.email_verified {
            return Ok(false);
        }
        let event = self.new_link(&user, Purpose::VerifyEmail, false).await?;
        self.announce(user, &[event]).await?;
        Ok(true)
    }

    /// Proves the address of the account whose verification link holds `token`.
    pub async fn verify_email(&self, token: &str) -> Result<User, IdentityError> {
        let taken = self.links.take(&hash_token(token), Purpose::VerifyEmail, now()).await?;
        let mut user = self.user(taken.ok_or(IdentityError::InvalidLink)?.user_id).await?;
        if !user.email_verified {
            user.email_verified = true;
            user.updated_at = OffsetDateTime::now_utc();
            user.version += 1;
            self.users.update(&user, &[]).await?;
            tracing::info!(user_id = %user.id, "email address verified");
        }
        Ok(user)
    }

    /// Sends a reset link to the account with this email, if there is one. The caller
    /// learns nothing either way (see `grpc.rs`: this runs after the answer is sent).
    pub async fn request_password_reset(&self, email: &str) -> Result<(), IdentityError> {
        let Ok(email) = Email::parse(email) else { return Ok(()) };
        let Some(user) = self.users.by_email(&email).await? else { return Ok(()) };
        let event = self.new_link(&user, Purpose::ResetPassword, false).await?;
        self.announce(user, &[event]).await?;
        Ok(())
    }

    /// Sets the password of the account whose reset link holds `token`: every session of
    /// the account ends, every other reset link stops working, and the account is told.
    pub async fn reset_password(&self, token: &str, new: Password) -> Result<(), IdentityError> {
        let taken = self.links.take(&hash_token(token), Purpose::ResetPassword, now()).await?;
        let mut user = self.user(taken.ok_or(IdentityError::InvalidLink)?.user_id).await?;
        user.password_hash = self.hasher.hash(new.expose()).await?;
        // Following the link proved the address too.
        user.email_verified = true;
        user.updated_at = OffsetDateTime::now_utc();
        user.version += 1;
        let event = new_event(kind::PASSWORD_CHANGED, SERVICE, &PasswordChanged { user_id: user.id.to_string() });
        self.users.update(&user, &[event]).await?;
        self.links.forget(user.id, Purpose::ResetPassword).await?;
        self.sessions.revoke_user(user.id).await?;
        tracing::info!(user_id = %user.id, "password reset; every session ended");
        Ok(())
    }

    /// Mails a link confirming `new` to that address (and a notice to the current one),
    /// once the caller's password is given. The address changes when the link is followed.
    pub async fn request_email_change(&self, id: UserId, current: &str, new: Email) -> Result<(), IdentityError> {
        let user = self.user(id).await?;
        if !self.hasher.verify(current, Some(user.password_hash.as_str())).await? {
            return Err(IdentityError::WrongPassword);
        }
        if new == user.email {
            return Err(Refusal::invalid("new_email", "is the account's address already").into());
        }
        if self.users.by_email(&new).await?.is_some() {
            return Err(IdentityError::EmailTaken);
        }
        let event = self.new_link_about(&user, Purpose::ChangeEmail, false, new.as_str()).await?;
        self.announce(user, &[event]).await
    }

    /// Moves the account whose confirmation link holds `token` to the address it confirms.
    pub async fn confirm_email_change(&self, token: &str) -> Result<User, IdentityError> {
        let taken = self.links.take(&hash_token(token), Purpose::ChangeEmail, now()).await?;
        let taken = taken.ok_or(IdentityError::InvalidLink)?;
        let new = Email::parse(&taken.detail).map_err(|_| IdentityError::InvalidLink)?;
        let mut user = self.user(taken.user_id).await?;
        user.email = new;
        // Following the link proved the new address.
        user.email_verified = true;
        user.updated_at = OffsetDateTime::now_utc();
        user.version += 1;
        self.users.update(&user, &[]).await?;
        tracing::info!(user_id = %user.id, "email address changed");
        Ok(user)
    }
}
