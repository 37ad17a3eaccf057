//! Token checks and profiles are served from memory (roster-core's auth::cache), yet no answer
//! is ever stale: every change is seen by the very next request, on the instance that made it,
//! on a second instance on the same database, and when another process writes the database.

use reqwest::StatusCode;
use serde_json::json;
use sqlx::Connection;

use crate::helpers::{TestApp, spawn_app};

/// Run `sql` on the app's database through a connection of the test's own, as another process
/// would (nothing in any instance hears of it).
async fn from_outside(app: &TestApp, sql: &str) {
    let url = app.db.url.clone();
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
}

/// Ask twice, so that the second answer comes from the cache if anything does.
async fn warm(app: &TestApp, token: &str) -> serde_json::Value {
    assert_eq!(app.get("/v1/users/profile", token).await.status, StatusCode::OK);
    let reply = app.get("/v1/users/profile", token).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.body
}

#[tokio::test]
async fn a_logout_through_one_instance_is_seen_by_the_next_request_on_another() {
    let a = spawn_app().await;
    let b = a.second_instance().await;
    let (_, token, _) = a.member("ada@example.com", "Ada").await;
    warm(&a, &token).await;
    warm(&b, &token).await;
    assert_eq!(a.post("/v1/auth/logout", Some(&token), json!({})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(b.get("/v1/users/profile", &token).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.get("/v1/users/profile", &token).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_profile_change_through_one_instance_is_seen_by_the_next_request_on_another() {
    let a = spawn_app().await;
    let b = a.second_instance().await;
    let (user, token, _) = a.member("ada@example.com", "Ada").await;
    warm(&b, &token).await;
    let id = user["id"].as_str().unwrap();
    let reply = a.put(&format!("/v1/users/{id}"), &token, json!({"name": "Ada King"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(warm(&b, &token).await["name"], "Ada King");
}

#[tokio::test]
async fn a_suspension_written_by_another_process_ends_the_session_at_once() {
    let a = spawn_app().await;
    let (_, token, _) = a.member("ada@example.com", "Ada").await;
    warm(&a, &token).await;
    from_outside(&a, "UPDATE users SET status = 'suspended'").await;
    assert_eq!(a.get("/v1/users/profile", &token).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_permission_change_written_by_another_process_is_seen_by_the_next_request() {
    let a = spawn_app().await;
    let b = a.second_instance().await;
    let (_, token, _) = a.member("ada@example.com", "Ada").await;
    let before = warm(&b, &token).await;
    assert!(before["accounts"][0]["effective"].as_array().unwrap().contains(&json!("users.read")));
    assert_eq!(b.get("/v1/users", &token).await.status, StatusCode::OK);
    from_outside(&a, r#"UPDATE memberships SET denies = '["users.read"]'"#).await;
    let after = b.get("/v1/users/profile", &token).await.body;
    assert_eq!(after["accounts"][0]["deny"], json!(["users.read"]));
    assert!(!after["accounts"][0]["effective"].as_array().unwrap().contains(&json!("users.read")));
    assert_eq!(b.get("/v1/users", &token).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_session_revoked_by_another_process_is_refused_at_once_and_a_touch_keeps_the_cache() {
    let a = spawn_app().await;
    let (_, token, _) = a.member("ada@example.com", "Ada").await;
    let other = a.login("ada@example.com").await;
    warm(&a, &token).await;
    warm(&a, &other).await;
    // Activity alone (last_seen_at) is no change to what the cache holds.
    from_outside(&a, "UPDATE sessions SET last_seen_at = last_seen_at").await;
    warm(&a, &token).await;
    from_outside(&a, "UPDATE sessions SET revoked_at = created_at").await;
    assert_eq!(a.get("/v1/users/profile", &token).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.get("/v1/users/profile", &other).await.status, StatusCode::UNAUTHORIZED);
}
