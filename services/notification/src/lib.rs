//! Notification service: turns the shop's events into the messages its people are sent —
//! a welcome with the link proving the address, a password reset link, an order's
//! confirmation — rendered from templates, recorded one per (event, template, recipient)
//! so a redelivered event never sends twice, and delivered with retries: by SMTP and an SMS
//! provider, or into the dev mailbox of a shop without them. Optional notices (a text
//! message when an order ships, the low-stock digest) follow each account's preferences.

pub mod account;
pub mod admin;
pub mod channels;
pub mod config;
pub mod delivery;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod journal;
pub mod sms;
pub mod smtp;
pub mod startup;
pub mod stock;
pub mod storage;
pub mod templates;

pub use config::{NotificationExtra, Settings, default_settings};
pub use startup::build;

/// Producer name on events and the service's name in telemetry.
pub const SERVICE: &str = "notification";
