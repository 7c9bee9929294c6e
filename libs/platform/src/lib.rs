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
