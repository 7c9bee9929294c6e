//! What the shop sends: for admins the delivery log, resending a message, and the dev
//! mailbox that holds the messages of a shop with no mail server or SMS provider
//! configured; for every account its own choice of optional notices.

use actix_web::{HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use shop_proto::notification::v1 as pb;
use tonic::Request;
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::{Admin, Authenticated},
    error::{Problem, ProblemBody},
    routes::{Page, PageQuery, rfc3339},
    state::State,
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MessagesQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    /// The previous page's `next_cursor` (instead of `page`).
    pub cursor: Option<String>,
    /// Only messages in this status: `pending`, `sent`, `failed`, `dead` or `suppressed`.
    pub status: Option<String>,
    /// Only messages to this address.
    pub recipient: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageView {
    pub id: String,
    /// The event the message answers (`resend:<id>` for a resend).
    pub event_id: String,
    pub template: String,
    pub channel: String,
    pub recipient: String,
    pub user_id: String,
    /// `pending`, `sent`, `failed` (refused for good), `dead` (every attempt failed) or
    /// `suppressed` (the address bounced before).
    pub status: &'static str,
    pub attempts: u32,
    pub provider_message_id: String,
    pub last_error: String,
    pub subject: String,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
}

fn status_name(status: i32) -> &'static str {
    match pb::MessageStatus::try_from(status).unwrap_or_default() {
        pb::MessageStatus::Pending => "pending",
        pb::MessageStatus::Sent => "sent",
        pb::MessageStatus::Failed => "failed",
        pb::MessageStatus::Dead => "dead",
        pb::MessageStatus::Suppressed => "suppressed",
        pb::MessageStatus::Unspecified => "unknown",
    }
}

impl From<pb::Message> for MessageView {
    fn from(m: pb::Message) -> Self {
        Self {
            status: status_name(m.status),
            id: m.id,
            event_id: m.event_id,
            template: m.template,
            channel: m.channel,
            recipient: m.recipient,
            user_id: m.user_id,
            attempts: m.attempts,
            provider_message_id: m.provider_message_id,
            last_error: m.last_error,
            subject: m.subject,
            created_at: rfc3339(m.created_at),
            updated_at: rfc3339(m.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MailView {
    pub id: String,
    /// `email`, or `sms` (a text message: `to` is a phone number, `text` what it says).
    pub channel: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// RFC 3339.
    pub sent_at: String,
}

/// The delivery log, newest first (admin): what was sent to whom, and how delivery went.
#[utoipa::path(tag = "admin", params(MessagesQuery), security(("bearer" = ["admin"])), responses(
    (status = 200, body = Page<MessageView>),
))]
#[get("/admin/notifications/messages")]
pub async fn list_messages(
    state: web::Data<State>,
    Admin(caller): Admin,
    query: web::Query<MessagesQuery>,
) -> Result<HttpResponse, Problem> {
    let q = query.into_inner();
    let status = match q.status.as_deref() {
        None => pb::MessageStatus::Unspecified,
        Some(s) => pb::MessageStatus::from_str_name(&format!("MESSAGE_STATUS_{}", s.to_uppercase()))
            .filter(|s| *s != pb::MessageStatus::Unspecified)
            .ok_or_else(|| Problem::invalid("status", "one of pending, sent, failed, dead, suppressed"))?,
    };
    let request = pb::ListMessagesRequest {
        page: Some(PageQuery { page: q.page, per_page: q.per_page, cursor: q.cursor }.validate()?),
        status: status.into(),
        recipient: q.recipient.unwrap_or_default(),
    };
    let r = state.clients.notification.clone().list_messages(caller.authorize(Request::new(request))).await?;
    let r = r.into_inner();
    let info = r.page.unwrap_or_default();
    Ok(HttpResponse::Ok().json(Page::new(r.messages.into_iter().map(MessageView::from).collect(), &info)))
}

/// Sends a message again, as a new delivery of the same content (admin).
#[utoipa::path(tag = "admin", params(("id" = String, Path, description = "Message id")),
    security(("bearer" = ["admin"])), responses(
        (status = 200, description = "the new delivery", body = MessageView),
        (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    ))]
