//! An administrator's hold on another user's sign-in: `GET`/`DELETE /v1/users/{id}/sessions` and
//! `DELETE /v1/users/{id}/mfa`. Who may is the rule of a change to the user as a whole (platform
//! admins, or `users.update` in EVERY account the user belongs to), never the user itself; each
//! change is audited and mailed to the user.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with_mail};

fn signed_out_mails(smtp: &crate::sinks::SmtpSink) -> usize {
    smtp.messages().iter().filter(|m| m.header("Subject").unwrap_or_default().contains("signed out")).count()
}

/// The id of the session `token` stands for.
async fn session_of(app: &TestApp, token: &str) -> String {
    let mine = app.get("/v1/auth/sessions", token).await;
    let data = mine.body["data"].as_array().unwrap();
    let current = data.iter().find(|s| s["current"] == true).expect("the asking session");
    current["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_admin_of_every_account_lists_and_ends_a_users_sessions_and_the_user_is_told() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (admin_user, admin, account_a) = app.member("owner@a.test", "Owner A").await;
    let (_, _, account_b) = app.member("owner@b.test", "Owner B").await;
    let (user, first) = app.add_member(&admin, &account_a, "shared@a.test", "member").await;
    let id = user["id"].as_str().unwrap();
    app.join(id, &account_b, "member", &[]).await;
    app.join(admin_user["id"].as_str().unwrap(), &account_b, "admin", &[]).await;
    let second = app.login("shared@a.test").await;

    let listed = app.get(&format!("/v1/users/{id}/sessions"), &admin).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let sessions = listed.body["data"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert!(sessions.iter().all(|s| s["current"] == false && s.get("token").is_none()));

    let one = session_of(&app, &first).await;
    let path = format!("/v1/users/{id}/sessions?session_id={one}");
    assert_eq!(app.delete(&path, &admin).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/v1/users/profile", &first).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/v1/users/profile", &second).await.status, StatusCode::OK, "only that session ended");
    assert_eq!(app.delete(&path, &admin).await.status, StatusCode::NOT_FOUND, "an ended session is no longer live");

    assert_eq!(app.delete(&format!("/v1/users/{id}/sessions"), &admin).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/v1/users/profile", &second).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(&format!("/v1/users/{id}/sessions"), &admin).await.body["data"], json!([]));
    assert_eq!(
        app.delete(&format!("/v1/users/{id}/sessions"), &admin).await.status,
        StatusCode::NO_CONTENT,
        "ending no session is no change"
    );

    let trail = app.stored_activity(id).await;
    let ended: Vec<_> = trail.iter().filter(|(action, _)| action == "user.sessions_revoked").collect();
    assert_eq!(ended.len(), 2, "one entry per change, none for ending nothing: {trail:?}");
    // Newest first: every session (the one left), then the one named.
    assert_eq!((&ended[0].1["sessions"], &ended[0].1["session_id"]), (&json!(1), &json!(null)));
    assert_eq!((&ended[1].1["sessions"], &ended[1].1["session_id"]), (&json!(1), &json!(one)));
    app.drain().await;
    assert_eq!(signed_out_mails(&smtp), 2);
    let mail = smtp.messages().into_iter().find(|m| m.header("Subject").unwrap_or_default().contains("signed out"));
    assert!(mail.unwrap().to.contains(&"shared@a.test".to_owned()));
}

#[tokio::test]
async fn only_platform_admins_and_admins_of_every_account_of_the_user_may_and_never_the_user_itself() {
    let app = spawn_app().await;
    let (_, admin, account_a) = app.member("owner@a.test", "Owner A").await;
    let (_, _, account_b) = app.member("owner@b.test", "Owner B").await;
    let (user, own) = app.add_member(&admin, &account_a, "shared@a.test", "member").await;
    let id = user["id"].as_str().unwrap();
    app.join(id, &account_b, "member", &[]).await;
    let (_, stranger, _) = app.member("stranger@c.test", "Stranger").await;

    let calls = [
        (reqwest::Method::GET, format!("/v1/users/{id}/sessions")),
        (reqwest::Method::DELETE, format!("/v1/users/{id}/sessions")),
        (reqwest::Method::DELETE, format!("/v1/users/{id}/mfa")),
    ];
    for (method, path) in &calls {
        let reply = app.call(method.clone(), path, Some(&admin), None).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}: an admin of one of the user's two accounts");
        assert_eq!(reply.code(), "forbidden");
        let reply = app.call(method.clone(), path, Some(&stranger), None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {path}: a user the caller cannot see");
        let reply = app.call(method.clone(), path, Some(&own), None).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}: one's own are under /v1/auth");
    }
    assert_eq!(app.get("/v1/users/profile", &own).await.status, StatusCode::OK, "nothing ended");

    let (root, root_token, _) = app.member("root@r.test", "Root").await;
    app.make_platform_admin(root["id"].as_str().unwrap()).await;
    assert_eq!(app.get(&format!("/v1/users/{id}/sessions"), &root_token).await.status, StatusCode::OK);
    let unknown = format!("/v1/users/{id}/sessions?session_id={}", uuid::Uuid::now_v7());
    assert_eq!(app.delete(&unknown, &root_token).await.status, StatusCode::NOT_FOUND);
    let malformed = app.delete(&format!("/v1/users/{id}/sessions?session_id=nope"), &root_token).await;
    assert!(malformed.status.is_client_error() && malformed.status != StatusCode::NOT_FOUND, "{:?}", malformed.status);
    let off = app.delete(&format!("/v1/users/{id}/mfa"), &root_token).await;
    assert_eq!(off.status, StatusCode::CONFLICT, "two-factor authentication is off already");
    assert_eq!(app.get("/v1/users/profile", &own).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_admin_resets_two_factor_and_the_user_signs_in_with_the_password_alone() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (_, owner, account) = app.member("owner@a.test", "Owner").await;
    let (user, token) = app.add_member(&owner, &account, "lost.phone@a.test", "member").await;
    let id = user["id"].as_str().unwrap();
    crate::mfa::enrol(&app, &token).await;
    let login = json!({"email": "lost.phone@a.test", "password": PASSWORD});
    assert_eq!(app.post("/v1/auth/login", None, login.clone()).await.body["mfa_required"], true);

    assert_eq!(app.delete(&format!("/v1/users/{id}/mfa"), &owner).await.status, StatusCode::NO_CONTENT);
    let reply = app.post("/v1/auth/login", None, login).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert!(reply.body["token"].is_string(), "the password alone signs in: {:?}", reply.body);
    assert_eq!(app.get(&format!("/v1/users/{id}"), &owner).await.body["mfa_enabled"], false);
    assert_eq!(app.delete(&format!("/v1/users/{id}/mfa"), &owner).await.status, StatusCode::CONFLICT);

    assert!(app.stored_activity(id).await.iter().any(|(action, _)| action == "user.mfa_reset"));
    app.drain().await;
    let notices =
        smtp.messages().iter().filter(|m| m.header("Subject").unwrap_or_default().contains("Two-factor")).count();
    assert_eq!(notices, 2, "turned on by the user, then off by the admin: each told once");
}
