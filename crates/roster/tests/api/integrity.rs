//! Guarantees that cut across endpoints: how secrets are stored, what the database is set up
//! to survive, rank between roles, and input no engine may choke on.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn passwords_are_stored_as_argon2id_with_the_owasp_parameters() {
    let app = spawn_app().await;
    let user = app.signup("ada@example.com", "Ada").await;
    let mut conn = app.core.store().conn().await.unwrap();
    let id: uuid::Uuid = user["id"].as_str().unwrap().parse().unwrap();
    let hash: String =
        roster_store::on_conn!(&mut conn, |c| sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(c)
            .await)
        .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
}

#[tokio::test]
async fn tokens_exist_only_as_hashes_even_in_the_outbox() {
    let app = spawn_app().await;
    let user = app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    let mut conn = app.core.store().conn().await.unwrap();
    let payloads: Vec<sqlx::types::Json<serde_json::Value>> =
        roster_store::on_conn!(&mut conn, |c| sqlx::query_scalar("SELECT payload FROM jobs").fetch_all(c).await)
            .unwrap();
    let verification =
        payloads.iter().find(|p| p.0.get("token_id").is_some()).expect("the verification job names its token");
    assert!(verification.0.get("token").is_none(), "no token in clear: {:?}", verification.0);
    let hashes: Vec<Vec<u8>> = roster_store::on_conn!(&mut conn, |c| sqlx::query_scalar(
        "SELECT token_hash FROM sessions UNION ALL SELECT token_hash FROM tokens"
    )
    .fetch_all(c)
    .await)
    .unwrap();
    assert_eq!(hashes.len(), 2);
    assert!(hashes.iter().all(|h| h.len() == 32), "SHA-256 digests");
    assert!(hashes.iter().all(|h| h.as_slice() != token.as_bytes()));
    let _ = user;
}

#[tokio::test]
async fn sqlite_runs_in_wal_with_full_sync() {
    let app = spawn_app().await;
    let mut conn = app.core.store().conn().await.unwrap();
    if let roster_store::db::ConnRef::Sqlite(c) = roster_store::Exec::conn(&mut conn) {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *c).await.unwrap();
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *c).await.unwrap();
        let fks: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut *c).await.unwrap();
        assert_eq!((mode.as_str(), sync, fks), ("wal", 2, 1), "WAL, synchronous=FULL, foreign keys on");
    }
}

#[tokio::test]
async fn an_admin_cannot_suspend_delete_or_take_over_an_owner() {
    let app = spawn_app().await;
    let (owner, owner_token, account) = app.member("owner@example.com", "Owner").await;
    let (admin, admin_token) = app.add_member(&owner_token, &account, "admin@example.com", "admin").await;
    let owner_id = owner["id"].as_str().unwrap();
    let admin_id = admin["id"].as_str().unwrap();

    let suspend = app.put(&format!("/v1/users/{owner_id}"), &admin_token, json!({"status": "suspended"})).await;
    assert_eq!(suspend.status, StatusCode::FORBIDDEN);
    let take_over = app.delete(&format!("/v1/users/{owner_id}?transfer_to={admin_id}"), &admin_token).await;
    assert_eq!(take_over.status, StatusCode::FORBIDDEN);
    let profile = app.get("/v1/users/profile", &admin_token).await;
    assert_eq!(profile.body["accounts"][0]["role"], "admin", "still only an admin");
    assert_eq!(app.get("/v1/users/profile", &owner_token).await.status, StatusCode::OK, "the owner is untouched");

    // The owner may act on the admin.
    let suspend = app.put(&format!("/v1/users/{admin_id}"), &owner_token, json!({"status": "suspended"})).await;
    assert_eq!(suspend.status, StatusCode::OK);
}

#[tokio::test]
async fn nul_characters_are_422_on_every_engine() {
    let app = spawn_app().await;
    let (_, token, _) = app.member("ada@example.com", "Ada").await;
    let reply = app.post("/v1/auth/login", None, json!({"email": "a\u{0}@example.com", "password": PASSWORD})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["email"]);
    let reply = app.get("/v1/users?q=%00", &token).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["q"]);
    let me = app.get("/v1/users/profile", &token).await.body["id"].as_str().unwrap().to_owned();
    let reply = app.put(&format!("/v1/users/{me}"), &token, json!({"metadata": {"k": "\u{0}"}})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["metadata.k"]);
}

#[tokio::test]
async fn a_password_of_the_wrong_type_is_not_repeated_back() {
    let app = spawn_app().await;
    let reply = app
        .post(
            "/v1/users",
            None,
            json!({"email": "a@example.com", "password": 918_273_645_546_372_819_u64, "name": "A"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["password"]);
    assert!(!reply.body.to_string().contains("918273645546372819"), "{}", reply.body);
}

#[tokio::test]
async fn the_audit_trail_shows_other_tenants_only_their_own_entries() {
    let app = spawn_app().await;
    let (_, owner_a, account_a) = app.member("a@example.com", "A").await;
    let (_, owner_b, account_b) = app.member("b@example.com", "B").await;
    let (shared, shared_token) = app.add_member(&owner_a, &account_a, "shared@example.com", "member").await;
    let shared_id = shared["id"].as_str().unwrap();
    app.join(shared_id, &account_b, "member", &[]).await;
    // Entries in account A (the sign-in above chose A, then a change of its own) and one in B.
    app.put(&format!("/v1/users/{shared_id}"), &shared_token, json!({"title": "Engineer"})).await;
    let in_b = app
        .post(
            "/v1/auth/login",
            None,
            json!({"email": "shared@example.com", "password": PASSWORD, "account_id": account_b}),
        )
        .await;
    assert_eq!(in_b.status, StatusCode::OK);

    let seen_by_b = app.get(&format!("/v1/users/{shared_id}/activity"), &owner_b).await;
    assert_eq!(seen_by_b.status, StatusCode::OK);
    let entries = seen_by_b.body["data"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "only the sign-in in B: {entries:?}");
    assert!(entries.iter().all(|e| e["account_id"] == account_b.as_str()), "{entries:?}");
    assert!(entries.iter().all(|e| e["ip"].is_null() && e["user_agent"].is_null()));

    let seen_by_self = app.get(&format!("/v1/users/{shared_id}/activity"), &shared_token).await;
    let all = seen_by_self.body["data"].as_array().unwrap();
    assert!(all.iter().any(|e| e["account_id"] == account_a.as_str()));
    assert!(all.iter().any(|e| e["ip"].is_string()), "the user sees where it signed in from");
}
