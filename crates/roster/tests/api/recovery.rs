//! `POST /v1/users/recovery`: the same 202, after the same work, for every address; a single-use
//! 30-minute link (a newer one voids the older) at most once a minute and five times an hour per
//! address; the new password under the policy, every session ended, the "password changed"
//! notice, a second factor when MFA is on; the address proven by the link, and what was set up
//! before that first proof removed; and invitations accepted with the same call.

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
    let ada = app.signup("ada@example.com", "Ada").await;
    app.verify_email(ada["id"].as_str().unwrap()).await;
    let session = app.login("ada@example.com").await;
    ask(&app, "ada@example.com").await;
    app.drain().await;
    let first = newest_token(&smtp);
    app.clock.advance(Duration::minutes(1));
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
    let ada = app.signup("ada@example.com", "Ada").await;
    app.verify_email(ada["id"].as_str().unwrap()).await;
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
    app.clock.advance(Duration::minutes(1));
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

#[tokio::test]
async fn asking_does_the_same_work_for_a_known_and_an_unknown_address() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    app.drain().await;
    let rows = || async { (app.count("jobs").await, app.count("tokens").await, app.count("activities").await) };
    let before = rows().await;
    let known = ask(&app, "ada@example.com").await;
    let after_known = rows().await;
    let unknown = ask(&app, "nobody@example.com").await;
    let after_unknown = rows().await;
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    // Each request records one job and nothing else: the look-up happens in the queue.
    assert_eq!(after_known, (before.0 + 1, before.1, before.2));
    assert_eq!(after_unknown, (after_known.0 + 1, after_known.1, after_known.2));
    let mut conn = app.core.store().conn().await.unwrap();
    let payloads: Vec<sqlx::types::Json<serde_json::Value>> =
        roster_store::on_conn!(&mut conn, |c| sqlx::query_scalar(
            "SELECT payload FROM jobs WHERE kind = 'recovery.request'"
        )
        .fetch_all(c)
        .await)
        .unwrap();
    drop(conn);
    assert_eq!(payloads.len(), 2);
    for payload in &payloads {
        let text = payload.0.to_string();
        assert!(!text.contains("ada@") && !text.contains("nobody@"), "the address is sealed: {text}");
    }
    app.drain().await;
    assert_eq!(recovery_mails(&smtp), 1, "the queue mails the user only");
}

#[tokio::test]
async fn recovery_links_go_to_an_address_at_most_once_a_minute_and_five_times_an_hour() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    // Ten requests 1.2 s apart: one mail.
    for _ in 0..10 {
        assert_eq!(ask(&app, "ada@example.com").await.status, StatusCode::ACCEPTED);
        app.drain().await;
        app.clock.advance(Duration::milliseconds(1200));
    }
    assert_eq!(recovery_mails(&smtp), 1);
    // One a minute, up to five in the hour; every answer the same 202.
    for _ in 0..6 {
        app.clock.advance(Duration::seconds(61));
        assert_eq!(ask(&app, "ada@example.com").await.status, StatusCode::ACCEPTED);
        app.drain().await;
    }
    assert_eq!(recovery_mails(&smtp), 5);
    // An hour after the first, another may go.
    app.clock.advance(Duration::minutes(55));
    ask(&app, "ada@example.com").await;
    app.drain().await;
    assert_eq!(recovery_mails(&smtp), 6);
}

#[tokio::test]
async fn a_reset_through_the_mailed_link_confirms_the_address() {
    let (app, smtp) = spawn_app_with_mail().await;
    let ada = app.signup("ada@example.com", "Ada").await;
    assert_eq!(ada["email_verified"], false);
    ask(&app, "ada@example.com").await;
    app.drain().await;
    let done = app.post("/v1/users/recovery", None, json!({"token": newest_token(&smtp), "new_password": NEW})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["email_verified"], true);
    assert_eq!(done.body["emails"][0]["verified"], true);
    let token = app.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": NEW})).await;
    let profile = app.get("/v1/users/profile", token.body["token"].as_str().unwrap()).await;
    assert_eq!(profile.body["email_verified"], true);
    let activity = app.stored_activity(ada["id"].as_str().unwrap()).await;
    let (_, reset) = activity.iter().find(|(action, _)| action == "user.password_reset").unwrap();
    assert_eq!(reset["email_verified"], json!({"from": false, "to": true}));
}

