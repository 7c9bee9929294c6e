//! Signing in with an OpenID Connect provider: the configured providers, the start (a
//! redirect to the provider, with a binding cookie that ties the sign-in to this browser),
//! the callback (the platform's own session, as a password sign-in gives), and the
//! signed-in account's linked identities. The sign-in routes are limited per address like
//! the password's.

use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    cookie::{Cookie, SameSite, time::Duration},
    delete, get,
    http::{StatusCode, header},
    post, web,
};
use serde::{Deserialize, Serialize};
use shop_platform::{ApiError, ErrorKind};
use shop_proto::identity::v1 as pb;
use tonic::Request;
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::Authenticated,
    browser::{self, Mode},
    error::{Problem, ProblemBody},
    routes::{
        identity::{SessionView, session},
        rfc3339,
    },
    state::State,
};

/// The cookie that binds a begun sign-in to the browser that began it. `SameSite=None`:
/// a provider answering with `form_post` returns the browser with a cross-site POST.
const BINDING: &str = "shop_oidc";
const BINDING_PATH: &str = "/api/v1/auth/oidc";
/// How long a begun sign-in waits (as identity keeps it).
const BINDING_SECS: i64 = 600;
/// Where the web app wants the browser back after a sign-in begun in cookie mode.
const RETURN: &str = "shop_oidc_return";

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StartQuery {
    /// `cookie`: the web app's sign-in — the callback sets the session cookie (see
    /// `X-Shop-Session`) and sends the browser to `return_to`, or to `/sign-in` with the
    /// `error` code or the `#challenge=` of a second factor.
    pub mode: Option<String>,
    /// A path of the shop (`/account`); `/` when absent.
    pub return_to: Option<String>,
}

/// A path of this shop to send the browser to: never another site's (`//evil`, `/\\evil`).
fn own_path(raw: Option<String>) -> Result<String, Problem> {
    let path = raw.unwrap_or_else(|| "/".into());
    let fit = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && path.len() <= 512
        && !path.chars().any(char::is_control);
    if fit { Ok(path) } else { Err(Problem::invalid("return_to", "must be a path of this shop")) }
}

