//! `GET /v1/auth/login-history` (every attempt with its reason, newest first, 90 days) and the
//! "new sign-in" notice for a device and address not seen for 90 days.

use reqwest::StatusCode;
use serde_json::json;
use time::Duration;

use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app_with, spawn_app_with_mail};
use crate::mfa::{enrol, mfa_token};

async fn login_as(app: &TestApp, agent: &str, password: &str) -> Reply {
    let request = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("User-Agent", agent)
        .json(&json!({"email": "ada@example.com", "password": password}));
    app.send(request).await
}

fn reasons(reply: &Reply) -> Vec<(bool, Option<String>)> {
    reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["success"].as_bool().unwrap(), a["reason"].as_str().map(str::to_owned)))
        .collect()
}

#[tokio::test]
async fn the_history_lists_every_attempt_with_its_reason_newest_first() {
    let app = spawn_app_with(|o| o.clock = roster_core::Clock::pinned(time::OffsetDateTime::now_utc())).await;
    app.signup("ada@example.com", "Ada").await;
    app.signup("bob@example.com", "Bob").await;
    app.post("/v1/auth/login", None, json!({"email": "bob@example.com", "password": "not it at all"})).await;
    assert_eq!(login_as(&app, "laptop/1", "not it at all").await.status, StatusCode::UNAUTHORIZED);
    let token = login_as(&app, "laptop/1", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    enrol(&app, &token).await;
    let step = mfa_token(&app, "ada@example.com").await;
    app.post("/v1/auth/mfa", None, json!({"mfa_token": step, "code": "000000"})).await;

    let history = app.get("/v1/auth/login-history", &token).await;
    assert_eq!(history.status, StatusCode::OK, "{:?}", history.body);
    assert_eq!(
        reasons(&history),
        [(false, Some("mfa_failed".into())), (true, None), (false, Some("wrong_password".into()))],
        "Ada's own, newest first; Bob's are not here"
    );
    let first = &history.body["data"][2];
    assert_eq!(first["user_agent"], "laptop/1");
    assert!(first["ip"].is_string() && first["at"].is_string());
    assert!(!history.body.to_string().contains("not it at all"), "no password is ever kept");

    let page = app.get("/v1/auth/login-history?limit=2", &token).await;
    assert_eq!(page.body["data"].as_array().unwrap().len(), 2);
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let rest = app.get(&format!("/v1/auth/login-history?limit=2&cursor={}", crate::helpers::enc(cursor)), &token).await;
    assert_eq!(reasons(&rest), [(false, Some("wrong_password".into()))]);
    assert!(rest.body["next_cursor"].is_null());

    // Kept 90 days: the sweep forgets older attempts.
    app.clock.advance(Duration::days(91));
    app.core.sweep_sessions().await.unwrap();
    let token = app.post("/v1/auth/login", None, json!({"email": "bob@example.com", "password": PASSWORD})).await;
    let bob = token.body["token"].as_str().unwrap();
    assert_eq!(reasons(&app.get("/v1/auth/login-history", bob).await), [(true, None)]);
}

#[tokio::test]
async fn an_attempt_refused_over_the_limit_says_why() {
    let app = spawn_app_with(|o| o.clock = roster_core::Clock::pinned(time::OffsetDateTime::now_utc())).await;
    app.signup("ada@example.com", "Ada").await;
    for _ in 0..11 {
        login_as(&app, "x", "not it at all").await;
    }
    app.clock.advance(Duration::minutes(16));
    let token = login_as(&app, "x", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    let history = app.get("/v1/auth/login-history?limit=3", &token).await;
    assert_eq!(
        reasons(&history),
        [(true, None), (false, Some("too_many_attempts".into())), (false, Some("wrong_password".into()))]
    );
}

#[tokio::test]
async fn a_new_device_or_address_gets_the_sign_in_notice_and_a_known_one_does_not() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let notices = || {
        smtp.messages()
            .into_iter()
            .filter(|m| m.header("Subject").unwrap_or_default().starts_with("New sign-in"))
            .collect::<Vec<_>>()
    };
    login_as(&app, "laptop/1", PASSWORD).await;
    app.drain().await;
    assert_eq!(notices().len(), 1, "the first sign-in from this device");
    let body = notices()[0].decoded();
    assert!(body.contains("laptop/1") && body.contains("127.0.0.1"), "says which device and address");

    login_as(&app, "laptop/1", PASSWORD).await;
    login_as(&app, "laptop/1", "not it at all").await;
    app.drain().await;
    assert_eq!(notices().len(), 1, "seen before; a failure is no sign-in");

    login_as(&app, "phone/2", PASSWORD).await;
    app.drain().await;
    assert_eq!(notices().len(), 2, "a new device");

    app.clock.advance(Duration::days(91));
    login_as(&app, "laptop/1", PASSWORD).await;
    app.drain().await;
    assert_eq!(notices().len(), 3, "not seen for 90 days");
}
