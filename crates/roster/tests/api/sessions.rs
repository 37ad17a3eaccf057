//! The caller's sessions and password: list, revoke one or all others, change the password.

use reqwest::StatusCode;
use roster_core::Clock;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with, spawn_app_with_mail};

async fn login_as(app: &TestApp, agent: &str) -> String {
    let request = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("User-Agent", agent)
        .json(&json!({"email": "ada@example.com", "password": PASSWORD}));
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.body["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_caller_sees_its_live_sessions_and_revokes_one_or_all_others() {
    let app = spawn_app().await;
    app.signup("ada@example.com", "Ada").await;
    let laptop = login_as(&app, "laptop/1").await;
    let phone = login_as(&app, "phone/2").await;
    let tablet = login_as(&app, "tablet/3").await;
    app.signup("bob@example.com", "Bob").await;
    let bob = app.login("bob@example.com").await;

    let listed = app.get("/v1/auth/sessions", &laptop).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let sessions = listed.body["data"].as_array().unwrap();
    assert_eq!(sessions.len(), 3, "Ada's only: {sessions:?}");
    let current: Vec<&str> =
        sessions.iter().filter(|s| s["current"] == true).map(|s| s["user_agent"].as_str().unwrap()).collect();
    assert_eq!(current, ["laptop/1"]);
    let phone_id = sessions.iter().find(|s| s["user_agent"] == "phone/2").unwrap()["id"].as_str().unwrap().to_owned();
    assert!(sessions[0]["ip"].is_string() && sessions[0]["created_at"].is_string());

    // Bob cannot revoke Ada's session, and learns nothing of it.
    assert_eq!(app.delete(&format!("/v1/auth/sessions/{phone_id}"), &bob).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("/v1/auth/sessions/{phone_id}"), &laptop).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/v1/users/profile", &phone).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.delete(&format!("/v1/auth/sessions/{phone_id}"), &laptop).await.status, StatusCode::NOT_FOUND);

    assert_eq!(app.delete("/v1/auth/sessions", &laptop).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/v1/users/profile", &tablet).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/v1/users/profile", &laptop).await.status, StatusCode::OK, "the current one stays");
    assert_eq!(app.get("/v1/auth/sessions", &laptop).await.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(app.get("/v1/users/profile", &bob).await.status, StatusCode::OK, "other users untouched");
}

#[tokio::test]
async fn changing_the_password_signs_out_elsewhere_and_tells_the_user() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada Lovelace").await;
    let here = app.login("ada@example.com").await;
    let elsewhere = app.login("ada@example.com").await;
    app.drain().await;
    let before = smtp.messages().len();

    let new = "seven lanterns by the old mill road";
    let wrong =
        app.post("/v1/auth/password", Some(&here), json!({"current_password": "nope", "new_password": new})).await;
    assert_eq!((wrong.status, wrong.code()), (StatusCode::FORBIDDEN, "forbidden"));
    let weak = app
        .post(
            "/v1/auth/password",
            Some(&here),
            json!({"current_password": PASSWORD, "new_password": "passwordpassword"}),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(weak.fields(), ["new_password"]);
    let similar = app
        .post(
            "/v1/auth/password",
            Some(&here),
            json!({"current_password": PASSWORD, "new_password": "lovelace.ada.2024"}),
        )
        .await;
    assert_eq!(similar.body["errors"][0]["code"], "too_similar");

    let changed =
        app.post("/v1/auth/password", Some(&here), json!({"current_password": PASSWORD, "new_password": new})).await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{:?}", changed.body);
    assert_eq!(app.get("/v1/users/profile", &elsewhere).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/v1/users/profile", &here).await.status, StatusCode::OK);
    let old = app.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": PASSWORD})).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let again = app.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": new})).await;
    assert_eq!(again.status, StatusCode::OK);

    app.drain().await;
    let mails = smtp.messages();
    let notice: Vec<_> = mails[before..].iter().collect();
    assert_eq!(notice.len(), 1);
    assert_eq!(notice[0].header("subject").unwrap(), "Your Roster password was changed");
    assert!(!notice[0].raw.contains(new) && !notice[0].raw.contains(PASSWORD), "no password in the mail");
    let user_id = app.get("/v1/users/profile", &here).await.body["id"].as_str().unwrap().to_owned();
    let trail = app.stored_activity(&user_id).await;
    let (_, changes) = trail.iter().find(|(a, _)| a == "user.password_changed").expect("audited");
    assert_eq!(changes["sessions_revoked"], 1);
    assert!(!changes.to_string().contains(new));
}

#[tokio::test]
async fn ended_sessions_are_swept_a_week_after_they_end() {
    let app = spawn_app_with(|o| o.clock = Clock::pinned(time::OffsetDateTime::now_utc())).await;
    app.signup("ada@example.com", "Ada").await;
    let kept = app.login("ada@example.com").await;
    let revoked = app.login("ada@example.com").await;
    assert_eq!(app.post("/v1/auth/logout", Some(&revoked), json!({})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.core.sweep_sessions().await.unwrap(), 0, "ended just now");
    app.clock.advance(time::Duration::days(8));
    assert_eq!(app.get("/v1/users/profile", &kept).await.status, StatusCode::UNAUTHORIZED, "idle for 8 days");
    assert_eq!(app.core.sweep_sessions().await.unwrap(), 1, "the revoked one");
    app.clock.advance(time::Duration::days(7));
    assert_eq!(app.core.sweep_sessions().await.unwrap(), 1, "the idle one, a week after its idle deadline");
    assert_eq!(app.count("sessions").await, 0);
}
