//! Workspaces inside accounts and their members.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn workspaces_are_created_read_renamed_and_deleted_by_the_right_members() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (_, viewer) = app.add_member(&owner, &account, "viewer@x.test", "viewer").await;
    let (_, stranger, _) = app.member("s@y.test", "Stranger").await;
    let list_path = format!("/v1/accounts/{account}/workspaces");

    let denied = app.post(&list_path, Some(&viewer), json!({"name": "Ops"})).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let created = app.post(&list_path, Some(&owner), json!({"name": "Ops"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let workspace = id(&created.body);
    assert_eq!(created.body["account_id"], account.as_str());
    assert_eq!(created.header("location").unwrap(), format!("/v1/workspaces/{workspace}"));
    let path = format!("/v1/workspaces/{workspace}");

    let listed = app.get(&list_path, &viewer).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["data"][0]["name"], "Ops");
    let read = app.get(&path, &viewer).await;
    assert_eq!(read.status, StatusCode::OK);
    let tag = read.header("etag").unwrap().to_owned();
    assert_eq!(app.get(&path, &stranger).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&list_path, &stranger).await.status, StatusCode::NOT_FOUND);

    assert_eq!(app.put(&path, &viewer, json!({"name": "Mine"})).await.status, StatusCode::FORBIDDEN);
    let renamed = app
        .send(
            app.client
                .put(app.url(&path))
                .bearer_auth(&owner)
                .header("If-Match", &tag)
                .json(&json!({"name": "Platform"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.body["name"], "Platform");
    let stale = app
        .send(
            app.client.put(app.url(&path)).bearer_auth(&owner).header("If-Match", &tag).json(&json!({"name": "Again"})),
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let bad = app.put(&path, &owner, json!({"name": ""})).await;
    assert_eq!(bad.fields(), ["name"]);

    assert_eq!(app.delete(&path, &viewer).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&path, &owner).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, &owner).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_members_of_the_account_join_a_workspace() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (member, _) = app.add_member(&owner, &account, "member@x.test", "member").await;
    // Someone the owner sees (a member of another account of the owner's), who is not a member
    // of the workspace's account.
    let other = id(&app.post("/v1/accounts", Some(&owner), json!({"name": "Other"})).await.body);
    let (elsewhere, _) = app.add_member(&owner, &other, "elsewhere@x.test", "member").await;
    let (stranger, _, _) = app.member("s@z.test", "Stranger").await;
    let workspace =
        id(&app.post(&format!("/v1/accounts/{account}/workspaces"), Some(&owner), json!({"name": "Ops"})).await.body);
    let path = format!("/v1/workspaces/{workspace}/members");

    let added = app.post(&path, Some(&owner), json!({"user_id": id(&member)})).await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    assert_eq!(added.body["role"], "member");
    assert_eq!(added.body["email"], "member@x.test");
    let twice = app.post(&path, Some(&owner), json!({"user_id": id(&member), "role": "lead"})).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let unseen = app.post(&path, Some(&owner), json!({"user_id": id(&stranger)})).await;
    assert_eq!(unseen.status, StatusCode::NOT_FOUND);
    let outsider = app.post(&path, Some(&owner), json!({"user_id": id(&elsewhere)})).await;
    assert_eq!(outsider.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(outsider.fields(), ["user_id"]);
    let bad = app.post(&path, Some(&owner), json!({"role": "chief"})).await;
    assert_eq!(bad.fields(), ["user_id", "role"]);

    let members = app.get(&path, &owner).await;
    assert_eq!(members.status, StatusCode::OK);
    assert_eq!(members.emails(), ["member@x.test"]);

    // Leaving the account leaves its workspaces.
    let removed = app.delete(&format!("/v1/accounts/{account}/members/{}", id(&member)), &owner).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, &owner).await.emails(), Vec::<String>::new());
    assert_eq!(app.delete(&format!("{path}/{}", id(&member)), &owner).await.status, StatusCode::NOT_FOUND);
    let trail = app.stored_activity(&id(&member)).await;
    assert!(trail.iter().any(|(action, _)| action == "workspace.member_added"));
}
