//! The web app, embedded at build time (see `build.rs`): hashed assets under `/assets/`
//! cached for a year, every other page the app's `index.html` (never cached), with the
//! product's or category's own title, description and Open Graph tags written into the
//! HTML the server returns, so link previews and crawlers see them without JavaScript.
//! A strict Content-Security-Policy: the shop's own scripts and styles only, nothing inline.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{Method, header},
    web,
};
use shop_proto::catalog::v1 as pb;

use crate::state::State;

/// Where shoppers reach the shop, when configured (`SHOP_PUBLIC_URL`, no trailing slash).
pub struct Site {
    pub public_url: Option<String>,
}

impl Site {
    pub fn new(public_url: Option<&str>) -> Self {
        Self { public_url: public_url.map(|u| u.trim_end_matches('/').to_owned()).filter(|u| !u.is_empty()) }
    }
}

/// One file of the built app, and its gzip copy when it has one.
pub struct Asset {
    pub path: &'static str,
    pub body: &'static [u8],
    pub gzip: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// What the app's pages may load: its own files; images from anywhere over HTTPS (products'
/// images are URLs); the API on the same origin.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; \
     font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

const HEAD_START: &str = "<!--shop:head-->";
const HEAD_END: &str = "<!--/shop:head-->";

pub fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// Whether the app was embedded (a machine without Node.js builds the gateway without it).
pub fn built() -> bool {
    asset("/index.html").is_some()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "webmanifest" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|e| e.trim().split(';').next() == Some("gzip")))
}

/// A file of the app as it is (hashed names never change: cached for a year).
fn file(req: &HttpRequest, found: &Asset) -> HttpResponse {
    let cache =
        if found.path.starts_with("/assets/") { "public, max-age=31536000, immutable" } else { "public, max-age=3600" };
    let mut answer = HttpResponse::Ok();
    answer
        .content_type(content_type(found.path))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::VARY, "Accept-Encoding"));
    match found.gzip.filter(|_| accepts_gzip(req)) {
        Some(gzip) => answer.insert_header((header::CONTENT_ENCODING, "gzip")).body(gzip),
        None => answer.body(found.body),
    }
}

/// Whether `path` is the app's, not the API's or an operator's.
fn is_page(path: &str) -> bool {
    !["/api/", "/healthz", "/readyz", "/metrics", "/.well-known/"]
        .iter()
        .any(|p| path.starts_with(p) || path == p.trim_end_matches('/'))
}

/// What a page is about, for its `<head>`.
struct Head {
    title: String,
    description: String,
    image: Option<String>,
    kind: &'static str,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters of `text`, on one line.
fn short(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}

fn render_head(head: &Head, url: Option<&str>) -> String {
    let (title, description) = (escape(&short(&head.title, 120)), escape(&short(&head.description, 300)));
    let mut tags = format!(
        "<title>{title} · Shop</title>\n    <meta name=\"description\" content=\"{description}\" />\n    \
         <meta property=\"og:type\" content=\"{}\" />\n    <meta property=\"og:title\" content=\"{title}\" />\n    \
         <meta property=\"og:description\" content=\"{description}\" />",
        head.kind,
    );
    // Only a configured address: one taken from the request's Host would be the caller's word.
    if let Some(url) = url {
        tags.push_str(&format!("\n    <meta property=\"og:url\" content=\"{}\" />", escape(url)));
    }
    if let Some(image) = head.image.as_deref().filter(|i| i.starts_with("https://")) {
        tags.push_str(&format!("\n    <meta property=\"og:image\" content=\"{}\" />", escape(image)));
    }
    tags
}

/// The head of the page at `path`, when it is a product's or a category's that exists.
async fn head_of(state: &State, path: &str) -> Option<Head> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["products", named] if !named.is_empty() && named.len() <= 200 => {
            // As anyone sees it (a draft has no page), through the API's product cache.
            let body = crate::routes::products::product_json(state, None, product_id(named)).await.ok()?;
            let product: serde_json::Value = serde_json::from_slice(&body).ok()?;
            let text = |field: &str| product[field].as_str().unwrap_or_default().to_owned();
            Some(Head {
                title: text("name"),
                description: text("description"),
                image: product["images"][0]["url"].as_str().map(str::to_owned),
                kind: "product",
            })
        }
        ["c", slug] if !slug.is_empty() && slug.len() <= 100 => {
            let found = state.clients.catalog.clone().list_categories(pb::ListCategoriesRequest {}).await.ok()?;
            let category = find(&found.into_inner().roots, slug)?.clone();
            Some(Head {
                title: category.name,
                description: category.description,
                image: Some(category.image).filter(|i| !i.is_empty()),
                kind: "website",
            })
        }
        _ => None,
    }
}

