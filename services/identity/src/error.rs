//! Identity's domain error, mapped once to the shared [`ApiError`] (and so to gRPC).

use shop_platform::{ApiError, ErrorKind};
use shop_service_kit::Refusal;

use crate::storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("the email address is already registered")]
    EmailTaken,
    /// Unknown email and wrong password alike.
    #[error("invalid email or password")]
    BadCredentials,
    /// A signed-in caller's current password, given wrong (to change it).
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("the refresh token is invalid, expired or revoked")]
    InvalidRefreshToken,
    #[error("user not found")]
    UserNotFound,
    /// A verification or reset link's token: unknown, used, expired or for something else.
    #[error("the link is invalid, used or expired")]
    InvalidLink,
    #[error("the account changed meanwhile; try again")]
    Conflict,
    #[error("the last admin cannot give up the role")]
    LastAdmin,
    /// A second factor's code: wrong, or used already.
    #[error("the code is wrong or was used")]
    BadCode,
    /// A sign-in challenge: unknown, used up or expired.
    #[error("the sign-in challenge is invalid or expired")]
    InvalidChallenge,
    #[error("a second factor is on already")]
    SecondFactorOn,
    #[error("no second factor is being enrolled")]
    NoEnrolment,
    /// An admin may not turn the second factor off while the shop requires it.
    #[error("the shop requires a second factor of its admins")]
    SecondFactorRequired,
    #[error("no such sign-in provider")]
    UnknownProvider,
    /// A provider's sign-in that cannot finish: an unknown, used or expired state, another
    /// browser, a code or ID token the checks refuse.
    #[error("the sign-in with the provider could not be completed")]
    ExternalSignInFailed,
    #[error("the sign-in provider cannot be reached")]
    ProviderUnavailable,
    /// An account has the provider's address, and the link cannot be made by the address.
    #[error("an account with this email exists")]
    AccountExists,
    #[error("the provider gave no usable email address")]
    NoEmail,
    #[error("the identity is linked to another account")]
    IdentityTaken,
    #[error("the identity is the account's last way to sign in")]
    LastSignInMethod,
    #[error("the account has as many linked identities as it may")]
    TooManyIdentities,
    #[error("no such linked identity")]
    IdentityNotFound,
    /// Bad input, no valid token, no right: refused the way every service refuses.
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for IdentityError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::EmailTaken => Self::EmailTaken,
            StoreError::Stale => Self::Conflict,
            StoreError::LastAdmin => Self::LastAdmin,
            StoreError::IdentityTaken => Self::IdentityTaken,
            StoreError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl From<IdentityError> for ApiError {
    fn from(err: IdentityError) -> Self {
        match err {
            IdentityError::EmailTaken => {
                ApiError::new(ErrorKind::Conflict, "the email address is already registered").with_code("email_taken")
            }
            IdentityError::WrongPassword => {
                ApiError::invalid_field("current_password", "is not this account's password")
            }
            IdentityError::BadCredentials => {
                ApiError::new(ErrorKind::Unauthenticated, "invalid email or password").with_code("invalid_credentials")
            }
            IdentityError::InvalidRefreshToken => {
                ApiError::new(ErrorKind::Unauthenticated, "the refresh token is invalid, expired or revoked")
                    .with_code("invalid_refresh_token")
            }
            IdentityError::UserNotFound => ApiError::not_found("user"),
            IdentityError::InvalidLink => ApiError::invalid_field("token", "is invalid, used or expired"),
            IdentityError::Conflict => ApiError::new(ErrorKind::Conflict, "the account changed meanwhile; try again"),
            IdentityError::LastAdmin => {
                ApiError::new(ErrorKind::Conflict, "the shop's last admin cannot give up the role")
                    .with_code("last_admin")
            }
            IdentityError::BadCode => {
                ApiError::new(ErrorKind::Unauthenticated, "the code is wrong or was used").with_code("invalid_code")
            }
            IdentityError::InvalidChallenge => {
                ApiError::new(ErrorKind::Unauthenticated, "the sign-in challenge is invalid or expired")
                    .with_code("invalid_challenge")
            }
            IdentityError::SecondFactorOn => {
                ApiError::new(ErrorKind::Conflict, "a second factor is on already").with_code("second_factor_on")
            }
            IdentityError::NoEnrolment => {
                ApiError::new(ErrorKind::Conflict, "no second factor is being enrolled").with_code("no_enrolment")
            }
            IdentityError::SecondFactorRequired => {
                ApiError::new(ErrorKind::PermissionDenied, "the shop requires a second factor of its admins")
                    .with_code("second_factor_required")
            }
            IdentityError::UnknownProvider => ApiError::not_found("provider"),
            IdentityError::ExternalSignInFailed => ApiError::new(
                ErrorKind::Unauthenticated,
                "the sign-in with the provider could not be completed; start it again",
            )
            .with_code("sign_in_failed"),
            IdentityError::ProviderUnavailable => {
                ApiError::new(ErrorKind::Unavailable, "the sign-in provider cannot be reached; try again later")
                    .with_code("provider_unavailable")
            }
            IdentityError::AccountExists => ApiError::new(
                ErrorKind::Conflict,
                "an account with this email exists: sign in to it, then link the provider from the account",
            )
            .with_code("account_exists"),
            IdentityError::NoEmail => {
                ApiError::new(ErrorKind::Unprocessable, "the provider did not share a usable email address")
                    .with_code("no_email")
            }
            IdentityError::IdentityTaken => {
                ApiError::new(ErrorKind::Conflict, "this identity is linked to another account")
                    .with_code("identity_taken")
            }
            IdentityError::LastSignInMethod => ApiError::new(
                ErrorKind::Conflict,
                "this is the account's last way to sign in: set a password first (password reset)",
            )
            .with_code("last_sign_in_method"),
            IdentityError::TooManyIdentities => {
                ApiError::new(ErrorKind::Conflict, "the account has as many linked identities as it may")
                    .with_code("too_many_identities")
            }
            IdentityError::IdentityNotFound => ApiError::not_found("linked identity"),
            IdentityError::Refused(refusal) => refusal.into(),
            IdentityError::Unexpected(e) => shop_service_kit::unexpected(e),
        }
    }
}

shop_service_kit::status_from!(IdentityError);
