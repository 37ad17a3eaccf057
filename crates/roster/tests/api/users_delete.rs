//! `DELETE /v1/users/{id}`: soft deletion, ownership transfer, purge, and who may do it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn a_sole_owner_deleting_itself_is_409_last_owner() {
    let app = spawn_app().await;
    let (owner_user, owner, account) = app.member("owner@x.test", "Owner").await;
    app.add_member(&owner, &account, "m@x.test", "member").await;
    let reply = app.delete(&format!("/v1/users/{}", owner_user["id"].as_str().unwrap()), &owner).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.code(), "last_owner");
    let profile = app.get("/v1/users/profile", &owner).await;
    assert_eq!(profile.status, StatusCode::OK, "nothing happened");
    assert_eq!(profile.body["status"], "active");
}

#[tokio::test]
async fn transfer_to_hands_sole_ownership_to_the_other_user() {
    let app = spawn_app().await;
    let (owner_user, owner, account) = app.member("owner@x.test", "Owner").await;
    let (heir, heir_token) = app.add_member(&owner, &account, "heir@x.test", "member").await;
    let owner_id = owner_user["id"].as_str().unwrap();
    let heir_id = heir["id"].as_str().unwrap();

    let reply = app.delete(&format!("/v1/users/{owner_id}?transfer_to={heir_id}"), &owner).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["id"], owner_id);
    assert_eq!(reply.body["status"], "deleted");
    assert_eq!(reply.body["transferred_to"], heir_id);

    let profile = app.get("/v1/users/profile", &heir_token).await;
    assert_eq!(profile.body["accounts"][0]["account_id"], account.as_str());
    assert_eq!(profile.body["accounts"][0]["role"], "owner");
    assert!(profile.body["accounts"][0]["effective"].as_array().unwrap().contains(&json!("users.delete")));
    assert_eq!(app.get("/v1/users/profile", &owner).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(&format!("/v1/users/{owner_id}"), &heir_token).await.status, StatusCode::NOT_FOUND);
    // The new owner now holds the rights of one.
    let (member, _) = app.add_member(&heir_token, &account, "new@x.test", "admin").await;
    assert_eq!(member["status"], "active");
}

#[tokio::test]
async fn a_co_owner_leaves_without_transfer_but_the_last_live_owner_cannot() {
    let app = spawn_app().await;
    let (first, first_token, account) = app.member("first@x.test", "First").await;
    let (second, second_token) = app.add_member(&first_token, &account, "second@x.test", "owner").await;
    let reply = app.delete(&format!("/v1/users/{}", first["id"].as_str().unwrap()), &first_token).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["transferred_to"], Value::Null);
    // The deleted co-owner no longer counts as an owner.
    let reply = app.delete(&format!("/v1/users/{}", second["id"].as_str().unwrap()), &second_token).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.code(), "last_owner");
}

#[tokio::test]
async fn an_owner_deletes_a_member_which_then_is_gone_and_its_email_free() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (user, user_token) = app.add_member(&owner, &account, "m@x.test", "member").await;
    let id = user["id"].as_str().unwrap();
    assert_eq!(app.get(&format!("/v1/accounts/{account}"), &owner).await.body["seats_used"], 2);

    let reply = app.delete(&format!("/v1/users/{id}"), &owner).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let keys: Vec<&String> = reply.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["deleted_at", "id", "status", "transferred_to"]);
    assert_eq!(reply.body["id"], id);
    assert_eq!(reply.body["status"], "deleted");
    assert_eq!(reply.body["transferred_to"], Value::Null);
    let deleted_at = reply.body["deleted_at"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(deleted_at, &time::format_description::well_known::Rfc3339).is_ok(),
        "{deleted_at}"
    );
    assert!(deleted_at.ends_with('Z'), "{deleted_at}");

    let get = app.get(&format!("/v1/users/{id}"), &owner).await;
    assert_eq!(get.status, StatusCode::NOT_FOUND);
    assert_eq!(get.code(), "not_found");
    assert_eq!(
        app.get("/v1/users/profile", &user_token).await.status,
        StatusCode::UNAUTHORIZED,
        "its sessions are revoked"
    );
    let login = app.post("/v1/auth/login", None, json!({"email": "m@x.test", "password": PASSWORD})).await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(&format!("/v1/accounts/{account}"), &owner).await.body["seats_used"], 1);
    let list = app.get("/v1/users?sort=email", &owner).await;
    assert_eq!(list.emails(), ["owner@x.test"]);
    assert_eq!(app.get("/v1/users?status=deleted", &owner).await.emails(), ["m@x.test"], "the record is kept");

    let again =
        app.post("/v1/users", None, json!({"email": "M@x.test", "password": PASSWORD, "name": "M again"})).await;
    assert_eq!(again.status, StatusCode::CREATED, "{:?}", again.body);
    assert_ne!(again.body["id"], id);
    let token = app.login("m@x.test").await;
    assert_eq!(app.get("/v1/users/profile", &token).await.body["name"], "M again");
}

