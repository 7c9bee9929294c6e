//! Generated protobuf types, gRPC clients and servers for the shop contracts.
#![allow(clippy::large_enum_variant, clippy::doc_lazy_continuation)]

/// Encoded `FileDescriptorSet` of every contract, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("shop_descriptor");

pub mod common {
    pub mod v1 {
        tonic::include_proto!("shop.common.v1");
    }
}
pub mod identity {
    pub mod v1 {
        tonic::include_proto!("shop.identity.v1");
    }
}
pub mod catalog {
    pub mod v1 {
        tonic::include_proto!("shop.catalog.v1");
    }
}
pub mod inventory {
    pub mod v1 {
        tonic::include_proto!("shop.inventory.v1");
    }
}
pub mod order {
    pub mod v1 {
        tonic::include_proto!("shop.order.v1");
    }
}
pub mod payment {
    pub mod v1 {
        tonic::include_proto!("shop.payment.v1");
    }
}
pub mod events {
    pub mod v1 {
        tonic::include_proto!("shop.events.v1");
    }
}

pub use prost_types::Timestamp;
