//! The account flows that go through a mailed link: proving the address, and setting a
//! forgotten password. Link mails are limited per account (`rate_limits.mail`), so nobody
//! can flood a mailbox through the shop.

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use shop_proto::identity::v1 as pb;
use tonic::Request;
use utoipa::ToSchema;

use crate::{
    auth::Authenticated,
    edge::EdgePolicy,
    error::{Problem, ProblemBody},
    ratelimit::{Decision, RateLimiter},
    routes::identity::{UserView, account_key},
    state::State,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkToken {
    /// The `token` of the link the mail carried.
    pub token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChange {
    pub current_password: String,
    pub new_email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    /// The `token` of the reset link.
    pub token: String,
    /// 8 to 128 characters, not a commonly used password.
    pub new_password: String,
}

/// Proves the account's address with the token of the link mailed to it. A link works
/// once, for 24 hours.
#[utoipa::path(tag = "identity", request_body = LinkToken, responses(
    (status = 200, description = "the account, its address now verified", body = UserView),
    (status = 400, description = "the link is invalid, used or expired", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/auth/verify-email")]
pub async fn verify_email(state: web::Data<State>, body: web::Json<LinkToken>) -> Result<HttpResponse, Problem> {
    let request = pb::VerifyEmailRequest { token: body.into_inner().token };
    let user = state.clients.identity.clone().verify_email(request).await?.into_inner();
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}

/// Mails the caller a new verification link (the earlier ones stop working). 204 also when
/// the address is verified already: nothing is sent then.
#[utoipa::path(tag = "identity", security(("bearer" = [])), responses(
    (status = 204),
    (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    (status = 429, description = "a link was mailed moments ago", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/auth/verify-email/resend")]
pub async fn resend_verification(
    state: web::Data<State>,
    limiter: web::Data<dyn RateLimiter>,
    policy: web::Data<EdgePolicy>,
    Authenticated(caller): Authenticated,
) -> Result<HttpResponse, Problem> {
    match limiter.check(&format!("mail:user:{}", caller.user_id), policy.limits.mail.rate()).await {
        Decision::Deny { retry_after } => return Err(Problem::rate_limited(retry_after)),
        Decision::Allow | Decision::Unavailable => {}
    }
    let request = caller.authorize(Request::new(pb::RequestEmailVerificationRequest {}));
    state.clients.identity.clone().request_email_verification(request).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mails a password reset link (valid 30 minutes, once) to the account with this email.
/// Always 202, whether such an account exists or not: the answer tells nobody which
/// addresses have accounts.
#[utoipa::path(tag = "identity", request_body = ResetRequest, responses(
    (status = 202),
    (status = 429, body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/auth/password-reset")]
pub async fn request_password_reset(
    state: web::Data<State>,
    limiter: web::Data<dyn RateLimiter>,
    policy: web::Data<EdgePolicy>,
    body: web::Json<ResetRequest>,
) -> Result<HttpResponse, Problem> {
    let email = body.into_inner().email;
    // Past the account's limit the answer is the same 202, and nothing is sent.
    let key = format!("mail:{}", account_key(&email));
    if limiter.check(&key, policy.limits.mail.rate()).await == Decision::Allow {
        state.clients.identity.clone().request_password_reset(pb::RequestPasswordResetRequest { email }).await?;
    }
    Ok(HttpResponse::Accepted().finish())
}

/// Sets a new password with the token of a reset link. Every session of the account ends
/// (sign in with the new password) and every other reset link stops working.
#[utoipa::path(tag = "identity", request_body = ResetConfirm, responses(
    (status = 204),
    (status = 400, description = "the link is invalid, used or expired, or the password breaks the rules", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/auth/password-reset/confirm")]
pub async fn confirm_password_reset(
    state: web::Data<State>,
    body: web::Json<ResetConfirm>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let request = pb::ResetPasswordRequest { token: b.token, new_password: b.new_password };
    state.clients.identity.clone().reset_password(request).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Asks to move the caller's account to a new address (the current password required): a
/// confirmation link goes to the new address, a notice to the current one; the address
/// changes when the link is followed (24 hours, once).
#[utoipa::path(tag = "identity", request_body = EmailChange, security(("bearer" = [])), responses(
    (status = 202),
    (status = 400, description = "a wrong current password, or a new address that is not one", body = ProblemBody, content_type = "application/problem+json"),
    (status = 409, description = "email_taken", body = ProblemBody, content_type = "application/problem+json"),
    (status = 429, description = "a link was mailed moments ago", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/me/email")]
pub async fn request_email_change(
    state: web::Data<State>,
    limiter: web::Data<dyn RateLimiter>,
    policy: web::Data<EdgePolicy>,
    Authenticated(caller): Authenticated,
    body: web::Json<EmailChange>,
) -> Result<HttpResponse, Problem> {
    // Only a link mailed counts against the limit: a refused request sends nothing.
    let (key, rate) = (format!("mail:user:{}", caller.user_id), policy.limits.mail.rate());
    if let Decision::Deny { retry_after } = limiter.peek(&key, rate).await {
        return Err(Problem::rate_limited(retry_after));
    }
    let b = body.into_inner();
    let request = pb::RequestEmailChangeRequest { current_password: b.current_password, new_email: b.new_email };
    state.clients.identity.clone().request_email_change(caller.authorize(Request::new(request))).await?;
    limiter.check(&key, rate).await;
    Ok(HttpResponse::Accepted().finish())
}

/// Moves the account to the address its confirmation link was mailed to.
#[utoipa::path(tag = "identity", request_body = LinkToken, responses(
    (status = 200, description = "the account at its new address", body = UserView),
    (status = 400, description = "the link is invalid, used or expired", body = ProblemBody, content_type = "application/problem+json"),
    (status = 409, description = "email_taken: the address was taken meanwhile", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/auth/confirm-email")]
pub async fn confirm_email_change(
    state: web::Data<State>,
    body: web::Json<LinkToken>,
) -> Result<HttpResponse, Problem> {
    let request = pb::VerifyEmailRequest { token: body.into_inner().token };
    let user = state.clients.identity.clone().confirm_email_change(request).await?.into_inner();
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}
