//! The operations endpoints: health, readiness and Prometheus metrics; the OpenAPI document,
//! which lists exactly the routes the router serves; the interactive docs.

use std::collections::BTreeSet;

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    let reply = app.send(app.client.get(app.url("/healthz"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["status"], "ok");
    let reply = app.send(app.client.get(app.url("/readyz"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["status"], "ready");

    // Traffic first, so the counters exist.
    app.send(app.client.get(app.url("/nope"))).await;
    app.signup("ada@example.com", "Ada").await;
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    let counter = |route: &str| {
        text.lines().any(|l| l.starts_with("http_requests_total{") && l.contains(&format!("route=\"{route}\"")))
    };
    assert!(counter("/healthz"), "{text}");
    assert!(counter("/v1/users"), "the route template, not the raw path: {text}");
    assert!(
        text.lines().any(|l| l.starts_with("http_request_duration_seconds_bucket{") && l.contains("le=")),
        "{text}"
    );
    // Unknown paths do not each become a label value (unbounded cardinality).
    assert!(!text.contains("route=\"/nope\""), "{text}");
}

/// Every `(method, path)` declared with `#[utoipa::path(...)]` in crates/roster-http/src/routes.
fn declared_operations() -> BTreeSet<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../roster-http/src/routes");
    let mut operations = BTreeSet::new();
    // Every .rs file of the folder and its subfolders (routes/users/, routes/accounts/, …).
    let mut folders = vec![dir];
    let mut files = Vec::new();
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("routes folder") {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    for path in files {
        let source = std::fs::read_to_string(&path).unwrap();
        for attribute in source.split("#[utoipa::path(").skip(1) {
            let method = attribute.split(',').next().unwrap().trim().to_owned();
            let after = attribute.split_once("path = \"").unwrap_or_else(|| panic!("a path in {}", path.display())).1;
            let route = after.split('"').next().unwrap().to_owned();
            operations.insert((method, route));
        }
        // A route added with plain axum would be served but not documented.
        assert!(!source.contains(".route(\""), "{}: register routes with utoipa_axum's routes!()", path.display());
    }
    assert!(operations.len() >= 10, "{operations:?}");
    operations
}

#[tokio::test]
async fn openapi_document_lists_every_route_the_router_serves() {
    let app = spawn_app().await;
    let reply = app.send(app.client.get(app.url("/openapi.json"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    let spec = reply.body;
    assert!(spec["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", spec["openapi"]);
    assert!(spec["info"]["title"].is_string());

    let declared = declared_operations();
    let documented: BTreeSet<(String, String)> = spec["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            let methods = ["get", "put", "post", "delete", "patch", "head", "options"];
            methods
                .into_iter()
                .filter(|m| item.get(*m).is_some())
                .map(|m| (m.to_owned(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(documented, declared, "the OpenAPI document and the route files disagree");

    // And the router really serves each of them (logout last: it ends the session).
    let (_, token, _) = app.member("ada@example.com", "Ada").await;
    let mut operations: Vec<&(String, String)> = declared.iter().collect();
    operations.sort_by_key(|(_, path)| path.ends_with("/logout"));
    for (method, path) in operations {
        let concrete: String = path
            .split('/')
            .map(|segment| if segment.starts_with('{') { uuid::Uuid::now_v7().to_string() } else { segment.to_owned() })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let body = matches!(method, Method::POST | Method::PUT).then(|| json!({}));
        let reply = app.call(method.clone(), &concrete, Some(&token), body).await;
        assert_ne!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        // The router's fallback says "no such route"; a handler's 404 speaks of a resource.
        assert!(
            !(reply.status == StatusCode::NOT_FOUND && reply.body["detail"] == "no such route"),
            "{method} {path} is not routed"
        );
    }
}

#[tokio::test]
async fn interactive_docs_answer() {
    let app = spawn_app().await;
    let mut url = app.url("/docs");
    for _ in 0..3 {
        let response = app.client.get(&url).send().await.unwrap();
        if response.status().is_redirection() {
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            url = if location.starts_with('/') {
                app.url(&location)
            } else {
                format!("{}/{location}", url.trim_end_matches('/'))
            };
            continue;
        }
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        assert!(html.to_lowercase().contains("<html"), "{html}");
        return;
    }
    panic!("/docs redirects in circles");
}