/// The product id a page's `<slug>-<id>` (or bare id) names.
fn product_id(named: &str) -> &str {
    const ID: usize = 36;
    let tail = named.len().checked_sub(ID).and_then(|at| named.get(at..));
    match tail {
        Some(id)
            if uuid::Uuid::try_parse(id).is_ok() && (named.len() == ID || named[..named.len() - ID].ends_with('-')) =>
        {
            id
        }
        _ => named,
    }
}

fn find<'a>(categories: &'a [pb::Category], slug: &str) -> Option<&'a pb::Category> {
    categories.iter().find_map(|c| if c.slug == slug && c.active { Some(c) } else { find(&c.children, slug) })
}

/// `index.html` for `path`, its head written for what the page shows.
async fn page(state: &State, req: &HttpRequest, index: &Asset) -> HttpResponse {
    let html = String::from_utf8_lossy(index.body);
    let html = match (head_of(state, req.path()).await, html.find(HEAD_START), html.find(HEAD_END)) {
        (Some(head), Some(start), Some(end)) if start < end => {
            let site = req.app_data::<web::Data<Site>>();
            let url = site.and_then(|s| s.public_url.as_deref()).map(|base| format!("{base}{}", req.path()));
            let head = render_head(&head, url.as_deref());
            format!("{}\n    {head}\n    {}", &html[..start + HEAD_START.len()], &html[end..])
        }
        _ => html.into_owned(),
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .body(html)
}

/// What `/` says when the app was not embedded.
fn not_built() -> HttpResponse {
    let why = escape(NOT_BUILT);
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Shop</title></head><body>\
         <h1>The shop is running; its web app was not built</h1><p>{why}.</p>\
         <p>Install Node.js 20 or later (it brings npm), then run <code>cargo run --release</code> again: \
         the build builds the app and the gateway serves it here.</p>\
         <p>The REST API works meanwhile: <a href=\"/api/openapi.json\">/api/openapi.json</a>.</p></body></html>"
    ))
}

/// Serves the app's files and pages; anything else is the API's not-found.
pub async fn serve(state: web::Data<State>, req: HttpRequest) -> Result<HttpResponse, crate::error::Problem> {
    let path = req.path();
    if !(req.method() == Method::GET || req.method() == Method::HEAD) || !is_page(path) {
        return crate::routes::not_found(req).await;
    }
    if let Some(found) = asset(path).filter(|a| a.path != "/index.html") {
        return Ok(file(&req, found));
    }
    if path.starts_with("/assets/") {
        // An asset of an older build: the page asking for it must be reloaded.
        return crate::routes::not_found(req).await;
    }
    match asset("/index.html") {
        Some(index) => Ok(page(&state, &req, index).await),
        None => Ok(not_built()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_page_is_named_by_its_slug_and_id_or_its_id() {
        let id = "01920000-0000-7000-8000-0000000000f0";
        assert_eq!(product_id(&format!("field-brass-table-lamp-{id}")), id);
        assert_eq!(product_id(id), id);
        assert_eq!(product_id("lamp"), "lamp");
        assert_eq!(product_id(&format!("x{id}")), format!("x{id}"), "the id follows a hyphen");
    }

    #[test]
    fn what_a_page_says_is_escaped_and_bounded() {
        let head = Head {
            title: "<script>alert(1)</script>".into(),
            description: "a \"quoted\" & long ".repeat(40),
            image: Some("javascript:alert(1)".into()),
            kind: "product",
        };
        let html = render_head(&head, None);
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"), "{html}");
        assert!(!html.contains("og:image") && !html.contains("og:url"), "only https images, only a configured URL");
        assert!(html.contains("&quot;quoted&quot; &amp;"));
    }
}