#[tokio::test]
async fn deleting_a_deleted_user_is_404() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (user, _) = app.add_member(&owner, &account, "m@x.test", "member").await;
    let path = format!("/v1/users/{}", user["id"].as_str().unwrap());
    assert_eq!(app.delete(&path, &owner).await.status, StatusCode::OK);
    assert_eq!(app.delete(&path, &owner).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.put(&path, &owner, json!({"title": "x"})).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deleting_others_needs_users_delete() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (_, admin) = app.add_member(&owner, &account, "admin@x.test", "admin").await;
    let (_, member) = app.add_member(&owner, &account, "member@x.test", "member").await;
    let (_, viewer) = app.add_member(&owner, &account, "viewer@x.test", "viewer").await;
    let (target, _) = app.add_member(&owner, &account, "target@x.test", "member").await;
    let path = format!("/v1/users/{}", target["id"].as_str().unwrap());

    for (token, who) in [(&member, "member"), (&viewer, "viewer")] {
        let reply = app.delete(&path, token).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(reply.code(), "forbidden");
    }
    let (_, stranger, _) = app.member("s@y.test", "Stranger").await;
    assert_eq!(app.delete(&path, &stranger).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&path, &owner).await.status, StatusCode::OK, "still there");

    let reply = app.delete(&path, &admin).await;
    assert_eq!(reply.status, StatusCode::OK, "an admin holds users.delete: {:?}", reply.body);
    assert_eq!(app.get(&path, &owner).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn anyone_may_delete_itself_without_scopes() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (viewer, viewer_token) = app.add_member(&owner, &account, "viewer@x.test", "viewer").await;
    let reply = app.delete(&format!("/v1/users/{}", viewer["id"].as_str().unwrap()), &viewer_token).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(app.get("/v1/users/profile", &viewer_token).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_user_of_two_accounts_is_deleted_only_with_rights_in_both_or_by_a_platform_admin() {
    let app = spawn_app().await;
    let (_, owner_a, account_a) = app.member("owner@a.test", "Owner A").await;
    let (_, _, account_b) = app.member("owner@b.test", "Owner B").await;
    let (user, _) = app.add_member(&owner_a, &account_a, "shared@a.test", "member").await;
    let id = user["id"].as_str().unwrap();
    app.join(id, &account_b, "member", &[]).await;
    let reply = app.delete(&format!("/v1/users/{id}"), &owner_a).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.code(), "forbidden");

    let (root, root_token, _) = app.member("root@p.test", "Root").await;
    app.make_platform_admin(root["id"].as_str().unwrap()).await;
    let reply = app.delete(&format!("/v1/users/{id}"), &root_token).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

#[tokio::test]
async fn purge_by_anyone_but_the_user_or_a_platform_admin_is_403() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (user, _) = app.add_member(&owner, &account, "m@x.test", "member").await;
    let id = user["id"].as_str().unwrap();
    let reply = app.delete(&format!("/v1/users/{id}?purge=true"), &owner).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.code(), "forbidden");
    assert_eq!(app.get(&format!("/v1/users/{id}"), &owner).await.body["email"], "m@x.test", "nothing was deleted");
}

#[tokio::test]
async fn a_user_purges_itself_leaving_an_anonymous_tombstone() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (user, token) = app.add_member(&owner, &account, "m@x.test", "member").await;
    let id = user["id"].as_str().unwrap();
    let path = format!("/v1/users/{id}");
    app.put(
        &path,
        &token,
        json!({"first_name": "Mia", "bio": "About me", "image": "https://example.com/m.png", "metadata": {"x": 1}}),
    )
    .await;

    let reply = app.delete(&format!("{path}?purge=true"), &token).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["status"], "deleted");

    let stored = app.stored_user(id).await.expect("a tombstone is kept");
    assert_eq!(stored.status.as_str(), "deleted");
    assert!(!stored.email.to_lowercase().contains("m@x.test"), "{}", stored.email);
    assert_eq!(stored.name, "");
    assert_eq!((stored.first_name, stored.bio, stored.image), (None, None, None));
    assert_eq!(stored.metadata, json!({}));
    // Its jobs keep only the user id.
    let mut conn = app.core.store().conn().await.unwrap();
    let jobs = roster_store::jobs::for_user(&mut conn, id.parse().unwrap()).await.unwrap();
    assert!(!jobs.is_empty());
    assert!(jobs.iter().any(|j| j.kind == "event.deliver"), "its events are named after it too: {jobs:?}");
    assert!(jobs.iter().all(|j| !j.payload.0.to_string().contains("m@x.test")), "{jobs:?}");
    // What was queued for it runs out quietly: emptied jobs end done, not dead.
    app.drain().await;
    let states = roster_store::job_queue::counts(&mut conn).await.unwrap();
    assert!(states.iter().all(|(_, status, _)| *status == roster_domain::job::JobStatus::Done), "{states:?}");
    drop(conn);
    // The audit trail keeps what happened and when, not who the person was.
    let trail = app.stored_activity(id).await;
    assert_eq!(trail[0].0, "user.deleted");
    for (action, changes) in &trail[1..] {
        assert_eq!(changes, &json!({"redacted": true}), "{action}");
    }
    assert!(trail.iter().any(|(action, _)| action == "user.created"));
    let deleted = app.get("/v1/users?status=deleted", &owner).await;
    assert_eq!(deleted.body["data"].as_array().unwrap().len(), 1);
    assert_ne!(deleted.body["data"][0]["email"], "m@x.test");
    assert_eq!(
        app.post("/v1/users", None, json!({"email": "m@x.test", "password": PASSWORD, "name": "M"})).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_platform_admin_purges_anyone() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (user, _) = app.add_member(&owner, &account, "m@x.test", "member").await;
    let (root, root_token, _) = app.member("root@p.test", "Root").await;
    app.make_platform_admin(root["id"].as_str().unwrap()).await;
    let id = user["id"].as_str().unwrap();
    let reply = app.delete(&format!("/v1/users/{id}?purge=true"), &root_token).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(app.stored_user(id).await.unwrap().name, "");
}

