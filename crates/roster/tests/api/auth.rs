//! Sign-in basics: login, bearer sessions checked on every request, logout.

use std::time::Instant;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with};

#[tokio::test]
async fn login_returns_a_bearer_session() {
    let app = spawn_app().await;
    app.signup("ada@example.com", "Ada").await;
    let reply = app.post("/v1/auth/login", None, json!({"email": "ADA@example.com ", "password": PASSWORD})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert!(reply.body["token"].as_str().unwrap().len() >= 43, "at least 256 bits");
    assert!(reply.body["session_id"].is_string());
    assert!(reply.body["expires_at"].as_str().unwrap().ends_with('Z'));
    assert!(reply.body["user"]["last_login_at"].is_string());
}

#[tokio::test]
async fn unknown_email_and_wrong_password_look_the_same() {
    let app = spawn_app().await;
    app.signup("ada@example.com", "Ada").await;
    // Warm both hashing paths' memory so neither timing includes a first allocation.
    app.post("/v1/auth/login", None, json!({"email": "warm@example.com", "password": PASSWORD})).await;

    // The quickest of five of each, interleaved: a stall of the machine (a commit waiting on a
    // loaded disk) lengthens one attempt, not the fastest of five.
    let (mut wrong_time, mut unknown_time) = (std::time::Duration::MAX, std::time::Duration::MAX);
    let (mut wrong, mut unknown) = (None, None);
    for _ in 0..5 {
        let started = Instant::now();
        let body = json!({"email": "ada@example.com", "password": "wrong password entirely"});
        wrong = Some(app.post("/v1/auth/login", None, body).await);
        wrong_time = wrong_time.min(started.elapsed());
        let started = Instant::now();
        let body = json!({"email": "nobody@example.com", "password": PASSWORD});
        unknown = Some(app.post("/v1/auth/login", None, body).await);
        unknown_time = unknown_time.min(started.elapsed());
    }
    let (wrong, unknown) = (wrong.unwrap(), unknown.unwrap());

    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.code(), "invalid_credentials");
    assert_eq!(wrong.body, unknown.body);
    // Both verify one argon2id hash; an unhashed path would be an order of magnitude faster.
    let (fast, slow) = if wrong_time < unknown_time { (wrong_time, unknown_time) } else { (unknown_time, wrong_time) };
    assert!(fast.as_secs_f64() * 4.0 > slow.as_secs_f64(), "wrong {wrong_time:?} vs unknown {unknown_time:?}");
}

#[tokio::test]
async fn requests_without_a_valid_token_are_401_with_www_authenticate() {
    let app = spawn_app().await;
    for header in [None, Some("Bearer nope"), Some("Basic YTpi"), Some("Bearer ")] {
        let mut request = app.client.get(app.url("/v1/users/profile"));
        if let Some(value) = header {
            request = request.header("authorization", value);
        }
        let reply = app.send(request).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{header:?}");
        assert_eq!(reply.code(), "unauthenticated");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        assert_eq!(reply.header("content-type"), Some("application/problem+json"));
    }
}

#[tokio::test]
async fn logout_revokes_the_session_at_once() {
    let app = spawn_app().await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    let other = app.login("ada@example.com").await;
    let reply = app.post("/v1/auth/logout", Some(&token), json!({})).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/v1/users/profile", &token).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/v1/users/profile", &other).await.status, StatusCode::OK);
}

#[tokio::test]
async fn sessions_expire_when_idle_and_absolutely() {
    let start = time::OffsetDateTime::now_utc();
    let app = spawn_app_with(|o| o.clock = roster_core::Clock::pinned(start)).await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    app.clock.advance(time::Duration::days(6));
    assert_eq!(app.get("/v1/users/profile", &token).await.status, StatusCode::OK, "touched at day 6");
    app.clock.advance(time::Duration::days(6));
    assert_eq!(app.get("/v1/users/profile", &token).await.status, StatusCode::OK, "idle only 6 days");
    app.clock.advance(time::Duration::days(8));
    assert_eq!(app.get("/v1/users/profile", &token).await.status, StatusCode::UNAUTHORIZED, "idle 8 days");

    let token = app.login("ada@example.com").await;
    for _ in 0..4 {
        app.clock.advance(time::Duration::days(6));
        assert_eq!(app.get("/v1/users/profile", &token).await.status, StatusCode::OK);
    }
    app.clock.advance(time::Duration::days(5));
    assert_eq!(app.get("/v1/users/profile", &token).await.status, StatusCode::OK, "29 days old");
    app.clock.advance(time::Duration::days(2));
    assert_eq!(app.get("/v1/users/profile", &token).await.status, StatusCode::UNAUTHORIZED, "31 days old, idle 2");
}

#[tokio::test]
async fn login_can_choose_the_active_account_and_x_account_id_switches_per_request() {
    let app = spawn_app().await;
    let (_, owner_a, account_a) = app.member("a@example.com", "A").await;
    let (_, _, account_b) = app.member("b@example.com", "B").await;
    let (member, _) = app.add_member(&owner_a, &account_a, "m@example.com", "member").await;
    let member_id = member["id"].as_str().unwrap();

    let login = app
        .post("/v1/auth/login", None, json!({"email": "m@example.com", "password": PASSWORD, "account_id": account_a}))
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let token = login.body["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/v1/users/profile", &token).await.body["active_account_id"], account_a.as_str());

    let foreign = app
        .post("/v1/auth/login", None, json!({"email": "m@example.com", "password": PASSWORD, "account_id": account_b}))
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);

    let reply = app
        .send(app.client.get(app.url("/v1/users/profile")).bearer_auth(&token).header("x-account-id", &account_b))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "not a member of B");
    let reply = app
        .send(app.client.get(app.url("/v1/users/profile")).bearer_auth(&token).header("x-account-id", "garbage"))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let _ = member_id;
}

#[tokio::test]
async fn suspended_users_get_account_suspended_and_deleted_users_401() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@example.com", "Owner").await;
    let (user, member_token) = app.add_member(&owner, &account, "m@example.com", "member").await;
    let id = user["id"].as_str().unwrap();
    let reply = app.put(&format!("/v1/users/{id}"), &owner, json!({"status": "suspended"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(
        app.get("/v1/users/profile", &member_token).await.status,
        StatusCode::UNAUTHORIZED,
        "suspension revokes sessions"
    );
    let login = app.post("/v1/auth/login", None, json!({"email": "m@example.com", "password": PASSWORD})).await;
    assert_eq!(login.status, StatusCode::FORBIDDEN);
    assert_eq!(login.code(), "account_suspended");
    let wrong = app
        .post("/v1/auth/login", None, json!({"email": "m@example.com", "password": "not the password at all"}))
        .await;
    assert_eq!(wrong.code(), "invalid_credentials", "suspension is only told to the right password");

    app.put(&format!("/v1/users/{id}"), &owner, json!({"status": "active"})).await;
    app.delete(&format!("/v1/users/{id}"), &owner).await;
    let login = app.post("/v1/auth/login", None, json!({"email": "m@example.com", "password": PASSWORD})).await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
}
