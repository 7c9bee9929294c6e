//! Sessions in a browser (the web app's "cookie mode"): the refresh token never reaches a
//! script — it lives in an `HttpOnly; Secure; SameSite=Strict` cookie scoped to the auth
//! routes — and the access token lives in the page's memory. A request asks for cookie mode
//! with the header `X-Shop-Session: cookie`, which a cross-site form cannot send and a
//! cross-site script cannot send without a CORS preflight this gateway never grants; and
//! its `Origin` must be the shop's own. Without the header, the JSON mode is unchanged.

use std::future::{Ready, ready};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse,
    cookie::{Cookie, SameSite, time::Duration},
    dev::Payload,
    http::{StatusCode, header},
    web,
};
use shop_platform::{ApiError, ErrorKind};
use shop_proto::identity::v1 as pb;

use crate::{
    error::Problem,
    routes::identity::{SessionView, session},
    webapp::Site,
};

/// The header that asks for cookie mode, and its one value.
pub const MODE_HEADER: &str = "x-shop-session";
const COOKIE_MODE: &str = "cookie";
/// The refresh token's cookie, sent only to the auth routes.
pub const REFRESH_COOKIE: &str = "shop_refresh";
const REFRESH_PATH: &str = "/api/v1/auth";

/// How a sign-in's tokens travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Both tokens in the JSON body (apps, scripts, other servers).
    Json,
    /// The refresh token in an HttpOnly cookie, the access token in the body.
    Cookie,
}

/// Whether `origin` (an `Origin` header) is the shop's own: `SHOP_PUBLIC_URL`'s, else the
/// address the request was sent to.
fn own_origin(req: &HttpRequest, origin: &str) -> bool {
    match req.app_data::<web::Data<Site>>().and_then(|s| s.public_url.clone()) {
        Some(public) => url::Url::parse(&public).is_ok_and(|u| u.origin().ascii_serialization() == origin),
        None => {
            let info = req.connection_info();
            origin == format!("{}://{}", info.scheme(), info.host())
        }
    }
}

impl Mode {
    pub fn of(req: &HttpRequest) -> Result<Self, Problem> {
        let Some(asked) = req.headers().get(MODE_HEADER) else { return Ok(Self::Json) };
        if asked.as_bytes() != COOKIE_MODE.as_bytes() {
            return Err(Problem::invalid(MODE_HEADER, "the one mode is `cookie`"));
        }
        let origin = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok());
        if !origin.is_some_and(|o| own_origin(req, o)) {
            let refused = ApiError::new(ErrorKind::PermissionDenied, "a cookie session is for the shop's own pages")
                .with_code("cross_origin");
            return Err(refused.into());
        }
        Ok(Self::Cookie)
    }
}

impl FromRequest for Mode {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::of(req))
    }
}

fn refresh_cookie(token: String, max_age_secs: u32) -> Cookie<'static> {
    Cookie::build(REFRESH_COOKIE, token)
        .path(REFRESH_PATH)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .max_age(Duration::seconds(i64::from(max_age_secs)))
        .finish()
}

/// The refresh cookie's removal (sign-out, a refused refresh).
pub fn cleared() -> Cookie<'static> {
    let mut gone = refresh_cookie(String::new(), 0);
    gone.make_removal();
    gone
}

/// The refresh token the browser holds.
pub fn refresh_token(req: &HttpRequest) -> Option<String> {
    req.cookie(REFRESH_COOKIE).map(|c| c.value().to_owned()).filter(|v| !v.is_empty())
}

/// A sign-in's answer in `mode`. In cookie mode the refresh token is set as the cookie and
/// left out of the body; a second-factor challenge is answered as in JSON mode.
pub fn answer(mode: Mode, status: StatusCode, mut r: pb::AuthResponse) -> HttpResponse {
    if mode == Mode::Json || !r.second_factor_challenge.is_empty() {
        return session(status, r);
    }
    let token = std::mem::take(&mut r.refresh_token);
    let lasting = r.refresh_expires_in;
    let mut view = SessionView::from(r);
    view.refresh_token = None;
    HttpResponse::build(status)
        .cookie(refresh_cookie(token, lasting))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view)
}
