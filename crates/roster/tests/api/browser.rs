//! The link pages in a real browser: Debian's headless Chromium driven by Playwright
//! (tests/browser/links.mjs). Ignored by the plain suite; `scripts/browser-test` installs
//! Chromium and playwright-core and runs them (CI does).

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::helpers::{TestApp, spawn_app_with_mail};
use crate::sinks::SmtpSink;

const NEW: &str = "seven lanterns by the old mill road";

/// Run the driver in `mode` on the page of `link` (as mailed: its base replaced by the app's).
fn drive(app: &TestApp, mode: &str, link: &str, rest: &[&str]) {
    let after_scheme = &link[link.find("://").unwrap() + 3..];
    let path = &after_scheme[after_scheme.find('/').unwrap()..];
    let url = format!("{}{path}", app.address);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    let out = Command::new("node")
        .current_dir(&dir)
        .arg("links.mjs")
        .arg(mode)
        .arg(&url)
        .args(rest)
        .output()
        .expect("node runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && stdout.trim() == "ok", "links.mjs {mode}: {stdout}\n{stderr}");
}

fn link_of(smtp: &SmtpSink, path: &str) -> String {
    smtp.messages().into_iter().rev().find_map(|m| m.link(path)).unwrap_or_else(|| panic!("a {path} link"))
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and playwright-core: scripts/browser-test"]
async fn in_chromium_opening_the_verification_link_verifies_nothing_and_the_button_does() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    app.drain().await;
    let profile = app.url("/v1/users/profile");
    let link = link_of(&smtp, "verify-email");
    tokio::task::block_in_place(|| drive(&app, "verify", &link, &[&profile, &token]));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and playwright-core: scripts/browser-test"]
async fn in_chromium_opening_the_link_to_an_added_address_confirms_nothing_and_the_button_does() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    let body = json!({"email": "ada@work.example", "password": crate::helpers::PASSWORD});
    assert_eq!(app.put("/v1/users/email", &token, body).await.status, reqwest::StatusCode::ACCEPTED);
    app.drain().await;
    let profile = app.url("/v1/users/profile");
    let link = link_of(&smtp, "confirm-email");
    tokio::task::block_in_place(|| drive(&app, "confirm", &link, &[&profile, &token, "ada@work.example"]));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and playwright-core: scripts/browser-test"]
async fn in_chromium_the_reset_form_checks_its_fields_and_sets_the_password() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    app.post("/v1/users/recovery", None, json!({"email": "ada@example.com"})).await;
    app.drain().await;
    let link = link_of(&smtp, "reset-password");
    tokio::task::block_in_place(|| drive(&app, "reset", &link, &[NEW]));
    let login = app.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": NEW})).await;
    assert_eq!(login.status, reqwest::StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and playwright-core: scripts/browser-test"]
async fn in_chromium_an_invitation_is_accepted_with_a_new_password() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let admin = app.login("ada@example.com").await;
    app.post("/v1/users", Some(&admin), json!({"email": "grace@example.com", "name": "Grace"})).await;
    app.drain().await;
    let link = link_of(&smtp, "accept-invite");
    tokio::task::block_in_place(|| drive(&app, "invite", &link, &[NEW]));
    let login = app.post("/v1/auth/login", None, json!({"email": "grace@example.com", "password": NEW})).await;
    assert_eq!(login.status, reqwest::StatusCode::OK);
    assert_eq!(login.body["user"]["status"], "active");
}
