//! The OpenAPI document, generated from the handlers' annotations, and the bundled docs UI
//! (served from the binary, so `/docs` works with no network).

use std::sync::{Arc, OnceLock};

use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;
use crate::routes;

mod examples;
mod finish;
pub(crate) mod lazy;

#[derive(OpenApi)]
#[openapi(
    info(title = "Roster", description = "Self-hosted user management: users, accounts, roles, sessions.\n\nErrors are `application/problem+json` with a stable `code`. Lists are `{data, next_cursor, total?}` with opaque cursors, each bound to its list, sort and filters (a cursor of another list → 400). Every POST accepts `Idempotency-Key`. A request that carries `Authorization`, `X-Account-Id`, `Idempotency-Key` or `Content-Type` more than once is ambiguous → 400 `bad_request`."),
    modifiers(&BearerAuth),
    tags((name = "users"), (name = "auth"), (name = "accounts"), (name = "admin"), (name = "announcements"), (name = "operations"))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("opaque").build()),
        );
    }
}

/// Every route of the API. Inside [`lazy::documented`] it carries the whole document; outside,
/// only what serving needs.
pub fn api_router() -> OpenApiRouter<AppState> {
    let base = if lazy::documenting() { OpenApiRouter::with_openapi(ApiDoc::openapi()) } else { OpenApiRouter::new() };
    base.merge(routes::users::router())
        .merge(routes::auth::router())
        .merge(routes::accounts::router())
        .merge(routes::admin::router())
        .merge(routes::announcements::router())
        .merge(routes::health::router())
}

pub use finish::Facts;

/// The finished document: what the routes declare, plus the rules every operation shares.
pub fn document(spec: &utoipa::openapi::OpenApi, facts: &Facts) -> serde_json::Value {
    let mut doc = serde_json::to_value(spec).unwrap_or_default();
    finish::finish(&mut doc, facts);
    doc
}

/// `/openapi.json` and the docs UI at `/docs`. The document is finished on its first request,
/// not at start-up: building it takes several MB that an idle process would otherwise keep.
pub fn docs(facts: Facts) -> axum::Router {
    let finished: Arc<OnceLock<String>> = Arc::default();
    let ui: axum::Router = SwaggerUi::new("/docs").config(utoipa_swagger_ui::Config::new(["/openapi.json"])).into();
    ui.route(
        "/openapi.json",
        axum::routing::get(move || {
            let finished = Arc::clone(&finished);
            async move {
                let json = finished.get_or_init(|| {
                    let (_, spec) = lazy::documented(api_router).split_for_parts();
                    document(&spec, &facts).to_string()
                });
                ([(axum::http::header::CONTENT_TYPE, "application/json")], json.clone())
            }
        }),
    )
}

#[cfg(test)]
mod tests;
