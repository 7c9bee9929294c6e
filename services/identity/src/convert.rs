//! Identity's records as its contract carries them.

use shop_proto::{Timestamp, common::v1 as common, identity::v1 as pb};

use crate::{
    accounts::{Accounts, Tokens},
    domain::{LinkedIdentity, User},
    second_factor::{CHALLENGE_SECS, SignIn},
};

fn timestamp(t: time::OffsetDateTime) -> Timestamp {
    Timestamp { seconds: t.unix_timestamp(), nanos: i32::try_from(t.nanosecond()).unwrap_or(0) }
}

pub fn user_to_proto(u: &User) -> pb::User {
    pb::User {
        id: u.id.to_string(),
        email: u.email.as_str().to_owned(),
        first_name: u.profile.first_name.as_str().to_owned(),
        last_name: u.profile.last_name.as_str().to_owned(),
        role: u.role.to_proto().into(),
        address: u.profile.address.as_ref().map(common::Address::from),
        email_verified: u.email_verified,
        mfa_enabled: u.mfa.as_ref().is_some_and(|m| m.confirmed),
        created_at: Some(timestamp(u.created_at)),
    }
}

/// Whom to write to about an account.
pub fn contact(user: &User) -> pb::Contact {
    pb::Contact {
        user_id: user.id.to_string(),
        email: user.email.as_str().to_owned(),
        first_name: user.profile.first_name.as_str().to_owned(),
        role: user.role.to_proto().into(),
        email_verified: user.email_verified,
        locale: String::new(),
        phone: user.profile.address.as_ref().map(|a| a.fields().phone.clone()).unwrap_or_default(),
    }
}

pub fn auth_response(user: &User, tokens: Tokens) -> pb::AuthResponse {
    pb::AuthResponse {
        user: Some(user_to_proto(user)),
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        token_type: "Bearer".into(),
        expires_in: u32::try_from(tokens.expires_in).unwrap_or(u32::MAX),
        refresh_expires_in: u32::try_from(tokens.refresh_expires_in).unwrap_or(u32::MAX),
        ..pb::AuthResponse::default()
    }
}

/// A sign-in that needs a second factor: the challenge, no tokens.
pub fn challenge_response(challenge: String, enrol: bool) -> pb::AuthResponse {
    pb::AuthResponse {
        second_factor_challenge: challenge,
        enrolment_required: enrol,
        challenge_expires_in: u32::try_from(CHALLENGE_SECS).unwrap_or(u32::MAX),
        ..pb::AuthResponse::default()
    }
}

/// A sign-in's answer: the session, or the second factor's challenge.
pub fn sign_in_response(sign_in: SignIn) -> pb::AuthResponse {
    match sign_in {
        SignIn::Session(user, tokens) => auth_response(&user, tokens),
        SignIn::Challenge { challenge, enrol } => challenge_response(challenge, enrol),
    }
}

pub fn identity_to_proto(accounts: &Accounts, i: &LinkedIdentity) -> pb::LinkedIdentity {
    pb::LinkedIdentity {
        id: i.id.clone(),
        provider: i.provider.clone(),
        display_name: accounts.display_name(&i.provider),
        email: i.email.clone().unwrap_or_default(),
        linked_at: Some(timestamp(i.linked_at)),
    }
}

/// An account's linked identities, and whether it has a password.
pub fn identities(accounts: &Accounts, user: &User) -> pb::Identities {
    pb::Identities {
        identities: user.identities.iter().map(|i| identity_to_proto(accounts, i)).collect(),
        password_set: user.has_password(),
    }
}
