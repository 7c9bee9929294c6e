//! HTTP gateway: the public REST API, in front of the gRPC services.

pub mod config;
pub mod error;
mod middleware;
pub mod routes;
pub mod startup;
pub mod upstream;

pub use config::GatewaySettings;
pub use startup::Gateway;

pub const SERVICE: &str = "gateway";
