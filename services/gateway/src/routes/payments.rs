//! The payment provider's callbacks.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Serialize;
use shop_proto::payment::v1 as pb;
use utoipa::ToSchema;

use crate::{
    error::{Problem, ProblemBody},
    state::State,
};

#[derive(Serialize, ToSchema)]
pub struct WebhookReceipt {
    pub received: bool,
}

/// Takes a provider callback: signed (`Payment-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
/// "t.body">`), at most five minutes old, applied once per event id.
#[utoipa::path(tag = "payments", request_body(content = String, content_type = "application/json"), responses(
    (status = 200, body = WebhookReceipt),
    (status = 400, description = "bad signature, stale or malformed", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/payments/webhook")]
pub async fn webhook(state: web::Data<State>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, Problem> {
    let signature = req.headers().get("payment-signature").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let request = pb::HandleWebhookRequest { payload: body.to_vec(), signature };
    state.clients.payment.clone().handle_webhook(request).await?;
    Ok(HttpResponse::Ok().json(WebhookReceipt { received: true }))
}
