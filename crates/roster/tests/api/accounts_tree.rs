//! Accounts and their tree: create, rename, delete, children, switching the active account.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// Create a sub-account of `parent` as `token`; its id.
async fn sub(app: &TestApp, token: &str, parent: &str, name: &str) -> String {
    let reply = app.post("/v1/accounts", Some(token), json!({"name": name, "parent_id": parent})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_top_level_account_is_owned_by_its_creator_and_a_sub_account_inherits_the_parents_members() {
    let app = spawn_app().await;
    let (_, token, home) = app.member("ada@x.test", "Ada").await;
    let reply = app.post("/v1/accounts", Some(&token), json!({"name": "  Agency  "})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    let agency = reply.body["id"].as_str().unwrap().to_owned();
    assert_eq!(reply.header("location").unwrap(), format!("/v1/accounts/{agency}"));
    assert!(reply.header("etag").is_some());
    assert_eq!(reply.body["name"], "Agency");
    assert_eq!(reply.body["parent_id"], Value::Null);
    assert_eq!(reply.body["seats_used"], 1);

    let client = app.post("/v1/accounts", Some(&token), json!({"name": "Client", "parent_id": agency})).await;
    assert_eq!(client.status, StatusCode::CREATED);
    assert_eq!(client.body["parent_id"], agency.as_str());
    assert_eq!(client.body["seats_used"], 0, "nobody holds a membership of its own there");
    let client = client.body["id"].as_str().unwrap().to_owned();

    let mine = app.get("/v1/accounts", &token).await;
    let roles: Vec<(String, String, Value)> = mine.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_str().unwrap().to_owned(), a["role"].as_str().unwrap().to_owned(), a["parent_id"].clone()))
        .collect();
    assert!(roles.contains(&(home.clone(), "owner".into(), Value::Null)));
    assert!(roles.contains(&(agency.clone(), "owner".into(), Value::Null)));
    assert!(roles.contains(&(client.clone(), "owner".into(), json!(agency))), "{roles:?}");
    let children = app.get(&format!("/v1/accounts/{agency}/children"), &token).await;
    assert_eq!(children.status, StatusCode::OK);
    assert_eq!(children.body["data"][0]["id"], client.as_str());
    assert_eq!(children.body["next_cursor"], Value::Null);
}

#[tokio::test]
async fn a_sub_account_needs_accounts_create_in_a_parent_the_caller_can_see() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (_, member) = app.add_member(&owner, &account, "member@x.test", "member").await;
    let (_, stranger, _) = app.member("s@y.test", "Stranger").await;
    let body = json!({"name": "Client", "parent_id": account});
    assert_eq!(app.post("/v1/accounts", Some(&member), body.clone()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post("/v1/accounts", Some(&stranger), body.clone()).await.status, StatusCode::NOT_FOUND);
    let unknown = json!({"name": "Client", "parent_id": uuid::Uuid::now_v7()});
    assert_eq!(app.post("/v1/accounts", Some(&owner), unknown).await.status, StatusCode::NOT_FOUND);
    let (_, admin) = app.add_member(&owner, &account, "admin@x.test", "admin").await;
    assert_eq!(app.post("/v1/accounts", Some(&admin), body).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn accounts_nest_eight_levels_deep_and_no_deeper() {
    let app = spawn_app().await;
    let (_, token, top) = app.member("ada@x.test", "Ada").await;
    let mut parent = top;
    for level in 2..=8 {
        parent = sub(&app, &token, &parent, &format!("level {level}")).await;
    }
    let reply = app.post("/v1/accounts", Some(&token), json!({"name": "level 9", "parent_id": parent})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.body["errors"][0]["field"], "parent_id");
    assert_eq!(reply.body["errors"][0]["code"], "too_deep");
}

#[tokio::test]
async fn bad_account_bodies_get_every_field_problem() {
    let app = spawn_app().await;
    let (_, token, account) = app.member("ada@x.test", "Ada").await;
    let reply = app.post("/v1/accounts", Some(&token), json!({"name": "  "})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["name"]);
    let reply = app.post("/v1/accounts", Some(&token), json!({"name": "x", "owner": "me"})).await;
    assert_eq!(reply.code(), "unknown_field");
    let reply = app.put(&format!("/v1/accounts/{account}"), &token, json!({"name": "x".repeat(201)})).await;
    assert_eq!(reply.fields(), ["name"]);
    let anonymous = app.post("/v1/accounts", None, json!({"name": "x"})).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn renaming_honours_if_match_and_needs_accounts_update() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (_, viewer) = app.add_member(&owner, &account, "viewer@x.test", "viewer").await;
    let path = format!("/v1/accounts/{account}");
    let read = app.get(&path, &owner).await;
    let tag = read.header("etag").unwrap().to_owned();
    assert_eq!(app.put(&path, &viewer, json!({"name": "Mine"})).await.status, StatusCode::FORBIDDEN);

    let renamed = app
        .send(
            app.client
                .put(app.url(&path))
                .bearer_auth(&owner)
                .header("If-Match", &tag)
                .json(&json!({"name": "Renamed"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    assert_eq!(renamed.body["name"], "Renamed");
    assert_ne!(renamed.header("etag").unwrap(), tag);
    let stale = app
        .send(
            app.client.put(app.url(&path)).bearer_auth(&owner).header("If-Match", &tag).json(&json!({"name": "Again"})),
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.get(&path, &viewer).await.body["name"], "Renamed");
}

#[tokio::test]
async fn deleting_an_account_with_live_sub_accounts_is_a_conflict() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let child = sub(&app, &owner, &account, "Client").await;
    let reply = app.delete(&format!("/v1/accounts/{account}"), &owner).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.code(), "conflict");
    let gone = app.delete(&format!("/v1/accounts/{child}"), &owner).await;
    assert_eq!(gone.status, StatusCode::OK, "{:?}", gone.body);
    assert_eq!(gone.body["status"], "deleted");
    assert_eq!(app.delete(&format!("/v1/accounts/{account}"), &owner).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_deleted_account_is_gone_for_its_members_and_their_sessions_fall_back() {
    let app = spawn_app().await;
    let (owner_user, owner, home) = app.member("owner@x.test", "Owner").await;
    let agency =
        app.post("/v1/accounts", Some(&owner), json!({"name": "Agency"})).await.body["id"].as_str().unwrap().to_owned();
    let (member, member_token) = app.add_member(&owner, &agency, "member@x.test", "member").await;
    assert!(member["id"].is_string());
    // The member's session acts in the agency (its only account).
    assert_eq!(app.get("/v1/users/profile", &member_token).await.body["active_account_id"], agency.as_str());
    let switched = app.post("/v1/auth/switch-account", Some(&owner), json!({"account_id": agency})).await;
    assert_eq!(switched.status, StatusCode::OK);

    // A member lacks accounts.delete (so do admins; owners hold it).
    assert_eq!(app.delete(&format!("/v1/accounts/{agency}"), &member_token).await.status, StatusCode::FORBIDDEN);
    let reply = app.delete(&format!("/v1/accounts/{agency}"), &owner).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["seats_used"], 0);

    assert_eq!(app.get(&format!("/v1/accounts/{agency}"), &owner).await.status, StatusCode::NOT_FOUND);
    let profile = app.get("/v1/users/profile", &owner).await;
    assert_eq!(profile.body["active_account_id"], home.as_str(), "falls back to another account");
    let profile = app.get("/v1/users/profile", &member_token).await;
    assert_eq!(profile.status, StatusCode::OK, "the session itself lives on");
    assert_eq!(profile.body["active_account_id"], Value::Null, "no other account to fall back to");
    let accounts = app.get("/v1/accounts", &owner).await;
    assert!(accounts.body["data"].as_array().unwrap().iter().all(|a| a["id"] != agency.as_str()));
    let members = app.get(&format!("/v1/users?account_id={agency}"), &owner).await;
    assert_eq!(members.status, StatusCode::NOT_FOUND, "the account is gone for listing too");
    let trail = app.stored_activity(owner_user["id"].as_str().unwrap()).await;
    assert!(trail.iter().any(|(action, changes)| action == "account.deleted" && changes["members_removed"] == 2));
    assert_eq!(app.delete(&format!("/v1/accounts/{agency}"), &owner).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn children_are_paginated_with_cursors_bound_to_their_parent() {
    let app = spawn_app().await;
    let (_, token, account) = app.member("ada@x.test", "Ada").await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(sub(&app, &token, &account, &format!("client {i}")).await);
    }
    let mut seen = Vec::new();
    let mut path = format!("/v1/accounts/{account}/children?limit=2");
    loop {
        let page = app.get(&path, &token).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        seen.extend(page.body["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/v1/accounts/{account}/children?limit=2&cursor={cursor}");
                let foreign = app.get(&format!("/v1/accounts/{}/children?cursor={cursor}", made[0]), &token).await;
                assert_eq!(foreign.status, StatusCode::BAD_REQUEST, "a cursor of another parent's list");
            }
            None => break,
        }
    }
    assert_eq!(seen, made, "in id (creation) order, each once");
    let bad = app.get(&format!("/v1/accounts/{account}/children?limit=0"), &token).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn switching_to_an_account_the_caller_belongs_to_changes_the_active_account() {
    let app = spawn_app().await;
    let (_, token, home) = app.member("ada@x.test", "Ada").await;
    let client = sub(&app, &token, &home, "Client").await;
    let (_, _, foreign) = app.member("bob@y.test", "Bob").await;

    let reply = app.post("/v1/auth/switch-account", Some(&token), json!({"account_id": client})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["active_account_id"], client.as_str());
    assert_eq!(reply.body["role"], "owner", "inherited from the parent");
    assert!(reply.body["effective"].as_array().unwrap().contains(&json!("accounts.delete")));
    assert_eq!(app.get("/v1/users/profile", &token).await.body["active_account_id"], client.as_str());

    let refused = app.post("/v1/auth/switch-account", Some(&token), json!({"account_id": foreign})).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let unknown = app.post("/v1/auth/switch-account", Some(&token), json!({"account_id": uuid::Uuid::now_v7()})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let malformed = app.post("/v1/auth/switch-account", Some(&token), json!({"account_id": "home"})).await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);

    // X-Account-Id does the same for one request only.
    let one = app.send(app.client.get(app.url("/v1/users")).bearer_auth(&token).header("X-Account-Id", &home)).await;
    assert_eq!(one.status, StatusCode::OK);
    let other = app
        .send(
            app.client.request(Method::GET, app.url("/v1/users")).bearer_auth(&token).header("X-Account-Id", &foreign),
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/v1/users/profile", &token).await.body["active_account_id"], client.as_str());
}

#[tokio::test]
async fn the_callers_accounts_come_a_page_at_a_time() {
    let app = spawn_app().await;
    let (_, token, home) = app.member("ada@x.test", "Ada").await;
    let mut made = vec![home];
    for i in 0..4 {
        made.push(sub(&app, &token, &made[0].clone(), &format!("client {i}")).await);
    }
    made.sort();
    let mut seen = Vec::new();
    let mut path = "/v1/accounts?limit=2".to_owned();
    loop {
        let page = app.get(&path, &token).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        assert!(page.body["data"].as_array().unwrap().len() <= 2);
        seen.extend(page.body["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/accounts?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, made);
    assert_eq!(app.get("/v1/accounts?cursor=forged", &token).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/v1/accounts?limit=101", &token).await.status, StatusCode::UNPROCESSABLE_ENTITY);
}
