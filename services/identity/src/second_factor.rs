//! A second factor for sign-in (TOTP, see `crate::totp`): enrolled by the account (its
//! password, then a first code), asked for after the password, finished with a code of the
//! app or a recovery code (each once). An admin of a shop that requires it signs in only
//! with one: without one yet, it enrols with its sign-in challenge. The secret is sealed
//! with the key-encryption key at rest (the account's id bound to it).

use std::sync::Arc;

use shop_auth::Role;
use shop_messaging::{kind, new_event};
use shop_proto::events::v1::PasswordChanged;
use time::OffsetDateTime;

use crate::{
    SERVICE,
    accounts::{Accounts, Tokens, hash_token, new_secret},
    domain::{Mfa, User, UserId},
    error::IdentityError,
    sealing::{Opened, Sealer},
    storage::{OneTimeToken, Purpose},
    totp::{self, Secret},
};

/// How long a sign-in challenge works, and the wrong codes it takes.
pub const CHALLENGE_SECS: i64 = 300;
const ATTEMPTS: u32 = 5;
/// How the shop names itself in authenticator apps.
const ISSUER: &str = "Shop";

/// Where second factors are kept sealed, and whether admins must have one.
pub struct SecondFactors {
    /// None: the embedded store without a key-encryption key (kept as given, in memory).
    pub sealer: Option<Arc<Sealer>>,
    pub required_for_admins: bool,
}

/// How a password sign-in goes on.
pub enum SignIn {
    Session(Box<User>, Tokens),
    /// A second factor is asked for: the challenge, and whether the account must enrol first.
    Challenge {
        challenge: String,
        enrol: bool,
    },
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

impl SecondFactors {
    fn seal(&self, user: UserId, secret: &Secret) -> anyhow::Result<Vec<u8>> {
        match &self.sealer {
            Some(sealer) => sealer.seal(&format!("totp:{user}"), secret.bytes()),
            None => Ok([&[0_u8][..], secret.bytes()].concat()),
        }
    }

    fn open(&self, user: UserId, sealed: &[u8]) -> anyhow::Result<Secret> {
        match (sealed.split_first(), &self.sealer) {
            (Some((0, plain)), None) => Ok(Secret::from_bytes(plain.to_vec())),
            (_, Some(sealer)) => match sealer.open(&format!("totp:{user}"), sealed)? {
                Opened::Current(bytes) | Opened::Stale(bytes) => Ok(Secret::from_bytes(bytes)),
            },
            _ => anyhow::bail!("a second factor sealed with a key this identity does not have"),
        }
    }
}

impl Accounts {
    /// After the password: a session, or a second-factor challenge.
    pub(crate) async fn after_password(&self, user: User) -> Result<SignIn, IdentityError> {
        let on = user.mfa.as_ref().is_some_and(|m| m.confirmed);
        let must = user.role == Role::Admin && self.second_factors.required_for_admins;
        if !on && !must {
            let tokens = self.start_session(&user).await?;
            return Ok(SignIn::Session(Box::new(user), tokens));
        }
        let challenge = new_secret();
        let token = OneTimeToken {
            hash: hash_token(&challenge),
            purpose: Purpose::SecondFactor,
            user_id: user.id,
            expires_at: now() + CHALLENGE_SECS,
            detail: ATTEMPTS.to_string(),
        };
        self.links.put(&token).await?;
        Ok(SignIn::Challenge { challenge, enrol: !on })
    }

    /// The user a challenge is for (the challenge stays until the sign-in finishes).
    async fn challenged(&self, challenge: &str) -> Result<(User, OneTimeToken), IdentityError> {
        let found = self.links.peek(&hash_token(challenge), Purpose::SecondFactor, now()).await?;
        let token = found.ok_or(IdentityError::InvalidChallenge)?;
        let user = self.users.get(token.user_id).await?.ok_or(IdentityError::InvalidChallenge)?;
        Ok((user, token))
    }

    /// A new secret for `user`, not on until a first code confirms it.
    async fn new_secret_for(&self, mut user: User) -> Result<(String, String), IdentityError> {
        let secret = Secret::generate();
        let sealed_secret = self.second_factors.seal(user.id, &secret)?;
        user.mfa = Some(Mfa { sealed_secret, ..Mfa::default() });
        self.save(&mut user, Vec::new()).await?;
        Ok((totp::base32(secret.bytes()), secret.uri(ISSUER, user.email.as_str())))
    }

    async fn save(&self, user: &mut User, events: Vec<shop_messaging::Envelope>) -> Result<(), IdentityError> {
        user.version += 1;
        user.updated_at = OffsetDateTime::now_utc();
        self.users.update(user, &events).await?;
        Ok(())
    }

    /// The caller's new secret (its current password given): (base32 secret, otpauth URI).
    pub async fn begin_totp(&self, id: UserId, password: &str) -> Result<(String, String), IdentityError> {
        let user = self.users.get(id).await?.ok_or(IdentityError::UserNotFound)?;
        if !self.hasher.verify(password, Some(&user.password_hash)).await? {
            return Err(IdentityError::WrongPassword);
        }
        if user.mfa.as_ref().is_some_and(|m| m.confirmed) {
            return Err(IdentityError::SecondFactorOn);
        }
        self.new_secret_for(user).await
    }

