//! Platform kit shared by every service: settings, telemetry, metrics, gRPC server
//! plumbing, error mapping and graceful shutdown.

pub mod demo;
pub mod error;
pub mod grpc;
pub mod host;
pub mod metrics;
pub mod probe;
pub mod settings;
pub mod shutdown;
pub mod telemetry;
pub mod trace_context;

pub use error::{ApiError, ErrorKind, FieldError, code};
pub use shutdown::Shutdown;

pub use shop_types::uuid_id;

/// The current time, Unix ms.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// Locks `mutex`, going on with the data if a panicking holder poisoned it: every guarded
/// value here is left consistent between statements, so a panic elsewhere does not make it
/// unusable.
pub fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
