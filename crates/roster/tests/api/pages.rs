//! The pages behind the emailed links (API.md §8), over plain HTTP: a GET never spends a token,
//! the form's POST does, from our own origin only; the security headers of every page. The
//! same pages are driven in a real browser by tests/browser (scripts/browser-test).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app_with_mail};
use crate::sinks::SmtpSink;

struct Page {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    html: String,
}

async fn get(app: &TestApp, path: &str) -> Page {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    Page { status, headers, html: response.text().await.unwrap() }
}

async fn post(app: &TestApp, path: &str, origin: Option<&str>, form: &[(&str, &str)]) -> Page {
    let body = form.iter().map(|(k, v)| format!("{k}={}", crate::helpers::enc(v))).collect::<Vec<_>>().join("&");
    let mut request =
        app.client.post(app.url(path)).header("Content-Type", "application/x-www-form-urlencoded").body(body);
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    Page { status, headers, html: response.text().await.unwrap() }
}

fn token_of(smtp: &SmtpSink, path: &str) -> String {
    smtp.messages().into_iter().rev().find_map(|m| m.token(path)).unwrap_or_else(|| panic!("a {path} link"))
}

#[tokio::test]
async fn opening_a_verification_link_verifies_nothing_and_its_button_does() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let session = app.login("ada@example.com").await;
    app.drain().await;
    let token = token_of(&smtp, "verify-email");
    let path = format!("/verify-email?token={}", crate::helpers::enc(&token));

    for _ in 0..2 {
        let page = get(&app, &path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains(">Verify email</button>"), "{}", page.html);
        assert!(page.html.contains(&format!("value=\"{token}\"")), "the form carries the token");
    }
    assert_eq!(app.get("/v1/users/profile", &session).await.body["email_verified"], false, "a GET spends nothing");

    // The POST must come from our own pages.
    let form = [("token", token.as_str())];
    assert_eq!(post(&app, "/verify-email", None, &form).await.status, StatusCode::FORBIDDEN);
    assert_eq!(post(&app, "/verify-email", Some("https://evil.example"), &form).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/v1/users/profile", &session).await.body["email_verified"], false);

    let done = post(&app, "/verify-email", Some(&app.address), &form).await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.html.contains("Your email address is verified"), "{}", done.html);
    assert_eq!(app.get("/v1/users/profile", &session).await.body["email_verified"], true);
    let again = post(&app, "/verify-email", Some(&app.address), &form).await;
    assert!(again.html.contains("expired or was already used") && again.html.contains("new verification email"));
    let reopened = get(&app, &path).await;
    assert!(reopened.html.contains("expired or was already used") && !reopened.html.contains("<button"));
}