#[tokio::test]
async fn deletion_is_recorded_as_user_deleted() {
    let app = spawn_app().await;
    let (owner_user, owner, account) = app.member("owner@x.test", "Owner").await;
    let (heir, _) = app.add_member(&owner, &account, "heir@x.test", "member").await;
    let (user, _) = app.add_member(&owner, &account, "m@x.test", "member").await;
    let id = user["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/v1/users/{id}"), &owner).await.status, StatusCode::OK);
    let trail = app.stored_activity(id).await;
    assert_eq!(trail[0], ("user.deleted".to_owned(), json!({"purged": false, "transferred_to": null})));
    // The API hides deleted users, their audit trail included.
    assert_eq!(app.get(&format!("/v1/users/{id}/activity"), &owner).await.status, StatusCode::NOT_FOUND);

    let owner_id = owner_user["id"].as_str().unwrap();
    let heir_id = heir["id"].as_str().unwrap();
    app.delete(&format!("/v1/users/{owner_id}?transfer_to={heir_id}&purge=true"), &owner).await;
    let trail = app.stored_activity(owner_id).await;
    assert_eq!(trail[0], ("user.deleted".to_owned(), json!({"purged": true, "transferred_to": heir_id})));
}

#[tokio::test]
async fn transfer_to_must_name_another_live_user() {
    let app = spawn_app().await;
    let (owner_user, owner, account) = app.member("owner@x.test", "Owner").await;
    let (gone, _) = app.add_member(&owner, &account, "gone@x.test", "member").await;
    let gone_id = gone["id"].as_str().unwrap();
    app.delete(&format!("/v1/users/{gone_id}"), &owner).await;
    let owner_id = owner_user["id"].as_str().unwrap();
    for heir in [uuid::Uuid::now_v7().to_string(), owner_id.to_owned(), gone_id.to_owned()] {
        let reply = app.delete(&format!("/v1/users/{owner_id}?transfer_to={heir}"), &owner).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{heir}");
        assert_eq!(reply.fields(), ["transfer_to"], "{heir}");
    }
    let reply = app.delete(&format!("/v1/users/{owner_id}?transfer_to=nobody"), &owner).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["transfer_to"]);
    let reply = app.delete(&format!("/v1/users/{owner_id}?force=true"), &owner).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.code(), "unknown_field");
    assert_eq!(app.get("/v1/users/profile", &owner).await.status, StatusCode::OK, "still there");
}

#[tokio::test]
async fn a_malformed_id_is_404() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    assert_eq!(app.delete("/v1/users/not-an-id", &owner).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn ownership_passes_only_to_an_active_member_of_the_account() {
    let app = spawn_app().await;
    let (owner_user, owner, _) = app.member("owner@x.test", "Owner").await;
    let (stranger, _, _) = app.member("stranger@y.test", "Stranger").await;
    let owner_id = owner_user["id"].as_str().unwrap();
    let stranger_id = stranger["id"].as_str().unwrap();
    let reply = app.delete(&format!("/v1/users/{owner_id}?transfer_to={stranger_id}"), &owner).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.body["errors"][0]["code"], "invalid_heir");
    // A stranger's id and a made-up one get the same answer: no existence leak.
    let unknown = app.delete(&format!("/v1/users/{owner_id}?transfer_to={}", uuid::Uuid::now_v7()), &owner).await;
    assert_eq!(unknown.body, reply.body);
    let profile = app.get("/v1/users/profile", &app.login("stranger@y.test").await).await;
    assert_eq!(profile.body["accounts"].as_array().unwrap().len(), 1, "the stranger gained nothing");
}
