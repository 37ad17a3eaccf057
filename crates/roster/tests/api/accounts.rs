//! `GET /v1/accounts` and `GET /v1/accounts/{id}`.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn list_shows_every_account_of_the_caller_and_no_other() {
    let app = spawn_app().await;
    let (user, token, own) = app.member("a@x.test", "Ada").await;
    let (_, _, other) = app.member("b@y.test", "Bob").await;
    app.member("c@z.test", "Cy").await;
    let only_own = app.get("/v1/accounts", &token).await;
    assert_eq!(only_own.status, StatusCode::OK);
    assert_eq!(only_own.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(only_own.body["next_cursor"], Value::Null);

    app.join(user["id"].as_str().unwrap(), &other, "viewer", &[]).await;
    let reply = app.get("/v1/accounts", &token).await;
    let mut ids: Vec<&str> = reply.body["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let mut expected = [own.as_str(), other.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    let mine = reply.body["data"].as_array().unwrap().iter().find(|a| a["id"] == own.as_str()).unwrap();
    assert_eq!(mine["name"], "Ada's account");
    assert_eq!(mine["parent_id"], Value::Null);
    assert_eq!(mine["status"], "active");
    assert_eq!(mine["seats_used"], 1);
    assert_eq!(mine["role"], "owner");
    let theirs = reply.body["data"].as_array().unwrap().iter().find(|a| a["id"] == other.as_str()).unwrap();
    assert_eq!(theirs["role"], "viewer", "the caller's role in each account");
    assert!(mine["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(mine["updated_at"].is_string());
}

#[tokio::test]
async fn a_member_reads_its_account() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (_, viewer) = app.add_member(&owner, &account, "viewer@x.test", "viewer").await;
    for token in [&owner, &viewer] {
        let reply = app.get(&format!("/v1/accounts/{account}"), token).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body["id"], account.as_str());
        assert_eq!(reply.body["name"], "Owner's account");
        assert_eq!(reply.body["seats_used"], 2);
    }
}

#[tokio::test]
async fn a_stranger_gets_404_for_an_account_and_an_unknown_or_malformed_id_too() {
    let app = spawn_app().await;
    let (_, _, account) = app.member("owner@x.test", "Owner").await;
    let (_, stranger, _) = app.member("s@y.test", "Stranger").await;
    for path in [
        format!("/v1/accounts/{account}"),
        format!("/v1/accounts/{}", uuid::Uuid::now_v7()),
        "/v1/accounts/not-an-id".to_owned(),
    ] {
        let reply = app.get(&path, &stranger).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.code(), "not_found", "{path}");
    }
}

#[tokio::test]
async fn a_member_without_accounts_read_is_403() {
    let app = spawn_app().await;
    let (user, token, _) = app.member("a@x.test", "A").await;
    let (_, _, other) = app.member("b@y.test", "B").await;
    app.join(user["id"].as_str().unwrap(), &other, "member", &["accounts.read"]).await;
    let reply = app.get(&format!("/v1/accounts/{other}"), &token).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.code(), "forbidden");
}

#[tokio::test]
async fn a_platform_admin_reads_any_account() {
    let app = spawn_app().await;
    let (root, token, _) = app.member("root@p.test", "Root").await;
    let (_, _, account) = app.member("owner@x.test", "Owner").await;
    app.make_platform_admin(root["id"].as_str().unwrap()).await;
    let reply = app.get(&format!("/v1/accounts/{account}"), &token).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["name"], "Owner's account");
    let unknown = app.get(&format!("/v1/accounts/{}", uuid::Uuid::now_v7()), &token).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn accounts_need_a_signed_in_caller() {
    let app = spawn_app().await;
    let reply = app.call(reqwest::Method::GET, "/v1/accounts", None, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}
