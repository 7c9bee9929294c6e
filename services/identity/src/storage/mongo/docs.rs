//! How a user is written in MongoDB.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use mongodb::bson;
use serde::{Deserialize, Serialize};
use shop_auth::Role;
use shop_storage::timestamp;
use shop_types::AddressInput;

use crate::domain::{Email, LinkedIdentity, Mfa, Name, Profile, User, UserId};

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct UserDoc {
    #[serde(rename = "_id")]
    id: String,
    email: String,
    password_hash: String,
    role: String,
    first_name: String,
    last_name: String,
    address: Option<AddressInput>,
    #[serde(default)]
    email_verified: bool,
    #[serde(default)]
    mfa: Option<MfaDoc>,
    #[serde(default)]
    identities: Vec<IdentityDoc>,
    created_at: bson::DateTime,
    updated_at: bson::DateTime,
    version: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct MfaDoc {
    /// Sealed (see `crate::sealing`), base64 (URL-safe, unpadded).
    secret: String,
    confirmed: bool,
    /// SHA-256 of each recovery code not used yet.
    recovery: Vec<String>,
    last_step: Option<i64>,
}

impl From<&Mfa> for MfaDoc {
    fn from(m: &Mfa) -> Self {
        Self {
            secret: URL_SAFE_NO_PAD.encode(&m.sealed_secret),
            confirmed: m.confirmed,
            recovery: m.recovery.clone(),
            last_step: m.last_step,
        }
    }
}

impl TryFrom<MfaDoc> for Mfa {
    type Error = anyhow::Error;

    fn try_from(d: MfaDoc) -> anyhow::Result<Self> {
        let sealed_secret = URL_SAFE_NO_PAD.decode(&d.secret)?;
        Ok(Self { sealed_secret, confirmed: d.confirmed, recovery: d.recovery, last_step: d.last_step })
    }
}

impl From<&User> for UserDoc {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email.as_str().to_owned(),
            password_hash: u.password_hash.clone(),
            role: u.role.as_str().to_owned(),
            first_name: u.profile.first_name.as_str().to_owned(),
            last_name: u.profile.last_name.as_str().to_owned(),
            address: u.profile.address.as_ref().map(|a| a.fields().clone()),
            email_verified: u.email_verified,
            mfa: u.mfa.as_ref().map(MfaDoc::from),
            identities: u.identities.iter().map(IdentityDoc::from).collect(),
            created_at: timestamp::to_bson(u.created_at),
            updated_at: timestamp::to_bson(u.updated_at),
            version: i64::try_from(u.version).unwrap_or(i64::MAX),
        }
    }
}

impl TryFrom<UserDoc> for User {
    type Error = anyhow::Error;

    fn try_from(d: UserDoc) -> anyhow::Result<Self> {
        let bad = |what: &str, e: String| anyhow::anyhow!("stored user {}: {what}: {e}", d.id);
        Ok(Self {
            id: UserId::parse(&d.id).map_err(|e| bad("id", e))?,
            email: Email::parse(&d.email).map_err(|e| bad("email", e))?,
            role: Role::parse(&d.role).map_err(|e| bad("role", e))?,
            profile: Profile {
                first_name: Name::parse(&d.first_name).map_err(|e| bad("first_name", e))?,
                last_name: Name::parse(&d.last_name).map_err(|e| bad("last_name", e))?,
                address: d.address.map(AddressInput::trusted),
            },
            password_hash: d.password_hash,
            email_verified: d.email_verified,
            mfa: d.mfa.map(Mfa::try_from).transpose()?,
            identities: d.identities.into_iter().map(LinkedIdentity::try_from).collect::<anyhow::Result<_>>()?,
            created_at: timestamp::from_bson(d.created_at)?,
            updated_at: timestamp::from_bson(d.updated_at)?,
            version: u64::try_from(d.version)?,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct IdentityDoc {
    id: String,
    provider: String,
    issuer: String,
    subject: String,
    email: Option<String>,
    linked_at: bson::DateTime,
}

impl From<&LinkedIdentity> for IdentityDoc {
    fn from(i: &LinkedIdentity) -> Self {
        Self {
            id: i.id.clone(),
            provider: i.provider.clone(),
            issuer: i.issuer.clone(),
            subject: i.subject.clone(),
            email: i.email.clone(),
            linked_at: timestamp::to_bson(i.linked_at),
        }
    }
}

impl TryFrom<IdentityDoc> for LinkedIdentity {
    type Error = anyhow::Error;

    fn try_from(d: IdentityDoc) -> anyhow::Result<Self> {
        Ok(Self {
            id: d.id,
            provider: d.provider,
            issuer: d.issuer,
            subject: d.subject,
            email: d.email,
            linked_at: timestamp::from_bson(d.linked_at)?,
        })
    }
}

/// Which account an identity is linked to: `_id` is the identity's key (issuer and
/// subject), unique, so an identity is linked once however many links race.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct LinkDoc {
    #[serde(rename = "_id")]
    pub key: String,
    pub user_id: String,
}
