//! The service kit: what every service is built from, so that a service is its domain, its
//! stores and its handlers, and everything around them is shared and correct once.
//!
//! - [`frame`]: settings every service has, its backends chosen once, start-up and drain
//!   (consumers stopped, periodic tasks joined, gRPC drained, outbox flushed, database
//!   closed).
//! - [`client`]: the one gRPC client builder — timeouts, trace context, client-side RED
//!   metrics and the caller's service credentials on every call.
//! - [`events`]: typed event consumers, deduplicated by the inbox, errors kept whole.
//! - [`figures`]: messaging and pool metrics (consumers' outcomes, outbox backlog, dead
//!   letters, MongoDB and Redis connections).
//! - [`errors`]: an unexpected failure becomes 503 when a backend is unreachable, else 500.
//! - [`paging`]: one rule for page requests and page answers.
//! - [`import`]: bulk imports of CSV or NDJSON files streamed in, answered with progress.
//! - [`auth`]: who is calling, from the token in a request's metadata.
//! - [`policy`] and [`credentials`]: which services may call which RPC, and the tokens
//!   that prove it.

pub mod auth;
pub mod backends;
pub mod client;
pub mod credentials;
pub mod errors;
pub mod events;
pub mod figures;
pub mod frame;
pub mod import;
pub mod paging;
pub mod policy;

pub use backends::{Backends, Storage};
pub use client::{Clients, Upstream};
pub use errors::{Refusal, unexpected};
pub use events::Consumer;
pub use frame::{Frame, Service, ServiceSettings};
pub use paging::{Page, Paging};
pub use policy::{Allow, GATEWAY, Policy};
