//! Identity service: accounts, credentials (Argon2id), roles, sessions and signing keys.

pub mod accounts;
pub mod clients;
pub mod config;
pub mod convert;
pub mod domain;
pub mod error;
pub mod external;
pub mod grpc;
pub mod hashing;
pub mod keys;
pub mod links;
pub mod oidc;
pub mod policy;
pub mod sealing;
pub mod second_factor;
pub mod seed;
pub mod startup;
pub mod storage;
pub mod totp;

pub use config::{IdentityExtra, Settings, default_settings};
pub use startup::build;

/// Producer name on events and the service's name in telemetry.
pub const SERVICE: &str = "identity";
