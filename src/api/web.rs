//! The web frontends: the owner's console at `/console/` and the brand's storefront at `/shop/`,
//! two single-page apps built from `web/` (`make web`) into `web/dist/{console,shop}/`.
//!
//! Release builds embed `web/dist` (rust-embed); debug builds read it from disk at run time, so
//! `make web` needs no recompile. Built without the assets, both paths answer a 503 page that
//! says how to build them.
//!
//! Every response carries a Content-Security-Policy without `'unsafe-inline'`: scripts and
//! styles come only from this origin, so an injected `<script>` never runs. Hashed assets
//! (`assets/*`, content hash in the name) are cached for a year as immutable; `index.html` is
//! `no-cache` (revalidated by its ETag), so a deploy is seen at the next navigation. A path
//! that names no file and has no extension is a deep link of the app and gets its
//! `index.html`; a missing asset is a 404.

use poem::{
    Endpoint, Request, Response,
    http::{HeaderValue, Method, StatusCode, header},
};

use crate::error::ApiError;

#[derive(rust_embed::Embed)]
#[folder = "web/dist"]
#[allow_missing = true]
struct Assets;

/// The policy of every page and asset: nothing inline, nothing from another origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `Cache-Control` of a file whose name carries its content hash.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// One of the two apps, served under `/{name}/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebApp {
    Console,
    Shop,
}

impl WebApp {
    pub fn name(self) -> &'static str {
        match self {
            WebApp::Console => "console",
            WebApp::Shop => "shop",
        }
    }
}

/// The endpoint to nest at `/console` or `/shop`: GET and HEAD only.
pub fn endpoint(app: WebApp) -> impl Endpoint<Output = Response> {
    poem::endpoint::make(move |req: Request| async move { serve(app, &req) })
}

fn serve(app: WebApp, req: &Request) -> poem::Result<Response> {
    let mut resp = respond(app, req)?;
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    Ok(resp)
}

/// The file for the request, or the problem (405 for a write, 404 for a missing asset), which
/// the error policy renders as problem+json.
fn respond(app: WebApp, req: &Request) -> poem::Result<Response> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(poem::Error::from_status(StatusCode::METHOD_NOT_ALLOWED));
    }
    let prefix = format!("/{}", app.name());
    let full = req.original_uri().path();
    let Some(rest) = full.strip_prefix(&prefix) else {
        return Err(ApiError::not_found("no such page").into());
    };
    // `/console` -> `/console/`, so the app's relative URLs resolve under its base.
    if rest.is_empty() {
        return Ok(Response::builder()
            .status(StatusCode::PERMANENT_REDIRECT)
            .header(header::LOCATION, format!("{prefix}/"))
            .finish());
    }
    let rest = rest.trim_start_matches('/');
    // Debug builds read files from disk: a `..` segment never reaches the file lookup (rust-embed
    // refuses paths outside its folder too; this keeps it out of the deep-link fallback).
    if !is_plain_path(rest) {
        return Err(ApiError::not_found(format!("no file {prefix}/{rest}")).into());
    }
    let index = format!("{}/index.html", app.name());
    let Some(index_file) = Assets::get(&index) else {
        return Ok(not_built(app));
    };
    let wanted = format!("{}/{rest}", app.name());
    let (file, path) = match Assets::get(&wanted) {
        Some(file) if !rest.is_empty() && !rest.ends_with('/') => (file, wanted),
        _ if looks_like_a_file(rest) => {
            return Err(ApiError::not_found(format!("no file {prefix}/{rest}")).into());
        }
        // A deep link of the app (`/shop/products/12`): its page, routed in the browser.
        _ => (index_file, index),
    };
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    let cache = if path.contains("/assets/") {
        IMMUTABLE
    } else {
        "no-cache"
    };
    let not_modified = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let builder = Response::builder()
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, etag);
    if not_modified {
        return Ok(builder.status(StatusCode::NOT_MODIFIED).finish());
    }
    let body = file.data.into_owned();
    Ok(builder
        .header(header::CONTENT_TYPE, content_type(&path))
        .body(body))
}

/// What `brandhouse check-web` found: each app's page and the hashed assets it references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetReport {
    /// Whether the files are inside the binary (release builds) or read from `web/dist` at run
    /// time (debug builds).
    pub embedded: bool,
    /// Per app: its name and the assets its `index.html` references, all present.
    pub apps: Vec<(&'static str, Vec<String>)>,
}

