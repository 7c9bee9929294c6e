//! Identity routes: accounts, sessions, profiles, user administration, the JWKS.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::{Deserialize, Serialize};
use shop_proto::{common::v1 as common, identity::v1 as pb};
use shop_types::AddressInput;
use tonic::Request;
use utoipa::ToSchema;

use shop_platform::{ApiError, ErrorKind};

use crate::{
    auth::Authenticated,
    browser::{self, Mode},
    edge::EdgePolicy,
    error::{Problem, ProblemBody},
    ratelimit::{Decision, RateLimiter},
    routes::rfc3339,
    state::State,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    pub email: String,
    /// 8–128 characters, not a common password.
    pub password: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// 8 to 128 characters, not a commonly used password.
    pub new_password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    /// The session's refresh token (in cookie mode, the cookie's is used and this is left out).
    #[serde(default)]
    pub refresh_token: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub address: Option<AddressInput>,
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// `customer`, `vendor` or `admin`.
    pub role: &'static str,
    pub address: Option<AddressInput>,
    /// Whether the address was proven by following a link sent to it.
    pub email_verified: bool,
    /// Whether signing in takes a second factor.
    pub mfa_enabled: bool,
    /// RFC 3339.
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionView {
    pub user: UserView,
    pub access_token: String,
    /// Absent in cookie mode (`X-Shop-Session: cookie`): the refresh token is then an
    /// HttpOnly cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Always `Bearer`.
    pub token_type: String,
    /// Access token lifetime in seconds.
    pub expires_in: u32,
    /// A sign-in that enrolled a second factor: its one-time recovery codes, shown this once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recovery_codes: Vec<String>,
}

/// A sign-in that needs a second factor: finish it with `POST /api/v1/auth/second-factor`.
#[derive(Serialize, ToSchema)]
pub struct ChallengeView {
    /// Always true.
    pub second_factor_required: bool,
    pub challenge: String,
    /// An admin of a shop that requires a second factor, without one yet: get a secret with
    /// `POST /api/v1/auth/second-factor/enrol`, then finish with its first code.
    pub enrolment_required: bool,
    /// Seconds the challenge works (five wrong codes void it sooner).
    pub expires_in: u32,
}

/// The name of a role as the contract encodes it (unknown values read as customer).
fn role_name(role: i32) -> &'static str {
    let role = pb::Role::try_from(role).unwrap_or_default();
    shop_auth::Role::from_proto(role).map_or("customer", shop_auth::Role::as_str)
}

impl From<pb::User> for UserView {
    fn from(u: pb::User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            role: role_name(u.role),
            address: u.address.map(AddressInput::from),
            email_verified: u.email_verified,
            mfa_enabled: u.mfa_enabled,
            created_at: rfc3339(u.created_at),
        }
    }
}

impl From<pb::AuthResponse> for SessionView {
    fn from(r: pb::AuthResponse) -> Self {
        Self {
            user: r.user.unwrap_or_default().into(),
            access_token: r.access_token,
            refresh_token: Some(r.refresh_token),
            token_type: r.token_type,
            expires_in: r.expires_in,
            recovery_codes: r.recovery_codes,
        }
    }
}

pub fn session(status: actix_web::http::StatusCode, r: pb::AuthResponse) -> HttpResponse {
    if !r.second_factor_challenge.is_empty() {
        return HttpResponse::build(status).json(ChallengeView {
            second_factor_required: true,
            challenge: r.second_factor_challenge,
            enrolment_required: r.enrolment_required,
            expires_in: r.challenge_expires_in,
        });
    }
    HttpResponse::build(status).json(SessionView::from(r))
}

