//! Generated protobuf types, gRPC clients and servers for the shop contracts, and the
//! conversions between contract messages and the shared edge types.
#![allow(clippy::large_enum_variant, clippy::doc_lazy_continuation)]

/// Encoded `FileDescriptorSet` of every contract, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("shop_descriptor");

/// `pub mod <name> { pub mod v1 { … } }` for each contract package.
macro_rules! contracts {
    ($($name:ident => $package:literal),* $(,)?) => {
        $(pub mod $name {
            pub mod v1 {
                tonic::include_proto!($package);
            }
        })*
    };
}

contracts!(
    common => "shop.common.v1",
    identity => "shop.identity.v1",
    catalog => "shop.catalog.v1",
    inventory => "shop.inventory.v1",
    order => "shop.order.v1",
    payment => "shop.payment.v1",
    notification => "shop.notification.v1",
    analytics => "shop.analytics.v1",
    events => "shop.events.v1",
);

pub use prost_types::Timestamp;

/// A Unix-ms instant as the contracts carry it.
pub fn timestamp_ms(ms: i64) -> Timestamp {
    Timestamp { seconds: ms.div_euclid(1000), nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0) }
}

/// A contract's instant in Unix ms.
pub fn millis(t: &Timestamp) -> i64 {
    t.seconds.saturating_mul(1000).saturating_add(i64::from(t.nanos / 1_000_000))
}

/// `Debug` for messages that carry a credential: the credential prints as `***`, so a
/// message logged by mistake leaks nothing (`build.rs` lists them).
macro_rules! redacted_debug {
    ($($ty:ident in $module:ident { $($shown:ident),* ; $($hidden:ident),* })*) => {
        $(impl std::fmt::Debug for $module::v1::$ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($shown), &self.$shown))*
                    $(.field(stringify!($hidden), &"***"))*
                    .finish()
            }
        })*
    };
}

redacted_debug! {
    RegisterRequest in identity { email, first_name, last_name; password }
    LoginRequest in identity { email; password }
    RefreshRequest in identity { ; refresh_token }
    LogoutRequest in identity { ; refresh_token }
    AuthResponse in identity { user, token_type, expires_in; access_token, refresh_token }
    IssueServiceTokenRequest in identity { client_id, audience; client_secret }
    ServiceToken in identity { expires_in; access_token }
    ChargeRequest in payment { order_id, amount; payment_token }
    HandleWebhookRequest in payment { ; payload, signature }
    VerifyEmailRequest in identity { ; token }
    ResetPasswordRequest in identity { ; token, new_password }
    EmailLink in events { user_id, expires_at, welcome, new_email; token }
    RequestEmailChangeRequest in identity { new_email; current_password }
}

impl From<&shop_types::Address> for common::v1::Address {
    fn from(a: &shop_types::Address) -> Self {
        a.fields().clone().into()
    }
}

impl From<shop_types::AddressInput> for common::v1::Address {
    fn from(a: shop_types::AddressInput) -> Self {
        let shop_types::AddressInput { name, phone, line1, line2, city, region, postal_code, country } = a;
        Self { name, phone, line1, line2, city, region, postal_code, country }
    }
}

impl From<common::v1::Address> for shop_types::AddressInput {
    fn from(a: common::v1::Address) -> Self {
        let common::v1::Address { name, phone, line1, line2, city, region, postal_code, country } = a;
        Self { name, phone, line1, line2, city, region, postal_code, country }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_print() {
        let login = identity::v1::LoginRequest { email: "ada@example.com".into(), password: "hunter2 secret".into() };
        let secret = identity::v1::IssueServiceTokenRequest {
            client_id: "order".into(),
            client_secret: "s3cr3t-value".into(),
            audience: "payment".into(),
        };
        let shown = format!("{login:?} {secret:?}");
        assert!(shown.contains("ada@example.com") && shown.contains("order"), "{shown}");
        assert!(!shown.contains("hunter2") && !shown.contains("s3cr3t"), "{shown}");
    }
}
