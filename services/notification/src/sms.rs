//! Text messages through an HTTP provider: one POST per message. Two request shapes:
//!
//! - `json` (the default): `{"to", "from", "text", "reference"}` as JSON, the token (if any)
//!   as `Authorization: Bearer`, and the message id as `Idempotency-Key`, so a provider that
//!   honours it takes a repeated request once; the answer's `id` is the provider's id.
//! - `twilio`: Twilio's Messages resource (`To`, `From`, `Body`, form-encoded; the account
//!   SID and auth token as the URL's `user:password`); the answer's `sid` is its id.
//!
//! A refusal is read the way a provider means it: 408/425/429 and 5xx are worth another
//! attempt, other 4xx are not, and a number the provider calls invalid or opted out is
//! suppressed like a bounced address. The number is only ever sent to the provider.

use std::time::Duration;

use async_trait::async_trait;
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::channels::{Channel, Outgoing, SendError};

/// How requests to the provider are shaped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsFormat {
    #[default]
    Json,
    Twilio,
}

/// Error codes meaning the number cannot take text messages: Twilio's invalid, unknown,
/// landline and unsubscribed numbers, and the JSON shape's own names.
const TWILIO_UNREACHABLE: [i64; 6] = [21211, 21214, 21217, 21610, 21612, 21614];
const UNREACHABLE: [&str; 3] = ["invalid_number", "unreachable_number", "opted_out"];

/// The longest text sent (Twilio's limit: ten segments).
pub const MAX_TEXT: usize = 1_600;

pub struct HttpSms {
    client: reqwest::Client,
    url: Url,
    basic: Option<(String, String)>,
    token: Option<String>,
    from: String,
    format: SmsFormat,
}

/// The number in international form (`+` and 8 to 15 digits), as written with spaces,
/// dashes, dots or brackets; none when it is not one.
pub fn international(phone: &str) -> Option<String> {
    let phone = phone.trim();
    let digits = phone.strip_prefix('+').or_else(|| phone.strip_prefix("00"))?;
    let mut number = String::from("+");
    for c in digits.chars() {
        match c {
            '0'..='9' => number.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    (9..=16).contains(&number.len()).then_some(number)
}

impl HttpSms {
    /// A provider at `url` (HTTPS, or HTTP on loopback), sending as `from`.
    pub fn new(url: &str, token: Option<&str>, from: &str, format: SmsFormat) -> anyhow::Result<Self> {
        let mut url = Url::parse(url).map_err(|e| anyhow::anyhow!("SHOP_SMS_URL: {e}"))?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        anyhow::ensure!(
            url.scheme() == "https" || (url.scheme() == "http" && loopback),
            "SHOP_SMS_URL: must be https (http only on loopback)"
        );
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        let basic = (!url.username().is_empty())
            .then(|| (decode(url.username()), url.password().map(decode).unwrap_or_default()));
        let _ = url.set_username("");
        let _ = url.set_password(None);
        // One process-wide TLS provider (ring) for every HTTPS client.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()?;
        Ok(Self { client, url, basic, token: token.map(str::to_owned), from: from.to_owned(), format })
    }

    fn request(&self, message: &Outgoing<'_>) -> reqwest::RequestBuilder {
        let text = clip(message.content.text.trim(), MAX_TEXT);
        let mut request = self.client.post(self.url.clone()).header("Idempotency-Key", message.id);
        if let Some((user, password)) = &self.basic {
            request = request.basic_auth(user, Some(password));
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        match self.format {
            SmsFormat::Json => request.json(&serde_json::json!({
                "to": message.to, "from": self.from, "text": text, "reference": message.id,
            })),
            SmsFormat::Twilio => {
                let form = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("To", message.to)
                    .append_pair("From", &self.from)
                    .append_pair("Body", text)
                    .finish();
                request.header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(form)
            }
        }
    }

    /// Why the provider refused, as a [`SendError`].
    fn refusal(&self, status: reqwest::StatusCode, body: &str) -> SendError {
        let said = serde_json::from_str::<serde_json::Value>(body).unwrap_or_default();
        let error = format!("{status}: {}", clip(body.trim(), 300));
        if matches!(status.as_u16(), 408 | 425 | 429) || status.is_server_error() {
            return SendError::Transient(error);
        }
        let unreachable = match self.format {
            SmsFormat::Twilio => said["code"].as_i64().is_some_and(|c| TWILIO_UNREACHABLE.contains(&c)),
            SmsFormat::Json => {
                ["error", "code"].iter().any(|k| said[*k].as_str().is_some_and(|c| UNREACHABLE.contains(&c)))
            }
        };
        if unreachable { SendError::Bounced(error) } else { SendError::Permanent(error) }
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[async_trait]
impl Channel for HttpSms {
    async fn send(&self, message: Outgoing<'_>) -> Result<String, SendError> {
        let response = self
            .request(&message)
            .send()
            .await
            .map_err(|e| SendError::Transient(format!("the SMS provider is unreachable: {e}")))?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(self.refusal(status, &body));
        }
        let said = serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default();
        let key = if self.format == SmsFormat::Twilio { "sid" } else { "id" };
        let id = said[key].as_str().map_or_else(|| message.id.to_owned(), str::to_owned);
        (message.commit)(&id);
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_international_form() {
        assert_eq!(international("+49 30 1234-5678").as_deref(), Some("+493012345678"));
        assert_eq!(international("0044 (20) 7946.0958").as_deref(), Some("+442079460958"));
        assert_eq!(international("030 1234567"), None, "a national number has no country");
        assert_eq!(international("+1 555"), None, "too short");
        assert_eq!(international("+1234567890123456"), None, "too long");
        assert_eq!(international("+1 555 CALL NOW"), None);
    }

    #[test]
    fn only_https_leaves_the_machine() {
        assert!(HttpSms::new("http://sms.example.com/send", None, "Shop", SmsFormat::Json).is_err());
        assert!(HttpSms::new("http://127.0.0.1:9/send", None, "Shop", SmsFormat::Json).is_ok());
        let twilio = HttpSms::new("https://AC1:s%40cret@api.twilio.com/x", None, "Shop", SmsFormat::Twilio);
        let twilio = twilio.expect("https");
        assert_eq!(twilio.basic, Some(("AC1".into(), "s@cret".into())));
        assert_eq!(twilio.url.as_str(), "https://api.twilio.com/x", "credentials go in a header, not the URL");
    }

    #[test]
    fn refusals_read_as_the_provider_means_them() {
        let json = HttpSms::new("http://127.0.0.1:9/", None, "Shop", SmsFormat::Json).expect("url");
        let twilio = HttpSms::new("http://127.0.0.1:9/", None, "Shop", SmsFormat::Twilio).expect("url");
        let code = |n| reqwest::StatusCode::from_u16(n).expect("status");
        assert!(matches!(json.refusal(code(429), ""), SendError::Transient(_)));
        assert!(matches!(json.refusal(code(503), "busy"), SendError::Transient(_)));
        assert!(matches!(json.refusal(code(400), "{\"error\":\"bad_request\"}"), SendError::Permanent(_)));
        assert!(matches!(json.refusal(code(422), "{\"error\":\"invalid_number\"}"), SendError::Bounced(_)));
        assert!(matches!(twilio.refusal(code(400), "{\"code\":21211}"), SendError::Bounced(_)));
        assert!(matches!(twilio.refusal(code(401), "{\"code\":20003}"), SendError::Permanent(_)));
    }
}
