//! `POST /v1/users/recovery` (API.md §5): the same 202 for every address, a single-use 30-minute
//! link (a newer one voids the older), the new password under the policy, every session ended,
//! the "password changed" notice, a second factor when MFA is on; and invitations accepted with
//! the same call.

use reqwest::StatusCode;
use serde_json::json;
use time::Duration;

use crate::helpers::{PASSWORD, TestApp, spawn_app_with_mail};
use crate::mfa::enrol;
use crate::sinks::SmtpSink;
use crate::totp::code_at;

const NEW: &str = "seven lanterns by the old mill road";

async fn ask(app: &TestApp, email: &str) -> crate::helpers::Reply {
    app.post("/v1/users/recovery", None, json!({"email": email})).await
}

/// The token of the newest recovery mail.
fn newest_token(smtp: &SmtpSink) -> String {
    smtp.messages().into_iter().rev().find_map(|m| m.token("reset-password")).expect("a recovery mail")
}

fn recovery_mails(smtp: &SmtpSink) -> usize {
    smtp.messages().iter().filter(|m| m.link("reset-password").is_some()).count()
}

#[tokio::test]
async fn asking_answers_the_same_for_any_address_and_mails_only_a_user() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let known = ask(&app, "Ada@Example.com").await;
    let unknown = ask(&app, "nobody@example.com").await;
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body), "nothing tells them apart");
    app.drain().await;
    assert_eq!(recovery_mails(&smtp), 1);
    let mail = smtp.messages().into_iter().find(|m| m.link("reset-password").is_some()).unwrap();
    assert_eq!(mail.to, ["ada@example.com"]);
    assert!(mail.link("reset-password").unwrap().starts_with("http://localhost:8080/reset-password?token="));
}

#[tokio::test]
async fn a_recovery_sets_the_password_ends_every_session_and_tells_the_user() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let session = app.login("ada@example.com").await;
    ask(&app, "ada@example.com").await;
    app.drain().await;
    let first = newest_token(&smtp);
    ask(&app, "ada@example.com").await;
    app.drain().await;
    let second = newest_token(&smtp);
    assert_ne!(first, second);

    let complete = |token: &str, password: &str| {
        app.post("/v1/users/recovery", None, json!({"token": token, "new_password": password}))
    };
    assert_eq!(complete(&first, NEW).await.code(), "invalid_token", "a newer link voids the older");
    let weak = complete(&second, "passwordpassword").await;
    assert_eq!((weak.status, weak.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["new_password".to_owned()]));
    let done = complete(&second, NEW).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["email"], "ada@example.com");
    assert_eq!(complete(&second, NEW).await.code(), "invalid_token", "single use");

    assert_eq!(app.get("/v1/users/profile", &session).await.status, StatusCode::UNAUTHORIZED, "signed out");
    let old = app.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": PASSWORD})).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = app.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": NEW})).await;
    assert_eq!(new.status, StatusCode::OK);
    app.drain().await;
    let changed =
        smtp.messages().iter().filter(|m| m.header("Subject").unwrap().contains("password was changed")).count();
    assert_eq!(changed, 1);
}

#[tokio::test]
async fn a_recovery_link_lasts_thirty_minutes() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    ask(&app, "ada@example.com").await;
    app.drain().await;
    let token = newest_token(&smtp);
    app.clock.advance(Duration::minutes(31));
    let late = app.post("/v1/users/recovery", None, json!({"token": token, "new_password": NEW})).await;
    assert_eq!((late.status, late.code()), (StatusCode::BAD_REQUEST, "invalid_token"));
    let bad = app.post("/v1/users/recovery", None, json!({"token": "made-up", "new_password": NEW})).await;
    assert_eq!(bad.code(), "invalid_token");
    let neither = app.post("/v1/users/recovery", None, json!({})).await;
    assert_eq!(neither.status, StatusCode::UNPROCESSABLE_ENTITY);
    let both = app.post("/v1/users/recovery", None, json!({"email": "ada@example.com", "token": "t"})).await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn with_mfa_on_a_recovery_needs_a_code() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let session = app.login("ada@example.com").await;
    let (seed, codes) = enrol(&app, &session).await;
    app.clock.advance(Duration::seconds(30));
    ask(&app, "ada@example.com").await;
    app.drain().await;
    let token = newest_token(&smtp);

    let without = app.post("/v1/users/recovery", None, json!({"token": token, "new_password": NEW})).await;
    assert_eq!((without.status, without.code()), (StatusCode::FORBIDDEN, "mfa_required"));
    let body = json!({"token": token, "new_password": NEW, "mfa_code": "000000"});
    let wrong = app.post("/v1/users/recovery", None, body).await;
    assert_eq!((wrong.status, wrong.code()), (StatusCode::UNAUTHORIZED, "invalid_credentials"));
    let code = code_at(&seed, app.clock.now().unix_timestamp());
    let body = json!({"token": token, "new_password": NEW, "mfa_code": code});
    assert_eq!(app.post("/v1/users/recovery", None, body).await.status, StatusCode::OK);

    // A recovery code serves as well.
    ask(&app, "ada@example.com").await;
    app.drain().await;
    let body = json!({"token": newest_token(&smtp), "new_password": PASSWORD, "mfa_code": codes[0]});
    assert_eq!(app.post("/v1/users/recovery", None, body).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_invitation_is_accepted_with_the_same_call() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let admin = app.login("ada@example.com").await;
    let invited = app.post("/v1/users", Some(&admin), json!({"email": "grace@example.com", "name": "Grace"})).await;
    assert_eq!(invited.body["status"], "invited");
    app.drain().await;
    let token = smtp.messages().into_iter().find_map(|m| m.token("accept-invite")).expect("an invitation");

    // An invitation token is no recovery of an active user, nor is a recovery asked for an
    // invited one.
    ask(&app, "grace@example.com").await;
    app.drain().await;
    assert_eq!(smtp.messages().iter().filter(|m| m.link("reset-password").is_some()).count(), 0);

    let done = app.post("/v1/users/recovery", None, json!({"token": token, "new_password": NEW})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!((done.body["status"].as_str(), done.body["email_verified"].as_bool()), (Some("active"), Some(true)));
    let login = app.post("/v1/auth/login", None, json!({"email": "grace@example.com", "password": NEW})).await;
    assert_eq!(login.status, StatusCode::OK);
    let again = app.post("/v1/users/recovery", None, json!({"token": token, "new_password": NEW})).await;
    assert_eq!(again.code(), "invalid_token");
}
