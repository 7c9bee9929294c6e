//! HTTP gateway: the public REST API, in front of the gRPC services.

pub mod auth;
pub mod browser;
pub mod cache;
pub mod config;
pub mod edge;
pub mod error;
mod middleware;
pub mod openapi;
pub mod ratelimit;
pub mod routes;
pub mod startup;
pub mod state;
pub mod upstream;
pub mod webapp;

pub use config::GatewaySettings;
pub use startup::{Gateway, Wiring};

pub const SERVICE: &str = "gateway";