#[tokio::test]
async fn every_page_forbids_scripts_framing_and_foreign_referrers() {
    let (app, _smtp) = spawn_app_with_mail().await;
    for path in [
        "/verify-email?token=x",
        "/reset-password?token=x",
        "/accept-invite?token=x",
        "/confirm-email?token=x",
        "/verify-email",
    ] {
        let page = get(&app, path).await;
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(page.headers["referrer-policy"], "same-origin");
        assert_eq!(page.headers["x-frame-options"], "DENY");
        assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
        let inline_script = page.html.split("<script").skip(1).any(|tag| !tag.trim_start().starts_with("src="));
        assert!(!inline_script && !page.html.contains("style="), "{path}: no inline script or style");
        assert!(page.html.contains("expired or was already used"), "{path}: an unknown token is a spent link");
    }
    let page = get(&app, "/sign-in").await;
    let href = page.html.split("rel=\"stylesheet\" href=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let css = app.client.get(app.url(&href)).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.headers()["cache-control"].to_str().unwrap().contains("immutable"), "named by its content");
}

#[tokio::test]
async fn the_reset_form_checks_both_fields_and_the_policy_beside_them() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    app.post("/v1/users/recovery", None, json!({"email": "ada@example.com"})).await;
    app.drain().await;
    let token = token_of(&smtp, "reset-password");
    let page = get(&app, &format!("/reset-password?token={}", crate::helpers::enc(&token))).await;
    for needle in [
        "<label for=\"new_password\">New password</label>",
        "<label for=\"confirm_password\">Confirm password</label>",
        ">Set password</button>",
    ] {
        assert!(page.html.contains(needle), "{needle}: {}", page.html);
    }
    assert!(!page.html.contains("mfa_code"), "no code field without MFA");

    let new = "seven lanterns by the old mill road";
    let origin = Some(app.address.as_str());
    let mismatch = post(
        &app,
        "/reset-password",
        origin,
        &[("token", &token), ("new_password", new), ("confirm_password", "other")],
    )
    .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(mismatch.html.contains("id=\"confirm_password_error\">The two passwords are not the same."));
    let weak = post(
        &app,
        "/reset-password",
        origin,
        &[("token", &token), ("new_password", "short"), ("confirm_password", "short")],
    )
    .await;
    assert!(weak.html.contains("id=\"new_password_error\">"), "{}", weak.html);
    let done =
        post(&app, "/reset-password", origin, &[("token", &token), ("new_password", new), ("confirm_password", new)])
            .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(done.html.contains("Your password is set"));
    let login = app.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": new})).await;
    assert_eq!(login.status, StatusCode::OK);
    let old = app.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": PASSWORD})).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_invitation_form_activates_the_invited_user() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let admin = app.login("ada@example.com").await;
    app.post("/v1/users", Some(&admin), json!({"email": "grace@example.com", "name": "Grace"})).await;
    app.drain().await;
    let token = token_of(&smtp, "accept-invite");
    let page = get(&app, &format!("/accept-invite?token={}", crate::helpers::enc(&token))).await;
    assert!(page.html.contains(">Accept invitation</button>"));
    let new = "seven lanterns by the old mill road";
    let form = [("token", token.as_str()), ("new_password", new), ("confirm_password", new)];
    let done = post(&app, "/accept-invite", Some(&app.address), &form).await;
    assert!(done.html.contains("Your account is ready"), "{}", done.html);
    let login = app.post("/v1/auth/login", None, json!({"email": "grace@example.com", "password": new})).await;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(login.body["user"]["status"], "active");
}

#[tokio::test]
async fn with_mfa_on_the_reset_form_asks_for_a_code_beside_its_field() {
    let (app, smtp) = spawn_app_with_mail().await;
    let ada = app.signup("ada@example.com", "Ada").await;
    app.verify_email(ada["id"].as_str().unwrap()).await;
    let session = app.login("ada@example.com").await;
    let (seed, _) = crate::mfa::enrol(&app, &session).await;
    app.clock.advance(time::Duration::seconds(30));
    app.post("/v1/users/recovery", None, json!({"email": "ada@example.com"})).await;
    app.drain().await;
    let token = token_of(&smtp, "reset-password");
    let page = get(&app, &format!("/reset-password?token={}", crate::helpers::enc(&token))).await;
    assert!(page.html.contains("<label for=\"mfa_code\">Authentication code</label>"), "{}", page.html);

    let new = "seven lanterns by the old mill road";
    let origin = Some(app.address.as_str());
    let form = [("token", token.as_str()), ("new_password", new), ("confirm_password", new)];
    let without = post(&app, "/reset-password", origin, &form).await;
    assert_eq!(without.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(without.html.contains("id=\"mfa_code_error\">Enter the code from your authenticator app."));
    let code = crate::totp::code_at(&seed, app.clock.now().unix_timestamp());
    let form = [("token", token.as_str()), ("new_password", new), ("confirm_password", new), ("mfa_code", &code)];
    let done = post(&app, "/reset-password", origin, &form).await;
    assert!(done.html.contains("Your password is set"), "{}", done.html);
}