/// The web app's way back, when the sign-in began in cookie mode.
fn way_back(query: StartQuery) -> Result<Option<String>, Problem> {
    match query.mode.as_deref() {
        None | Some("json") => Ok(None),
        Some("cookie") => Ok(Some(own_path(query.return_to)?)),
        Some(_) => Err(Problem::invalid("mode", "must be cookie or json")),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProviderView {
    /// The shop's name for it, in the routes.
    pub name: String,
    /// What to write on its button.
    pub display_name: String,
    /// Where a browser starts signing in with it.
    pub start_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProvidersView {
    pub providers: Vec<ProviderView>,
}

#[derive(Deserialize, IntoParams, ToSchema)]
pub struct CallbackParams {
    pub state: Option<String>,
    pub code: Option<String>,
    /// The provider's refusal (`access_denied`…), instead of a code.
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub iss: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct IdentityView {
    pub id: String,
    pub provider: String,
    pub display_name: String,
    /// The address the provider gave when it was linked.
    pub email: String,
    pub linked_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct IdentitiesView {
    pub identities: Vec<IdentityView>,
    /// Whether the account signs in with a password too (without one, its last identity
    /// stays linked).
    pub password_set: bool,
}

#[derive(Serialize, ToSchema)]
pub struct LinkedView {
    /// The identity now linked to the signed-in account.
    pub linked: IdentityView,
}

#[derive(Serialize, ToSchema)]
pub struct AuthorizationView {
    /// Send the browser here (it keeps the binding cookie this answer set).
    pub authorization_url: String,
}

fn identity_view(i: pb::LinkedIdentity) -> IdentityView {
    IdentityView {
        id: i.id,
        provider: i.provider,
        display_name: i.display_name,
        email: i.email,
        linked_at: rfc3339(i.linked_at),
    }
}

fn identities_view(r: pb::Identities) -> IdentitiesView {
    IdentitiesView { identities: r.identities.into_iter().map(identity_view).collect(), password_set: r.password_set }
}

fn binding_cookie(value: &str, max_age: i64) -> Cookie<'_> {
    oidc_cookie(BINDING, value, max_age)
}

fn oidc_cookie<'a>(name: &'a str, value: &'a str, max_age: i64) -> Cookie<'a> {
    Cookie::build(name, value)
        .path(BINDING_PATH)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::None)
        .max_age(Duration::seconds(max_age))
        .finish()
}

/// The providers one may sign in with.
#[utoipa::path(tag = "identity", responses((status = 200, body = ProvidersView)))]
#[get("/auth/providers")]
pub async fn providers(state: web::Data<State>) -> Result<HttpResponse, Problem> {
    let r = state.clients.identity.clone().list_providers(pb::ListProvidersRequest {}).await?.into_inner();
    let providers = r
        .providers
        .into_iter()
        .map(|p| ProviderView {
            start_url: format!("/api/v1/auth/oidc/{}/start", p.name),
            name: p.name,
            display_name: p.display_name,
        })
        .collect();
    Ok(HttpResponse::Ok().json(ProvidersView { providers }))
}

/// Starts signing in with a provider: a redirect to it (state, nonce and a PKCE challenge
/// in the URL) and an HttpOnly cookie binding the sign-in to this browser for 10 minutes.
#[utoipa::path(tag = "identity", params(("provider" = String, Path), StartQuery), responses(
    (status = 302, description = "to the provider's sign-in page"),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
    (status = 404, description = "no such provider", body = ProblemBody, content_type = "application/problem+json"),
    (status = 503, description = "provider_unavailable", body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/auth/oidc/{provider}/start")]
pub async fn start(
    state: web::Data<State>,
    provider: web::Path<String>,
    query: web::Query<StartQuery>,
) -> Result<HttpResponse, Problem> {
    let back = way_back(query.into_inner())?;
    let request = pb::StartExternalSignInRequest { provider: provider.into_inner(), link: false };
    let started = state.clients.identity.clone().start_external_sign_in(request).await?.into_inner();
    let mut answer = HttpResponse::Found();
    answer
        .insert_header((header::LOCATION, started.authorization_url))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(binding_cookie(&started.binding, BINDING_SECS).into_owned());
    if let Some(back) = back {
        answer.cookie(oidc_cookie(RETURN, &back, BINDING_SECS).into_owned());
    }
    Ok(answer.finish())
}

/// Where the provider returns the browser (a GET, or a POST for `form_post` providers):
/// the platform's session — or a `ChallengeView` for an account with a second factor — or,
/// for a link begun at `POST /api/v1/me/identities/{provider}`, the identity linked. The
/// binding cookie must be this browser's; the state works once.
#[utoipa::path(tag = "identity", params(("provider" = String, Path), CallbackParams), responses(
    (status = 200, description = "the session (`SessionView` or `ChallengeView`), or a `LinkedView`", body = SessionView),
    (status = 401, description = "sign_in_failed (unknown, used or expired state, another browser, a refused code or ID token), provider_refused", body = ProblemBody, content_type = "application/problem+json"),
    (status = 409, description = "account_exists (the address is an account's and cannot be linked by it), identity_taken", body = ProblemBody, content_type = "application/problem+json"),
    (status = 422, description = "no_email", body = ProblemBody, content_type = "application/problem+json"),
))]
#[get("/auth/oidc/{provider}/callback")]
pub async fn callback(
    state: web::Data<State>,
    req: HttpRequest,
    provider: web::Path<String>,
    params: web::Query<CallbackParams>,
) -> HttpResponse {
    finish(&state, &req, provider.into_inner(), params.into_inner()).await
}

/// The callback of a provider that answers with `response_mode=form_post` (Apple's).
#[utoipa::path(tag = "identity", params(("provider" = String, Path)), request_body(content = CallbackParams, content_type = "application/x-www-form-urlencoded"), responses(
    (status = 200, description = "as the GET callback", body = SessionView),
    (status = 401, description = "sign_in_failed, provider_refused", body = ProblemBody, content_type = "application/problem+json"),
    (status = 415, description = "not a form", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/auth/oidc/{provider}/callback")]
pub async fn callback_form(
    state: web::Data<State>,
    req: HttpRequest,
    provider: web::Path<String>,
    params: web::Form<CallbackParams>,
) -> HttpResponse {
    finish(&state, &req, provider.into_inner(), params.into_inner()).await
}

/// What a provider's callback came to.
enum Outcome {
    SignIn(Box<pb::AuthResponse>),
    Linked(pb::LinkedIdentity),
}

async fn finish(state: &State, req: &HttpRequest, provider: String, params: CallbackParams) -> HttpResponse {
    let back = req.cookie(RETURN).map(|c| c.value().to_owned()).and_then(|b| own_path(Some(b)).ok());
    let finished = finished(state, req, provider, params).await;
    let mut answer = match (finished, back) {
        (Ok(Outcome::SignIn(auth)), None) => session(StatusCode::OK, *auth),
        (Ok(Outcome::Linked(linked)), None) => HttpResponse::Ok().json(LinkedView { linked: identity_view(linked) }),
        (Err(problem), None) => problem.error_response(),
        // Begun by the web app: the session as its cookie, the browser back in the app (a
        // second factor's challenge in the fragment, which no server sees).
        (Ok(Outcome::SignIn(auth)), Some(back)) if auth.second_factor_challenge.is_empty() => {
            let mut to = browser::answer(Mode::Cookie, StatusCode::SEE_OTHER, *auth);
            to.headers_mut().insert(header::LOCATION, location(&back));
            to
        }
        (Ok(Outcome::SignIn(auth)), Some(_)) => {
            let to = format!("/sign-in#challenge={}&enrol={}", auth.second_factor_challenge, auth.enrolment_required);
            see_other(&to)
        }
        (Ok(Outcome::Linked(_)), Some(back)) => see_other(&back),
        (Err(problem), Some(_)) => see_other(&format!("/sign-in?error={}", problem.body().code)),
    };
    // The binding has served (the state it guarded is spent either way).
    let _ = answer.add_removal_cookie(&binding_cookie("", 0));
    let _ = answer.add_removal_cookie(&oidc_cookie(RETURN, "", 0));
    answer.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    answer
}

fn location(path: &str) -> header::HeaderValue {
    header::HeaderValue::from_str(path).unwrap_or(header::HeaderValue::from_static("/"))
}

fn see_other(path: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location(path))).finish()
}

