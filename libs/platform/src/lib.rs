//! Platform kit shared by every service: settings, telemetry, metrics, gRPC server
//! plumbing, error mapping and graceful shutdown.

pub mod demo;
pub mod error;
pub mod grpc;
pub mod host;
pub mod metrics;
pub mod settings;
pub mod shutdown;
pub mod telemetry;
pub mod trace_context;

pub use error::{ApiError, ErrorKind, FieldError};
pub use shutdown::Shutdown;

/// Declares an id newtype over a UUID: `new` (UUIDv7), `from_uuid`, `parse` (the canonical
/// hyphenated form only, so each id has one spelling), `Display`, `FromStr`, `Default`.
/// The crate using it depends on `uuid`.
#[macro_export]
macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(::uuid::Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(::uuid::Uuid::now_v7())
            }

            pub const fn from_uuid(id: ::uuid::Uuid) -> Self {
                Self(id)
            }

            pub fn parse(s: &str) -> Result<Self, String> {
                if s.len() != 36 {
                    return Err("must be a UUID".into());
                }
                ::uuid::Uuid::parse_str(s).map(Self).map_err(|_| "must be a UUID".into())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}