#[tokio::test]
async fn a_reset_that_first_proves_the_address_removes_what_the_first_holder_set_up() {
    let (app, smtp) = spawn_app_with_mail().await;
    // Someone signs up with Ada's address, which Ada has not confirmed anywhere, and sets up the
    // account: a session, a device for push notices, a second factor, a phone and another
    // address, none of them Ada's.
    let user = app.signup("ada@example.com", "Not Ada").await;
    let id = user["id"].as_str().unwrap();
    let squatter = app.login("ada@example.com").await;
    let push = json!({"token": "device-of-the-squatter-0001", "platform": "ios"});
    assert_eq!(app.post("/v1/users/push-token", Some(&squatter), push).await.status, StatusCode::CREATED);
    let phone = app.post(&format!("/v1/users/{id}/phone"), Some(&squatter), json!({"number": "+14155550142"})).await;
    assert_eq!(phone.status, StatusCode::CREATED, "{:?}", phone.body);
    let added = json!({"email": "squatter@example.net", "password": PASSWORD});
    assert_eq!(app.put("/v1/users/email", &squatter, added).await.status, StatusCode::ACCEPTED);
    enrol(&app, &squatter).await;
    app.drain().await;

    // Ada asks for a reset link; it reaches her, and she needs no code of the squatter's.
    ask(&app, "ada@example.com").await;
    app.drain().await;
    let token = newest_token(&smtp);
    assert_eq!(app.client.get(app.url(&format!("/reset-password?token={token}"))).send().await.unwrap().status(), 200);
    let done = app.post("/v1/users/recovery", None, json!({"token": token, "new_password": NEW})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(
        (&done.body["email_verified"], &done.body["mfa_enabled"], &done.body["phones"]),
        (&json!(true), &json!(false), &json!([]))
    );
    assert_eq!(done.body["emails"], json!([{"address": "ada@example.com", "verified": true, "primary": true}]));

    assert_eq!(app.get("/v1/users/profile", &squatter).await.status, StatusCode::UNAUTHORIZED);
    let login = app.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": NEW})).await;
    assert!(login.body["token"].is_string(), "signed in without a second factor: {:?}", login.body);
    let ada = login.body["token"].as_str().unwrap();
    assert_eq!(app.get("/v1/users/push-tokens", ada).await.body["data"], json!([]));
    assert_eq!(app.count("user_mfa").await, 0);

    app.drain().await;
    let notice = smtp
        .messages()
        .into_iter()
        .find(|m| m.header("Subject").unwrap_or_default().contains("reset and your account secured"))
        .expect("the notice of what was removed");
    assert_eq!(notice.to, ["ada@example.com"]);
    let text = notice.decoded();
    for removed in [
        "1 device registered for push notifications",
        "two-factor authentication",
        "+14155550142",
        "squatter@example.net",
        "1 signed-in session, now signed out",
    ] {
        assert!(text.contains(removed), "{removed} missing from:\n{text}");
    }
    let activity = app.stored_activity(id).await;
    let (_, reset) = activity.iter().find(|(action, _)| action == "user.password_reset").unwrap();
    assert_eq!(reset["removed"]["phones"], json!(["+14155550142"]));
    assert_eq!(reset["removed"]["emails"], json!(["squatter@example.net"]));
    assert_eq!((&reset["removed"]["mfa"], &reset["removed"]["push_tokens"]), (&json!(true), &json!(1)));
}

#[tokio::test]
async fn a_reset_of_a_confirmed_address_removes_nothing_but_the_sessions() {
    let (app, smtp) = spawn_app_with_mail().await;
    let user = app.signup("ada@example.com", "Ada").await;
    app.verify_email(user["id"].as_str().unwrap()).await;
    let session = app.login("ada@example.com").await;
    let push = json!({"token": "adas-phone-0000000001", "platform": "android"});
    app.post("/v1/users/push-token", Some(&session), push).await;
    ask(&app, "ada@example.com").await;
    app.drain().await;
    let done = app.post("/v1/users/recovery", None, json!({"token": newest_token(&smtp), "new_password": NEW})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    let login = app.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": NEW})).await;
    let token = login.body["token"].as_str().unwrap();
    assert_eq!(app.get("/v1/users/push-tokens", token).await.body["data"].as_array().unwrap().len(), 1);
    app.drain().await;
    assert!(smtp.messages().iter().any(|m| m.header("Subject").unwrap_or_default().contains("password was changed")));
}
