//! The type of every event the platform publishes: the routing key it travels under and
//! what consumers subscribe to. Producers and consumers name them through these constants.

pub const USER_REGISTERED: &str = "identity.user_registered";
pub const USER_ROLE_CHANGED: &str = "identity.user_role_changed";
pub const PASSWORD_CHANGED: &str = "identity.password_changed";
pub const MFA_ENABLED: &str = "identity.mfa_enabled";
pub const IDENTITY_LINKED: &str = "identity.identity_linked";
pub const VERIFICATION_REQUESTED: &str = "identity.verification_requested";
pub const PASSWORD_RESET_REQUESTED: &str = "identity.password_reset_requested";
pub const EMAIL_CHANGE_REQUESTED: &str = "identity.email_change_requested";

pub const PRODUCT_CREATED: &str = "catalog.product_created";
pub const PRODUCT_UPDATED: &str = "catalog.product_updated";
pub const PRODUCT_DELETED: &str = "catalog.product_deleted";
pub const PRICE_CHANGED: &str = "catalog.price_changed";

pub const STOCK_CHANGED: &str = "inventory.stock_changed";
pub const STOCK_LOW: &str = "inventory.stock_low";
pub const STOCK_DEPLETED: &str = "inventory.stock_depleted";
pub const RESERVATION_EXPIRED: &str = "inventory.reservation_expired";

pub const ORDER_PLACED: &str = "order.placed";
pub const ORDER_PAID: &str = "order.paid";
pub const ORDER_CANCELLED: &str = "order.cancelled";
pub const ORDER_SHIPPED: &str = "order.shipped";
pub const ORDER_REFUNDED: &str = "order.refunded";

pub const PAYMENT_SUCCEEDED: &str = "payment.succeeded";
pub const PAYMENT_FAILED: &str = "payment.failed";
pub const PAYMENT_REFUNDED: &str = "payment.refunded";