/// Creates a customer account and signs it in.
#[utoipa::path(tag = "identity", request_body = RegisterBody, responses(
    (status = 201, body = SessionView),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
    (status = 409, description = "email taken", body = ProblemBody, content_type = "application/problem+json"),
    (status = 429, body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/auth/register")]
pub async fn register(
    state: web::Data<State>,
    mode: Mode,
    body: web::Json<RegisterBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let request =
        pb::RegisterRequest { email: b.email, password: b.password, first_name: b.first_name, last_name: b.last_name };
    let r = state.clients.identity.clone().register(request).await?.into_inner();
    Ok(browser::answer(mode, actix_web::http::StatusCode::CREATED, r))
}

/// Signs in. Unknown email and wrong password get the same 401. After five failures in
/// fifteen minutes an account (known or not) takes one attempt every three minutes, from
/// any address: 429 with `Retry-After` until then.
#[utoipa::path(tag = "identity", request_body = LoginBody, responses(
    (status = 200, description = "the session; or, for an account with a second factor (or an admin who must have one), a `ChallengeView` to finish at `POST /api/v1/auth/second-factor`", body = SessionView),
    (status = 401, body = ProblemBody, content_type = "application/problem+json"),
    (status = 429, body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<State>,
    limiter: web::Data<dyn RateLimiter>,
    policy: web::Data<EdgePolicy>,
    mode: Mode,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let (account, rate) = (account_key(&b.email), policy.limits.account.rate());
    match limiter.peek(&account, rate).await {
        Decision::Allow => {}
        Decision::Deny { retry_after } => return Err(Problem::rate_limited(retry_after)),
        Decision::Unavailable => return Err(sign_in_paused()),
    }
    let request = pb::LoginRequest { email: b.email, password: b.password };
    match state.clients.identity.clone().login(request).await {
        Ok(r) => Ok(browser::answer(mode, actix_web::http::StatusCode::OK, r.into_inner())),
        Err(status) if status.code() == tonic::Code::Unauthenticated => {
            if limiter.check(&account, rate).await == Decision::Unavailable {
                return Err(sign_in_paused());
            }
            Err(status.into())
        }
        Err(status) => Err(status.into()),
    }
}

/// The limiter key of the account an email names (a digest: no address is stored in Redis).
pub fn account_key(email: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(email.trim().to_lowercase().as_bytes());
    format!("account:{}", digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>())
}

/// What sign-in answers while its limiter's store is unreachable: 503 (it fails closed).
pub fn sign_in_paused() -> Problem {
    Problem::new(ErrorKind::Unavailable, "sign-in is paused while its rate limiter is unreachable")
}

/// Trades a refresh token for a new pair; the old refresh token stops working.
#[utoipa::path(tag = "identity", request_body = RefreshBody, responses(
    (status = 200, body = SessionView),
    (status = 401, body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<State>,
    req: HttpRequest,
    mode: Mode,
    body: web::Json<RefreshBody>,
) -> Result<HttpResponse, Problem> {
    let refresh_token = given_refresh_token(&req, mode, body.into_inner())?;
    match state.clients.identity.clone().refresh(pb::RefreshRequest { refresh_token }).await {
        Ok(r) => Ok(browser::answer(mode, actix_web::http::StatusCode::OK, r.into_inner())),
        // A cookie that opens nothing any more is forgotten.
        Err(status) if mode == Mode::Cookie => {
            let mut refused = actix_web::ResponseError::error_response(&Problem::from(status));
            let _ = refused.add_cookie(&browser::cleared());
            Ok(refused)
        }
        Err(status) => Err(status.into()),
    }
}

/// The refresh token of a request: the body's, or in cookie mode the cookie's.
fn given_refresh_token(req: &HttpRequest, mode: Mode, body: RefreshBody) -> Result<String, Problem> {
    let given = match mode {
        Mode::Cookie => browser::refresh_token(req),
        Mode::Json => body.refresh_token,
    };
    given.ok_or_else(|| match mode {
        Mode::Cookie => ApiError::new(ErrorKind::Unauthenticated, "no session in this browser")
            .with_code("invalid_refresh_token")
            .into(),
        Mode::Json => Problem::invalid("refresh_token", "is required"),
    })
}

/// Ends the session: the refresh token (and every token rotated from it) is revoked.
#[utoipa::path(tag = "identity", request_body = RefreshBody, security(("bearer" = [])), responses(
    (status = 204),
    (status = 401, body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<State>,
    req: HttpRequest,
    mode: Mode,
    Authenticated(caller): Authenticated,
    body: web::Json<RefreshBody>,
) -> Result<HttpResponse, Problem> {
    let refresh_token = given_refresh_token(&req, mode, body.into_inner())?;
    let request = caller.authorize(Request::new(pb::LogoutRequest { refresh_token }));
    state.clients.identity.clone().logout(request).await?;
    let mut done = HttpResponse::NoContent();
    if mode == Mode::Cookie {
        done.cookie(browser::cleared());
    }
    Ok(done.finish())
}

/// Changes the caller's password, given the current one. Every session of the account
/// ends (its refresh tokens stop working) and the answer is a new session.
#[utoipa::path(tag = "identity", request_body = PasswordChange, security(("bearer" = [])), responses(
    (status = 200, body = SessionView),
    (status = 400, description = "a wrong current password, or a new one the rules refuse", body = ProblemBody, content_type = "application/problem+json"),
    (status = 401, body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<State>,
    mode: Mode,
    Authenticated(caller): Authenticated,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let request = pb::ChangePasswordRequest { current_password: b.current_password, new_password: b.new_password };
    let r = state.clients.identity.clone().change_password(caller.authorize(Request::new(request))).await?;
    Ok(browser::answer(mode, actix_web::http::StatusCode::OK, r.into_inner()))
}

/// The caller's own profile.
#[utoipa::path(tag = "identity", security(("bearer" = [])), responses(
    (status = 200, body = UserView),
    (status = 401, body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/me")]
pub async fn me(state: web::Data<State>, Authenticated(caller): Authenticated) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(Request::new(pb::GetUserRequest { user_id: String::new() }));
    let user = state.clients.identity.clone().get_user(request).await?.into_inner();
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}

/// Changes the caller's names or address (nothing else is settable).
#[utoipa::path(tag = "identity", request_body = ProfilePatch, security(("bearer" = [])), responses(
    (status = 200, body = UserView),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
    (status = 401, body = ProblemBody, content_type = "application/problem+json"),
))]
#[patch("/me")]
pub async fn update_me(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    body: web::Json<ProfilePatch>,
) -> Result<HttpResponse, Problem> {
    let b = body.into_inner();
    let request = pb::UpdateProfileRequest {
        first_name: b.first_name,
        last_name: b.last_name,
        address: b.address.map(common::Address::from),
    };
    let user = state.clients.identity.clone().update_profile(caller.authorize(Request::new(request))).await?;
    Ok(HttpResponse::Ok().json(UserView::from(user.into_inner())))
}

#[derive(Serialize, ToSchema)]
pub struct JwkView {
    pub kty: String,
    pub crv: String,
    pub kid: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub x: String,
}

#[derive(Serialize, ToSchema)]
pub struct JwksView {
    pub keys: Vec<JwkView>,
}

/// The public keys access tokens are signed with.
#[utoipa::path(tag = "identity", responses((status = 200, body = JwksView)))]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<State>) -> Result<HttpResponse, Problem> {
    let keys = state.clients.identity.clone().get_jwks(pb::GetJwksRequest {}).await?.into_inner().keys;
    let keys = keys
        .into_iter()
        .map(|k| JwkView { kty: k.kty, crv: k.crv, kid: k.kid, alg: k.alg, use_: k.r#use, x: k.x })
        .collect();
    Ok(HttpResponse::Ok().insert_header(("cache-control", "public, max-age=300")).json(JwksView { keys }))
}