/// Checks that this binary can serve both apps: each `index.html` is there and every asset it
/// references under `/{app}/assets/` is there too, with a content type other than bytes. A
/// release image runs this after its build (Dockerfile), so a binary built before `make web`
/// (whose pages would be the "not built" 503) never ships.
pub fn check_assets() -> Result<AssetReport, String> {
    let mut apps = Vec::new();
    let mut problems = Vec::new();
    for app in [WebApp::Console, WebApp::Shop] {
        let index = format!("{}/index.html", app.name());
        let Some(page) = Assets::get(&index) else {
            problems.push(format!(
                "{index} is missing (run `make web` before building)"
            ));
            continue;
        };
        let html = String::from_utf8_lossy(&page.data);
        let refs = asset_references(app, &html);
        if refs.is_empty() {
            problems.push(format!(
                "{index} references no asset under /{}/assets/",
                app.name()
            ));
        }
        for r in &refs {
            let path = format!("{}/{r}", app.name());
            if Assets::get(&path).is_none() {
                problems.push(format!("{index} references {r}, which is missing"));
            } else if content_type(&path) == "application/octet-stream" {
                problems.push(format!("{path} has no known content type"));
            }
        }
        apps.push((app.name(), refs));
    }
    if problems.is_empty() {
        Ok(AssetReport {
            embedded: cfg!(not(debug_assertions)),
            apps,
        })
    } else {
        Err(problems.join("; "))
    }
}

/// The `assets/...` paths a page references as `"/{app}/assets/..."` (Vite's output), in order,
/// each once.
fn asset_references(app: WebApp, html: &str) -> Vec<String> {
    let prefix = format!("/{}/", app.name());
    let mut refs: Vec<String> = Vec::new();
    for (at, _) in html.match_indices(&format!("\"{prefix}assets/")) {
        let start = at + 1 + prefix.len();
        let Some(len) = html[start..].find('"') else {
            continue;
        };
        let r = html[start..start + len].to_owned();
        if !refs.contains(&r) {
            refs.push(r);
        }
    }
    refs
}

/// A relative path of plain segments: no `.`/`..` segment, no backslash, no NUL.
fn is_plain_path(rest: &str) -> bool {
    !rest.contains(['\\', '\0']) && rest.split('/').all(|seg| seg != ".." && seg != ".")
}

/// A last path segment with an extension names a file (`app.js`), not a page of the app.
fn looks_like_a_file(rest: &str) -> bool {
    rest.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

/// The content types Vite's output uses; anything else is served as bytes (with `nosniff`).
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The binary was built (or started, in a debug build) without `web/dist`.
fn not_built(app: WebApp) -> Response {
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>brandhouse: \
         {name} not built</title></head><body><h1>The {name} is not built</h1><p>This \
         brandhouse binary has no web assets. Run <code>make web</code> (npm ci and vite build \
         into web/dist), then rebuild or restart; <code>make demo</code> does both.</p>\
         </body></html>",
        name = app.name()
    );
    Response::builder()
        .status(StatusCode::SERVICE_UNAVAILABLE)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_assets_and_pages_get_their_content_types() {
        assert_eq!(
            content_type("shop/assets/index-AbC123.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("shop/index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("console/assets/x.CSS"),
            "text/css; charset=utf-8"
        );
        assert_eq!(content_type("x"), "application/octet-stream");
    }

    #[test]
    fn a_deep_link_is_a_page_and_a_dotted_name_a_file() {
        assert!(!looks_like_a_file("products/12"));
        assert!(!looks_like_a_file(""));
        assert!(looks_like_a_file("assets/missing.js"));
        assert!(looks_like_a_file("favicon.ico"));
    }

    #[test]
    fn a_path_that_climbs_out_is_refused() {
        assert!(is_plain_path("assets/index-1.js"));
        assert!(is_plain_path("brands/fiber-x/orders"));
        assert!(!is_plain_path("../../Cargo.toml"));
        assert!(!is_plain_path("assets/../index.html"));
        assert!(!is_plain_path("assets\\..\\x"));
    }

    #[test]
    fn a_page_s_asset_references_are_found_once_each() {
        let html = r#"<script type="module" crossorigin src="/shop/assets/index-Ab1.js"></script>
<link rel="stylesheet" crossorigin href="/shop/assets/index-Cd2.css">
<link rel="icon" href="/shop/logo.svg"><script src="/shop/assets/index-Ab1.js"></script>
<a href="/console/assets/other.js">"#;
        assert_eq!(
            asset_references(WebApp::Shop, html),
            vec!["assets/index-Ab1.js", "assets/index-Cd2.css"]
        );
        assert!(asset_references(WebApp::Console, "<p>no assets</p>").is_empty());
    }

    #[test]
    fn the_policy_allows_no_inline_script() {
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
        assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self'"));
    }
}