#[post("/admin/notifications/messages/{id}/resend")]
pub async fn resend(
    state: web::Data<State>,
    Admin(caller): Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let request = pb::ResendRequest { message_id: id.into_inner() };
    let sent = state.clients.notification.clone().resend(caller.authorize(Request::new(request))).await?;
    Ok(HttpResponse::Ok().json(MessageView::from(sent.into_inner())))
}

/// The dev mailbox, newest first (admin): the mail of a shop with no mail server
/// configured (`SHOP_SMTP_URL`) and the text messages of one with no SMS provider
/// (`SHOP_SMS_URL`), with each message's content — follow a verification or reset link
/// from here.
#[utoipa::path(tag = "admin", params(PageQuery), security(("bearer" = ["admin"])), responses(
    (status = 200, body = Page<MailView>),
))]
#[get("/admin/mailbox")]
pub async fn mailbox(
    state: web::Data<State>,
    Admin(caller): Admin,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, Problem> {
    let request = pb::ListMailboxRequest { page: Some(query.into_inner().validate()?) };
    let r = state.clients.notification.clone().list_mailbox(caller.authorize(Request::new(request))).await?;
    let r = r.into_inner();
    let info = r.page.unwrap_or_default();
    let mail = r
        .messages
        .into_iter()
        .map(|m| MailView {
            id: m.id,
            channel: m.channel,
            to: m.to,
            subject: m.subject,
            text: m.text,
            html: m.html,
            sent_at: rfc3339(m.sent_at),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page::new(mail, &info)))
}

/// An account's choice of optional notices. Transactional mail (address and reset links,
/// order confirmations, cancellations, refunds) always goes.
#[derive(Serialize, ToSchema)]
pub struct PreferencesView {
    /// A text message when an order ships (to the phone of the parcel's address, else the
    /// account's). Off unless chosen.
    pub shipping_sms: bool,
    /// The low-stock digest of vendors and admins. On unless declined.
    pub stock_digest: bool,
    /// Where text messages go: the phone of the account's address in international form;
    /// null when it has none (`shipping_sms` cannot be chosen then).
    pub sms_to: Option<String>,
    /// RFC 3339; null until the account first chose.
    pub updated_at: Option<String>,
}

impl From<pb::Preferences> for PreferencesView {
    fn from(p: pb::Preferences) -> Self {
        Self {
            shipping_sms: p.shipping_sms,
            stock_digest: p.stock_digest,
            sms_to: (!p.sms_to.is_empty()).then_some(p.sms_to),
            updated_at: p.updated_at.is_some().then(|| rfc3339(p.updated_at)),
        }
    }
}

/// The choices to change; those left out stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesChange {
    pub shipping_sms: Option<bool>,
    pub stock_digest: Option<bool>,
}

/// The caller's choice of optional notices.
#[utoipa::path(tag = "identity", security(("bearer" = [])), responses(
    (status = 200, body = PreferencesView),
    (status = 401, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/me/notifications")]
pub async fn get_preferences(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(Request::new(pb::GetPreferencesRequest {}));
    let chosen = state.clients.notification.clone().get_preferences(request).await?;
    Ok(HttpResponse::Ok().json(PreferencesView::from(chosen.into_inner())))
}

/// Changes the caller's choice of optional notices.
#[utoipa::path(tag = "identity", request_body = PreferencesChange, security(("bearer" = [])), responses(
    (status = 200, description = "the choices now", body = PreferencesView),
    (status = 400, description = "an unknown field, or `shipping_sms` without a phone number in international form in the account's address", body = ProblemBody, content_type = "application/problem+json"),
    (status = 401, body = ProblemBody, content_type = "application/problem+json"),
))]
#[put("/me/notifications")]
pub async fn update_preferences(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    body: web::Json<PreferencesChange>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let change = pb::UpdatePreferencesRequest { shipping_sms: b.shipping_sms, stock_digest: b.stock_digest };
    let chosen = state.clients.notification.clone().update_preferences(caller.authorize(Request::new(change))).await?;
    Ok(HttpResponse::Ok().json(PreferencesView::from(chosen.into_inner())))
}