    /// An admin enrolling at sign-in, with its challenge.
    pub async fn enrol_at_sign_in(&self, challenge: &str) -> Result<(String, String), IdentityError> {
        let (user, _) = self.challenged(challenge).await?;
        if user.mfa.as_ref().is_some_and(|m| m.confirmed) {
            return Err(IdentityError::SecondFactorOn);
        }
        self.new_secret_for(user).await
    }

    /// Checks `code` against `user`'s secret, taking its step: whether it was good.
    fn take_code(&self, user: &mut User, code: &str) -> Result<bool, IdentityError> {
        let Some(mfa) = user.mfa.as_mut() else { return Ok(false) };
        let secret = self.second_factors.open(user.id, &mfa.sealed_secret)?;
        match secret.verify(code, now(), mfa.last_step) {
            Some(step) => {
                mfa.last_step = Some(step);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Turns `user`'s pending second factor on with a first code: its recovery codes.
    async fn turn_on(&self, user: &mut User, code: &str) -> Result<Vec<String>, IdentityError> {
        if user.mfa.as_ref().is_none_or(|m| m.confirmed) {
            return Err(IdentityError::NoEnrolment);
        }
        if !self.take_code(user, code)? {
            return Err(IdentityError::BadCode);
        }
        let codes = totp::recovery_codes();
        if let Some(mfa) = user.mfa.as_mut() {
            mfa.confirmed = true;
            mfa.recovery = codes.iter().map(|c| totp::hash_recovery(c)).collect();
        }
        let told = new_event(kind::MFA_ENABLED, SERVICE, &PasswordChanged { user_id: user.id.to_string() });
        self.save(user, vec![told]).await?;
        tracing::info!(user_id = %user.id, "second factor turned on");
        Ok(codes)
    }

    pub async fn confirm_totp(&self, id: UserId, code: &str) -> Result<Vec<String>, IdentityError> {
        let mut user = self.users.get(id).await?.ok_or(IdentityError::UserNotFound)?;
        self.turn_on(&mut user, code).await
    }

    /// Turns the caller's second factor off (password and a code of it).
    pub async fn disable_totp(&self, id: UserId, password: &str, code: &str) -> Result<(), IdentityError> {
        let mut user = self.users.get(id).await?.ok_or(IdentityError::UserNotFound)?;
        if !self.hasher.verify(password, Some(&user.password_hash)).await? {
            return Err(IdentityError::WrongPassword);
        }
        if user.mfa.as_ref().is_none_or(|m| !m.confirmed) {
            return Err(IdentityError::NoEnrolment);
        }
        if user.role == Role::Admin && self.second_factors.required_for_admins {
            return Err(IdentityError::SecondFactorRequired);
        }
        if !self.take_code(&mut user, code)? {
            return Err(IdentityError::BadCode);
        }
        user.mfa = None;
        self.save(&mut user, Vec::new()).await?;
        tracing::info!(user_id = %user.id, "second factor turned off");
        Ok(())
    }

    /// Finishes a sign-in: the session, and the recovery codes when it enrolled the factor.
    pub async fn complete_sign_in(
        &self,
        challenge: &str,
        code: &str,
        recovery: &str,
    ) -> Result<(User, Tokens, Vec<String>), IdentityError> {
        let (mut user, token) = self.challenged(challenge).await?;
        let enrolling = user.mfa.as_ref().is_some_and(|m| !m.confirmed);
        let outcome = if enrolling {
            self.turn_on(&mut user, code).await.map(Some)
        } else if !recovery.is_empty() {
            self.use_recovery(&mut user, recovery).await.map(|()| None)
        } else if self.take_code(&mut user, code)? {
            self.save(&mut user, Vec::new()).await.map(|()| None)
        } else {
            Err(IdentityError::BadCode)
        };
        match outcome {
            Ok(codes) => {
                // The challenge is spent.
                self.links.take(&token.hash, Purpose::SecondFactor, now()).await?;
                let tokens = self.start_session(&user).await?;
                Ok((user, tokens, codes.unwrap_or_default()))
            }
            Err(err) => {
                self.spend_attempt(&token).await?;
                Err(err)
            }
        }
    }

    /// One wrong code less on a challenge; the last voids it.
    async fn spend_attempt(&self, token: &OneTimeToken) -> Result<(), IdentityError> {
        let Some(taken) = self.links.take(&token.hash, Purpose::SecondFactor, now()).await? else { return Ok(()) };
        let left = taken.detail.parse::<u32>().unwrap_or(0).saturating_sub(1);
        if left > 0 {
            self.links.put(&OneTimeToken { detail: left.to_string(), ..taken }).await?;
        }
        Ok(())
    }

    async fn use_recovery(&self, user: &mut User, code: &str) -> Result<(), IdentityError> {
        let hashed = totp::hash_recovery(code);
        let Some(mfa) = user.mfa.as_mut().filter(|m| m.recovery.contains(&hashed)) else {
            return Err(IdentityError::BadCode);
        };
        mfa.recovery.retain(|h| *h != hashed);
        tracing::info!(user_id = %user.id, left = mfa.recovery.len(), "a recovery code was used");
        self.save(user, Vec::new()).await
    }
}
