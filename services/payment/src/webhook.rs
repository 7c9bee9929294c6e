//! Provider callbacks: signed with HMAC-SHA256 over `timestamp.payload`
//! (`Payment-Signature: t=<unix seconds>,v1=<hex>`), accepted within five minutes of their
//! timestamp, and applied once per event id.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// How far a callback's timestamp may be from now.
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("malformed signature header")]
    Malformed,
    #[error("the signature does not match")]
    BadSignature,
    #[error("the callback is too old or from the future")]
    Stale,
    #[error("the payload is not a provider event")]
    BadPayload,
}

/// A provider event, as far as the platform reads it.
#[derive(Debug, Deserialize)]
pub struct ProviderEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub data: EventData,
}

#[derive(Debug, Default, Deserialize)]
pub struct EventData {
    pub order_id: Option<String>,
    pub amount: Option<i64>,
}

/// The header value for `payload` at `timestamp` (what the provider sends; tests use it).
pub fn sign(secret: &[u8], timestamp: i64, payload: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(payload);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// Checks the signature and age, and parses the event.
pub fn verify(secret: &[u8], header: &str, payload: &[u8], now: i64) -> Result<ProviderEvent, WebhookError> {
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", s)) => signature = Some(s),
            _ => {}
        }
    }
    let (timestamp, signature) = timestamp.zip(signature).ok_or(WebhookError::Malformed)?;
    let bytes: Vec<u8> = (0..signature.len())
        .step_by(2)
        .map(|i| signature.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<_>>()
        .ok_or(WebhookError::Malformed)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| WebhookError::Malformed)?;
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(payload);
    mac.verify_slice(&bytes).map_err(|_| WebhookError::BadSignature)?;
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(WebhookError::Stale);
    }
    serde_json::from_slice(payload).map_err(|_| WebhookError::BadPayload)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";

    #[test]
    fn a_signed_fresh_callback_passes_and_anything_else_does_not() {
        let payload = br#"{"id":"evt_1","type":"charge.refunded","data":{"order_id":"o1","amount":100}}"#;
        let header = sign(SECRET, 1_000, payload);
        let event = verify(SECRET, &header, payload, 1_010).unwrap();
        assert_eq!((event.id.as_str(), event.data.amount), ("evt_1", Some(100)));
        assert_eq!(verify(b"other", &header, payload, 1_010).unwrap_err(), WebhookError::BadSignature);
        assert_eq!(verify(SECRET, &header, b"{}", 1_010).unwrap_err(), WebhookError::BadSignature);
        assert_eq!(verify(SECRET, &header, payload, 2_000).unwrap_err(), WebhookError::Stale);
        assert_eq!(verify(SECRET, "t=1000", payload, 1_000).unwrap_err(), WebhookError::Malformed);
        assert_eq!(verify(SECRET, "garbage", payload, 1_000).unwrap_err(), WebhookError::Malformed);
    }
}