async fn finished(
    state: &State,
    req: &HttpRequest,
    provider: String,
    params: CallbackParams,
) -> Result<Outcome, Problem> {
    if let Some(error) = params.error {
        // The provider's own words are shown only when they are a plain error code.
        let plain = error.len() <= 64 && error.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let said = if plain { error.as_str() } else { "an error" };
        let refused = ApiError::new(ErrorKind::Unauthenticated, format!("the provider did not sign you in: {said}"))
            .with_code("provider_refused");
        return Err(refused.into());
    }
    let binding = req.cookie(BINDING).map(|c| c.value().to_owned()).unwrap_or_default();
    let request = pb::FinishExternalSignInRequest {
        provider,
        state: params.state.unwrap_or_default(),
        code: params.code.unwrap_or_default(),
        binding,
    };
    let r = state.clients.identity.clone().finish_external_sign_in(request).await?.into_inner();
    match (r.auth, r.linked) {
        (_, Some(linked)) => Ok(Outcome::Linked(linked)),
        (Some(auth), None) => Ok(Outcome::SignIn(Box::new(auth))),
        (None, None) => Err(Problem::new(ErrorKind::Internal, "identity answered nothing")),
    }
}

/// The caller's linked identities, and whether it has a password.
#[utoipa::path(tag = "identity", security(("bearer" = [])), responses((status = 200, body = IdentitiesView)))]
#[get("/me/identities")]
pub async fn list(state: web::Data<State>, Authenticated(caller): Authenticated) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(Request::new(pb::ListIdentitiesRequest {}));
    let r = state.clients.identity.clone().list_identities(request).await?.into_inner();
    Ok(HttpResponse::Ok().json(identities_view(r)))
}

/// Starts linking an identity at a provider to the caller's account: where to send the
/// browser (and the binding cookie); the callback answers with the identity linked, and
/// the account is told by mail.
#[utoipa::path(tag = "identity", params(("provider" = String, Path), StartQuery), security(("bearer" = [])), responses(
    (status = 200, body = AuthorizationView),
    (status = 400, body = ProblemBody, content_type = "application/problem+json"),
    (status = 404, description = "no such provider", body = ProblemBody, content_type = "application/problem+json"),
))]
#[post("/me/identities/{provider}")]
pub async fn link(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    provider: web::Path<String>,
    query: web::Query<StartQuery>,
) -> Result<HttpResponse, Problem> {
    let back = way_back(query.into_inner())?;
    let request = pb::StartExternalSignInRequest { provider: provider.into_inner(), link: true };
    let started =
        state.clients.identity.clone().start_external_sign_in(caller.authorize(Request::new(request))).await?;
    let started = started.into_inner();
    let mut answer = HttpResponse::Ok();
    answer.cookie(binding_cookie(&started.binding, BINDING_SECS).into_owned());
    if let Some(back) = back {
        answer.cookie(oidc_cookie(RETURN, &back, BINDING_SECS).into_owned());
    }
    Ok(answer
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(AuthorizationView { authorization_url: started.authorization_url }))
}

/// Unlinks one of the caller's identities — never its last way to sign in (409
/// `last_sign_in_method`: set a password first).
#[utoipa::path(tag = "identity", params(("id" = String, Path)), security(("bearer" = [])), responses(
    (status = 200, body = IdentitiesView),
    (status = 404, body = ProblemBody, content_type = "application/problem+json"),
    (status = 409, description = "last_sign_in_method", body = ProblemBody, content_type = "application/problem+json"),
))]
#[delete("/me/identities/{id}")]
pub async fn unlink(
    state: web::Data<State>,
    Authenticated(caller): Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let request = caller.authorize(Request::new(pb::UnlinkIdentityRequest { id: id.into_inner() }));
    let r = state.clients.identity.clone().unlink_identity(request).await?.into_inner();
    Ok(HttpResponse::Ok().json(identities_view(r)))
}
