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
    events => "shop.events.v1",
);

pub use prost_types::Timestamp;

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
