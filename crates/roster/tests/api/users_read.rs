//! `GET /v1/users/profile` and `GET /v1/users/{id}`: who may see whom, and what they see.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

const VIEWER_SCOPES: [&str; 5] = ["accounts.read", "analytics.read", "contacts.read", "users.read", "workspaces.read"];

#[tokio::test]
async fn profile_is_the_user_with_active_account_accounts_and_default_preferences() {
    let app = spawn_app().await;
    let (owner_user, owner, account) = app.member("owner@x.test", "Owner").await;
    let (viewer_user, viewer) = app.add_member(&owner, &account, "viewer@x.test", "viewer").await;

    let profile = app.get("/v1/users/profile", &viewer).await;
    assert_eq!(profile.status, StatusCode::OK);
    assert_eq!(profile.body["id"], viewer_user["id"]);
    assert_eq!(profile.body["email"], "viewer@x.test");
    assert!(profile.body["last_login_at"].is_string(), "the profile is read after the login");
    assert!(profile.body.get("password_hash").is_none());
    assert_eq!(profile.body["active_account_id"], account.as_str());
    assert_eq!(
        profile.body["accounts"],
        json!([{"account_id": account, "name": "Owner's account", "role": "viewer", "grant": [], "deny": [], "effective": VIEWER_SCOPES}])
    );
    assert_eq!(
        profile.body["preferences"],
        json!({
            "theme": "system",
            "timezone": "UTC",
            "locale": "en",
            "date_format": "YYYY-MM-DD",
            "notifications": {
                "email": {"security": true, "product": true, "marketing": false},
                "sms": {"security": true, "product": false, "marketing": false},
                "push": {"security": true, "product": true, "marketing": false}
            },
            "dashboard": {},
            "integrations": {}
        })
    );

    let owner_profile = app.get("/v1/users/profile", &owner).await;
    assert_eq!(owner_profile.body["id"], owner_user["id"]);
    let effective: Vec<&str> = owner_profile.body["accounts"][0]["effective"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for scope in ["users", "users.delete", "users.scope", "accounts.delete", "billing", "announcements"] {
        assert!(effective.contains(&scope), "an owner holds {scope}: {effective:?}");
    }
}

#[tokio::test]
async fn profile_effective_scopes_follow_the_role_and_deny() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (member_user, member) = app.add_member(&owner, &account, "member@x.test", "member").await;
    let (_, _, other) = app.member("other@y.test", "Other").await;
    app.join(member_user["id"].as_str().unwrap(), &other, "admin", &["users.delete", "accounts.update"]).await;

    let profile = app.get("/v1/users/profile", &member).await;
    let accounts = profile.body["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[0]["account_id"], account.as_str());
    assert_eq!(accounts[0]["role"], "member");
    let mut expected = VIEWER_SCOPES.to_vec();
    expected.extend(["calendars", "contacts"]);
    expected.sort_unstable();
    assert_eq!(accounts[0]["effective"], json!(expected));

    assert_eq!(accounts[1]["account_id"], other.as_str());
    assert_eq!(accounts[1]["name"], "Other's account");
    assert_eq!(accounts[1]["role"], "admin");
    let effective: Vec<&str> =
        accounts[1]["effective"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    for scope in ["users.read", "users.create", "users.update", "users.scope", "accounts.create"] {
        assert!(effective.contains(&scope), "{scope}: {effective:?}");
    }
    for scope in ["users", "users.delete", "accounts.update", "accounts.delete", "billing"] {
        assert!(!effective.contains(&scope), "{scope} is denied or not the admin's: {effective:?}");
    }
}

#[tokio::test]
async fn profile_active_account_is_the_one_chosen_at_login() {
    let app = spawn_app().await;
    let (user, _, own) = app.member("a@x.test", "A").await;
    let (_, _, other) = app.member("b@y.test", "B").await;
    app.join(user["id"].as_str().unwrap(), &other, "viewer", &[]).await;
    let login =
        app.post("/v1/auth/login", None, json!({"email": "a@x.test", "password": PASSWORD, "account_id": other})).await;
    let token = login.body["token"].as_str().unwrap();
    let profile = app.get("/v1/users/profile", token).await;
    assert_eq!(profile.body["active_account_id"], other.as_str());
    let ids: Vec<&str> =
        profile.body["accounts"].as_array().unwrap().iter().map(|a| a["account_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [own.as_str(), other.as_str()]);
}

#[tokio::test]
async fn profile_preferences_start_from_the_users_timezone_and_locale() {
    let app = spawn_app().await;
    let reply = app
        .post("/v1/users", None, json!({"email": "p@x.test", "password": PASSWORD, "name": "P", "timezone": "europe/paris", "locale": "fr-fr"}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let token = app.login("p@x.test").await;
    let profile = app.get("/v1/users/profile", &token).await;
    assert_eq!(profile.body["timezone"], "Europe/Paris");
    assert_eq!(profile.body["locale"], "fr-FR");
    assert_eq!(profile.body["preferences"]["timezone"], "Europe/Paris");
    assert_eq!(profile.body["preferences"]["locale"], "fr-FR");
}

#[tokio::test]
async fn a_user_reads_itself_with_an_etag() {
    let app = spawn_app().await;
    let (user, token, _) = app.member("ada@x.test", "Ada Lovelace").await;
    let id = user["id"].as_str().unwrap();
    let reply = app.get(&format!("/v1/users/{id}"), &token).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["id"], id);
    assert_eq!(reply.body["email"], "ada@x.test");
    assert_eq!(reply.body["name"], "Ada Lovelace");
    for field in [
        "email_verified",
        "emails",
        "first_name",
        "image",
        "title",
        "bio",
        "timezone",
        "locale",
        "status",
        "phones",
        "metadata",
        "mfa_enabled",
        "platform_admin",
        "created_at",
        "updated_at",
        "last_login_at",
    ] {
        assert!(reply.body.get(field).is_some(), "{field} in {:?}", reply.body);
    }
    assert!(reply.body.get("password_hash").is_none() && reply.body.get("password").is_none());
    let etag = reply.header("etag").expect("an ETag");
    assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2, "{etag}");
    let again = app.get(&format!("/v1/users/{id}"), &token).await;
    assert_eq!(again.header("etag"), Some(etag), "the ETag is stable while the user is unchanged");
}

#[tokio::test]
async fn a_viewer_reads_members_of_its_account_and_they_read_it() {
    let app = spawn_app().await;
    let (owner_user, owner, account) = app.member("owner@x.test", "Owner").await;
    let (viewer_user, viewer) = app.add_member(&owner, &account, "viewer@x.test", "viewer").await;
    let reply = app.get(&format!("/v1/users/{}", owner_user["id"].as_str().unwrap()), &viewer).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["email"], "owner@x.test");
    assert!(reply.header("etag").is_some());
    let reply = app.get(&format!("/v1/users/{}", viewer_user["id"].as_str().unwrap()), &owner).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn users_read_in_any_shared_account_is_enough() {
    let app = spawn_app().await;
    let (_, owner_a, account_a) = app.member("owner@a.test", "Owner A").await;
    let (_, owner_b, account_b) = app.member("owner@b.test", "Owner B").await;
    let (worker, _) = app.add_member(&owner_a, &account_a, "worker@a.test", "member").await;
    let worker_id = worker["id"].as_str().unwrap();
    let before = app.get(&format!("/v1/users/{worker_id}"), &owner_b).await;
    assert_eq!(before.status, StatusCode::NOT_FOUND);
    app.join(worker_id, &account_b, "viewer", &[]).await;
    let after = app.get(&format!("/v1/users/{worker_id}"), &owner_b).await;
    assert_eq!(after.status, StatusCode::OK, "B's owner sees B's members, whatever else they belong to");
}

#[tokio::test]
async fn a_user_of_another_account_is_404_like_an_unknown_id() {
    let app = spawn_app().await;
    let (_, token, _) = app.member("a@a.test", "A").await;
    let (stranger, _, _) = app.member("b@b.test", "B").await;
    let foreign = app.get(&format!("/v1/users/{}", stranger["id"].as_str().unwrap()), &token).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(foreign.code(), "not_found");
    assert!(foreign.header("etag").is_none());
    let unknown = app.get(&format!("/v1/users/{}", uuid::Uuid::now_v7()), &token).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(foreign.body["detail"], unknown.body["detail"], "nothing tells the two apart");
    assert_eq!(foreign.body["title"], unknown.body["title"]);
}

#[tokio::test]
async fn a_member_whose_users_read_is_denied_cannot_see_fellow_members() {
    let app = spawn_app().await;
    let (owner_user, _, account_b) = app.member("owner@b.test", "Owner B").await;
    let (user, token, _) = app.member("a@a.test", "A").await;
    app.join(user["id"].as_str().unwrap(), &account_b, "admin", &["users.read"]).await;
    let reply = app.get(&format!("/v1/users/{}", owner_user["id"].as_str().unwrap()), &token).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_malformed_id_is_404() {
    let app = spawn_app().await;
    let (_, token, _) = app.member("a@a.test", "A").await;
    for id in ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g"] {
        let reply = app.get(&format!("/v1/users/{id}"), &token).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{id}");
        assert_eq!(reply.code(), "not_found", "{id}");
    }
}

#[tokio::test]
async fn a_platform_admin_reads_anyone() {
    let app = spawn_app().await;
    let (admin, token, _) = app.member("admin@p.test", "Admin").await;
    let (stranger, _, _) = app.member("b@b.test", "B").await;
    let path = format!("/v1/users/{}", stranger["id"].as_str().unwrap());
    assert_eq!(app.get(&path, &token).await.status, StatusCode::NOT_FOUND);
    app.make_platform_admin(admin["id"].as_str().unwrap()).await;
    let reply = app.get(&path, &token).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["email"], "b@b.test");
    let me = app.get(&format!("/v1/users/{}", admin["id"].as_str().unwrap()), &token).await;
    assert_eq!(me.body["platform_admin"], true);
}

#[tokio::test]
async fn reading_needs_a_signed_in_caller() {
    let app = spawn_app().await;
    let (user, _, _) = app.member("a@a.test", "A").await;
    let reply =
        app.call(reqwest::Method::GET, &format!("/v1/users/{}", user["id"].as_str().unwrap()), None, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = app.call(reqwest::Method::GET, "/v1/users/profile", None, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}
