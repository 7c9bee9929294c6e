//! The SMS channel against a real HTTP provider on loopback (`scripts/smtp-sink`'s SMS
//! API), in both request shapes: what the provider is sent (number, sender, text,
//! credentials, idempotency key), a repeated message taken once, and each kind of refusal
//! read as the provider means it.

use std::sync::Mutex;

use shop_notification::{
    channels::{Channel, Outgoing, SendError},
    domain::Content,
    sms::{HttpSms, SmsFormat},
};
use shop_test_support::{free_port, smtp::SmtpSink};

fn content(text: &str) -> Content {
    Content { subject: "Order shipped".into(), text: format!("{text}\n"), html: String::new(), link: None }
}

/// Sends one text; the result, and the provider id the sender was told to note.
async fn send(channel: &HttpSms, id: &str, to: &str, text: &str) -> (Result<String, SendError>, Option<String>) {
    let noted = Mutex::new(None);
    let commit = |provider_id: &str| *noted.lock().unwrap() = Some(provider_id.to_owned());
    let content = content(text);
    let outgoing = Outgoing { id, channel: "sms", to, content: &content, commit: &commit };
    let result = channel.send(outgoing).await;
    (result, noted.into_inner().unwrap())
}

#[tokio::test]
async fn texts_reach_a_json_provider_once_with_its_token() {
    let sink = SmtpSink::start().await;
    let channel = HttpSms::new(&sink.sms_url("json"), Some("sk_test_1"), "Shop", SmsFormat::Json).unwrap();
    let (sent, noted) = send(&channel, "m-1", "+493012345678", "Your order is on its way").await;
    let provider_id = sent.unwrap();
    assert_eq!(noted.as_deref(), Some(provider_id.as_str()), "the id is noted before it is recorded");
    // The same message again (a retry after a lost answer): the provider takes it once.
    let (again, _) = send(&channel, "m-1", "+493012345678", "Your order is on its way").await;
    assert_eq!(again.unwrap(), provider_id);
    let texts = sink.texts().await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    let text = &texts[0];
    assert_eq!((text.format.as_str(), text.to.as_str(), text.from.as_str()), ("json", "+493012345678", "Shop"));
    assert_eq!(text.text, "Your order is on its way", "trimmed");
    assert_eq!(text.idempotency_key.as_deref(), Some("m-1"));
    assert_eq!(text.authorization.as_deref(), Some("Bearer sk_test_1"));

    sink.refuse_texts(&[429], "{\"error\": \"rate_limited\"}").await;
    assert!(matches!(send(&channel, "m-2", "+15550100", "x").await, (Err(SendError::Transient(_)), None)));
    sink.refuse_texts(&[422], "{\"error\": \"invalid_number\"}").await;
    assert!(matches!(send(&channel, "m-3", "+15550100", "x").await.0, Err(SendError::Bounced(_))));
    sink.refuse_texts(&[400], "{\"error\": \"text_too_long\"}").await;
    assert!(matches!(send(&channel, "m-4", "+15550100", "x").await.0, Err(SendError::Permanent(_))));
    // After refusals, the message is taken on its next attempt.
    assert!(send(&channel, "m-2", "+15550100", "x").await.0.is_ok());
    assert_eq!(sink.texts().await.len(), 2);
}

#[tokio::test]
async fn texts_reach_a_twilio_shaped_provider_with_the_account_in_basic_auth() {
    let sink = SmtpSink::start().await;
    let channel = HttpSms::new(&sink.sms_url("twilio"), None, "+15005550006", SmsFormat::Twilio).unwrap();
    let (sent, _) = send(&channel, "m-1", "+442079460958", "Shipped & on its way: 100% +1").await;
    let sid = sent.unwrap();
    let texts = sink.texts().await;
    assert_eq!((texts[0].id.as_str(), texts[0].format.as_str()), (sid.as_str(), "twilio"));
    assert_eq!(texts[0].text, "Shipped & on its way: 100% +1", "form-encoded faithfully");
    assert_eq!(texts[0].from, "+15005550006");
    // AC0001:twilio-secret
    assert_eq!(texts[0].authorization.as_deref(), Some("Basic QUMwMDAxOnR3aWxpby1zZWNyZXQ="));
    sink.refuse_texts(&[400], "{\"code\": 21614, \"message\": \"not a mobile number\"}").await;
    assert!(matches!(send(&channel, "m-2", "+15550100", "x").await.0, Err(SendError::Bounced(_))));
    sink.refuse_texts(&[401], "{\"code\": 20003, \"message\": \"authenticate\"}").await;
    assert!(matches!(send(&channel, "m-3", "+15550100", "x").await.0, Err(SendError::Permanent(_))));
}

#[tokio::test]
async fn an_unreachable_provider_is_worth_another_attempt() {
    let url = format!("http://127.0.0.1:{}/sms", free_port());
    let channel = HttpSms::new(&url, None, "Shop", SmsFormat::Json).unwrap();
    assert!(matches!(send(&channel, "m-1", "+15550100", "x").await, (Err(SendError::Transient(_)), None)));
}
