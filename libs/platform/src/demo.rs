//! Demo data shared by several services (the all-in-one mode seeds it): the demo accounts'
//! ids, so that the demo vendor owns the demo products.

/// The demo admin account.
pub const ADMIN_ID: &str = "01920000-0000-7000-8000-00000000a001";
/// The demo vendor account: owner of the demo catalog.
pub const VENDOR_ID: &str = "01920000-0000-7000-8000-00000000a002";
/// The demo customer account.
pub const CUSTOMER_ID: &str = "01920000-0000-7000-8000-00000000a003";
