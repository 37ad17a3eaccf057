//! The files every page loads, compiled into the binary: our stylesheet (light and dark themes),
//! the icon, the console's small script, and htmx 2.0.11 (BSD Zero Clause, `assets/htmx.LICENSE`). Each is served under a name that
//! carries a digest of its content, so it may be cached for a year and a new build is never
//! served an old copy.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use roster_http::AppState;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: [Asset; 4] = [
    Asset { name: "roster.css", content_type: "text/css; charset=utf-8", body: include_bytes!("../assets/roster.css") },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/htmx.min.js"),
    },
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/console.js"),
    },
    Asset { name: "favicon.svg", content_type: "image/svg+xml", body: include_bytes!("../assets/favicon.svg") },
];

/// `name` → `/assets/STEM.DIGEST.EXT`, the path pages link to.
static PATHS: LazyLock<Vec<(&'static str, String)>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let (stem, ext) = a.name.split_once('.').unwrap_or((a.name, ""));
            (a.name, format!("/assets/{stem}.{:016x}.{ext}", fnv1a(a.body)))
        })
        .collect()
});

/// The path of an asset, for templates.
pub(crate) fn path(name: &str) -> &'static str {
    PATHS.iter().find(|(n, _)| *n == name).map_or("/assets/missing", |(_, p)| p.as_str())
}

/// FNV-1a, 64 bits: a cache-busting fingerprint, not a security measure.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/assets/{file}", get(asset))
}

async fn asset(Path(file): Path<String>) -> Response {
    let requested = format!("/assets/{file}");
    let Some(index) = PATHS.iter().position(|(_, p)| *p == requested) else {
        return crate::security::page_headers(crate::render::not_found()).await;
    };
    let asset = &ASSETS[index];
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        asset.body,
    )
        .into_response()
}
