//! Roles: what a user may do.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    /// Manages its own products and their stock.
    Vendor,
    Admin,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Vendor => "vendor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "customer" => Ok(Self::Customer),
            "vendor" => Ok(Self::Vendor),
            "admin" => Ok(Self::Admin),
            _ => Err("must be customer, vendor or admin".into()),
        }
    }

    pub const fn to_proto(self) -> shop_proto::identity::v1::Role {
        use shop_proto::identity::v1::Role as P;
        match self {
            Self::Customer => P::Customer,
            Self::Vendor => P::Vendor,
            Self::Admin => P::Admin,
        }
    }

    pub const fn from_proto(role: shop_proto::identity::v1::Role) -> Option<Self> {
        use shop_proto::identity::v1::Role as P;
        match role {
            P::Customer => Some(Self::Customer),
            P::Vendor => Some(Self::Vendor),
            P::Admin => Some(Self::Admin),
            P::Unspecified => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
