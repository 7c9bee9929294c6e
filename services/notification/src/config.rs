//! Notification's own settings, beside the common service settings.

use serde::{Deserialize, Serialize};
use shop_platform::settings::Secret;
use shop_service_kit::ServiceSettings;

use crate::{SERVICE, sms::SmsFormat};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct NotificationExtra {
    /// `SHOP_SMTP_URL`: the mail server, e.g. `smtps://user:pass@smtp.example.com` (TLS),
    /// `smtp://user:pass@smtp.example.com:587?tls=required` (STARTTLS) or
    /// `smtp://127.0.0.1:2525` (plain, loopback only). Without it mail goes to the dev
    /// mailbox (`GET /api/v1/admin/mailbox`) and each message is logged with its link.
    pub smtp_url: Option<Secret>,
    /// The sender of every mail.
    pub mail_from: String,
    /// `SHOP_SMS_URL`: the text-message provider's endpoint, e.g.
    /// `https://sms.example.com/v1/messages`, or for Twilio
    /// `https://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com/2010-04-01/Accounts/ACCOUNT_SID/Messages.json`.
    /// Without it text messages go to the dev mailbox.
    pub sms_url: Option<Secret>,
    /// `SHOP_SMS_TOKEN`: the provider's API token, sent as `Authorization: Bearer`.
    pub sms_token: Option<Secret>,
    /// The sender of every text message: a number in international form or a name the
    /// provider allows.
    pub sms_from: String,
    /// `json` (`{"to","from","text","reference"}`) or `twilio` (see `crate::sms`).
    pub sms_format: SmsFormat,
    /// Where the shop's pages are: the links in mail point there.
    pub public_url: String,
    /// The shop's name, as mail shows it.
    pub shop_name: String,
    /// Identity's gRPC endpoint is `identity_url`; order's is this (order notices).
    pub order_url: String,
    /// Inventory's gRPC endpoint (whether SKUs are still low when their digest goes out).
    pub inventory_url: String,
    /// Attempts at a message before it is set aside (dead).
    pub max_attempts: u32,
    /// The wait after a first failed attempt; it doubles with each further one.
    pub retry_base_ms: u64,
    /// The longest wait between two attempts.
    pub retry_max_ms: u64,
    /// How long an attempt holds its message: a replica that dies mid-send leaves it to
    /// the others (or to itself, restarted) once this has passed.
    pub claim_lease_ms: u64,
    /// How often the messages due for another attempt are looked for.
    pub retry_every_ms: u64,
    /// Messages sent at once by a replica.
    pub send_concurrency: usize,
    /// `SHOP_DELIVERY_JOURNAL`: a file on the pod's own volume where each message the mail
    /// server accepted is noted before its record is updated, so a process killed in
    /// between does not send it again when it restarts. Unset: no journal.
    pub delivery_journal: Option<std::path::PathBuf>,
    /// Messages the dev mailbox keeps (the oldest go first).
    pub mailbox_capacity: usize,
    /// A recipient gets at most one low-stock digest per this many seconds.
    pub digest_every_secs: u64,
    /// How long the first low SKU of a quiet period waits for others to join its digest.
    pub digest_gather_secs: u64,
    /// How often due digests are looked for, in milliseconds.
    pub digest_check_ms: u64,
}

impl Default for NotificationExtra {
    fn default() -> Self {
        Self {
            smtp_url: None,
            mail_from: "Shop <no-reply@shop.local>".into(),
            sms_url: None,
            sms_token: None,
            sms_from: "Shop".into(),
            sms_format: SmsFormat::Json,
            public_url: "http://127.0.0.1:8080".into(),
            shop_name: "Shop".into(),
            order_url: "http://127.0.0.1:50054".into(),
            inventory_url: "http://127.0.0.1:50053".into(),
            max_attempts: 8,
            retry_base_ms: 2_000,
            retry_max_ms: 15 * 60 * 1000,
            claim_lease_ms: 60_000,
            retry_every_ms: 1_000,
            send_concurrency: 8,
            delivery_journal: None,
            mailbox_capacity: 1_000,
            digest_every_secs: 3600,
            digest_gather_secs: 300,
            digest_check_ms: 10_000,
        }
    }
}

pub type Settings = ServiceSettings<NotificationExtra>;

pub fn default_settings() -> Settings {
    Settings::defaults(SERVICE, 50056, 9106)
}
