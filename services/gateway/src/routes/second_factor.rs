//! The second factor (TOTP): finishing a sign-in with a code of the app (or a recovery
//! code), enrolling — by the account, or at sign-in by an admin who must have one — and
//! turning it off. The sign-in routes here are limited per address like the password's.

use actix_web::{HttpResponse, http::StatusCode, post, web};
use serde::{Deserialize, Serialize};
use shop_proto::identity::v1 as pb;
use tonic::Request;
use utoipa::ToSchema;

use crate::{
    auth::Authenticated,
    browser::{self, Mode},
    error::{Problem, ProblemBody},
    routes::identity::SessionView,
    state::State,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorBody {
    /// The sign-in's `challenge`.
    pub challenge: String,
    /// A code of the authenticator app (six digits)…
    pub code: Option<String>,
    /// …or one of the account's recovery codes (each works once).
    pub recovery_code: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeBody {
    pub challenge: String,
}

#[derive(Serialize, ToSchema)]
pub struct TotpView {
    /// Base32, to type into the app.
    pub secret: String,
    /// `otpauth://totp/…`, for a QR code.
    pub otpauth_uri: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub current_password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    pub code: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableBody {
    pub current_password: String,
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct RecoveryCodesView {
    /// Ten one-time codes that stand in for the app: shown this once, kept only hashed.
    pub recovery_codes: Vec<String>,
}

/// Finishes a sign-in with a code of the app, or a recovery code: the session (with the
/// recovery codes when this sign-in enrolled the factor). A code works once; five wrong
/// ones void the challenge.
#[utoipa::path(tag = "identity", request_body = SecondFactorBody, responses(
    (status = 200, body = SessionView),
    (status = 401, description = "invalid_code, or invalid_challenge (unknown, used up or expired)", body = ProblemBody, content_type = "application/problem+json"),
    (status = 429, body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/auth/second-factor")]
pub async fn complete(
    state: web::Data<State>,
    mode: Mode,
    body: web::Json<SecondFactorBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let request = pb::CompleteSecondFactorRequest {
        challenge: b.challenge,
        code: b.code.unwrap_or_default(),
        recovery_code: b.recovery_code.unwrap_or_default(),
    };
    let r = state.clients.identity.clone().complete_second_factor(request).await?.into_inner();
    Ok(browser::answer(mode, StatusCode::OK, r))
}

/// For an admin who must have a second factor and has none: a secret, given its sign-in
/// challenge; finish the sign-in with the app's first code to turn it on.
#[utoipa::path(tag = "identity", request_body = ChallengeBody, responses(
    (status = 200, body = TotpView),
    (status = 401, description = "invalid_challenge", body = ProblemBody, content_type = "application/problem+json"),
    (status = 409, description = "second_factor_on", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/auth/second-factor/enrol")]
pub async fn enrol_at_sign_in(
    state: web::Data<State>,
    body: web::Json<ChallengeBody>,
) -> Result<HttpResponse, Problem> {
    let request = pb::EnrolAtSignInRequest { challenge: body.into_inner().challenge };
    let t = state.clients.identity.clone().enrol_at_sign_in(request).await?.into_inner();
    Ok(HttpResponse::Ok().json(TotpView { secret: t.secret, otpauth_uri: t.otpauth_uri }))
}

/// Starts the caller's second factor (its current password given): a secret for the app.
/// It is on once `POST /api/v1/me/mfa/totp/confirm` gets a first code.
#[utoipa::path(tag = "identity", request_body = PasswordBody, security(("bearer" = [])), responses(
    (status = 200, body = TotpView),
    (status = 400, description = "a wrong current password", body = ProblemBody, content_type = "application/problem+json"),
    (status = 409, description = "second_factor_on", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/me/mfa/totp")]
pub async fn begin(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    body: web::Json<PasswordBody>,
) -> Result<HttpResponse, Problem> {
    let request = pb::BeginTotpRequest { current_password: body.into_inner().current_password };
    let t = state.clients.identity.clone().begin_totp(caller.authorize(Request::new(request))).await?.into_inner();
    Ok(HttpResponse::Ok().json(TotpView { secret: t.secret, otpauth_uri: t.otpauth_uri }))
}

/// Turns the caller's second factor on with a first code of the app: its recovery codes.
#[utoipa::path(tag = "identity", request_body = CodeBody, security(("bearer" = [])), responses(
    (status = 200, body = RecoveryCodesView),
    (status = 401, description = "invalid_code", body = ProblemBody, content_type = "application/problem+json"),
    (status = 409, description = "no_enrolment", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/me/mfa/totp/confirm")]
pub async fn confirm(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    body: web::Json<CodeBody>,
) -> Result<HttpResponse, Problem> {
    let request = pb::ConfirmTotpRequest { code: body.into_inner().code };
    let r = state.clients.identity.clone().confirm_totp(caller.authorize(Request::new(request))).await?.into_inner();
    Ok(HttpResponse::Ok().json(RecoveryCodesView { recovery_codes: r.codes }))
}

/// Turns the caller's second factor off (current password and a code). An admin of a shop
/// that requires one keeps it (403).
#[utoipa::path(tag = "identity", request_body = DisableBody, security(("bearer" = [])), responses(
    (status = 204),
    (status = 400, description = "a wrong current password", body = ProblemBody, content_type = "application/problem+json"),
    (status = 401, description = "invalid_code", body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, description = "second_factor_required", body = ProblemBody, content_type = "application/problem+json"),
    (status = 409, description = "no_enrolment", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/me/mfa/totp/disable")]
pub async fn disable(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    body: web::Json<DisableBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let request = pb::DisableTotpRequest { current_password: b.current_password, code: b.code };
    state.clients.identity.clone().disable_totp(caller.authorize(Request::new(request))).await?;
    Ok(HttpResponse::NoContent().finish())
}
