//! `GET /v1/users/{id}/activity`: the audit trail, newest first, with cursor pagination.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, enc, spawn_app};

/// A user with seven entries, newest first: five title changes (T5..T1), its login, its creation.
async fn busy_user() -> (TestApp, String, String) {
    let app = spawn_app().await;
    let (user, token, _) = app.member("ada@x.test", "Ada").await;
    let id = user["id"].as_str().unwrap().to_owned();
    for i in 1..=5 {
        let reply = app.put(&format!("/v1/users/{id}"), &token, json!({"title": format!("T{i}")})).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    (app, id, token)
}

#[tokio::test]
async fn activity_is_newest_first_and_pages_with_a_cursor() {
    let (app, id, token) = busy_user().await;
    let mut entries: Vec<Value> = Vec::new();
    let mut sizes = Vec::new();
    let mut path = format!("/v1/users/{id}/activity?limit=3");
    loop {
        let reply = app.get(&path, &token).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let page = reply.body["data"].as_array().unwrap().clone();
        sizes.push(page.len());
        entries.extend(page);
        match reply.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/users/{id}/activity?limit=3&cursor={}", enc(cursor)),
            None => break,
        }
        assert!(sizes.len() < 10);
    }
    assert_eq!(sizes, [3, 3, 1]);
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["user.updated", "user.updated", "user.updated", "user.updated", "user.updated", "user.login", "user.created"]
    );
    let titles: Vec<&Value> = entries[..5].iter().map(|e| &e["changes"]["title"]["to"]).collect();
    assert_eq!(titles, [&json!("T5"), &json!("T4"), &json!("T3"), &json!("T2"), &json!("T1")]);
    let times: Vec<time::OffsetDateTime> = entries
        .iter()
        .map(|e| {
            time::OffsetDateTime::parse(e["at"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
                .unwrap()
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");
    let mut ids: Vec<&str> = entries.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 7, "no entry twice");
    let keys: Vec<&String> = entries[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["account_id", "action", "actor_id", "at", "changes", "id", "ip", "user_agent"]);
    assert_eq!(entries[0]["actor_id"], id.as_str());
}

#[tokio::test]
async fn activity_default_page_holds_everything_up_to_20() {
    let (app, id, token) = busy_user().await;
    let reply = app.get(&format!("/v1/users/{id}/activity"), &token).await;
    assert_eq!(reply.body["data"].as_array().unwrap().len(), 7);
    assert_eq!(reply.body["next_cursor"], Value::Null);
    let exact = app.get(&format!("/v1/users/{id}/activity?limit=7"), &token).await;
    assert_eq!(exact.body["next_cursor"], Value::Null, "a full last page has no next cursor");
}

#[tokio::test]
async fn activity_limit_bounds_and_bad_cursors() {
    let (app, id, token) = busy_user().await;
    for limit in ["0", "101", "x"] {
        let reply = app.get(&format!("/v1/users/{id}/activity?limit={limit}"), &token).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "limit={limit}");
        assert_eq!(reply.fields(), ["limit"], "limit={limit}");
    }
    assert_eq!(app.get(&format!("/v1/users/{id}/activity?limit=100"), &token).await.status, StatusCode::OK);

    let cursor = app.get(&format!("/v1/users/{id}/activity?limit=2"), &token).await.body["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, other_token, _) = app.member("grace@x.test", "Grace").await;
    let other_id = app.get("/v1/users/profile", &other_token).await.body["id"].as_str().unwrap().to_owned();
    let other_cursor = {
        app.put(&format!("/v1/users/{other_id}"), &other_token, json!({"title": "x"})).await;
        app.get(&format!("/v1/users/{other_id}/activity?limit=1"), &other_token).await.body["next_cursor"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for bad in [format!("z{cursor}"), "garbage".to_owned(), other_cursor] {
        let reply = app.get(&format!("/v1/users/{id}/activity?cursor={}", enc(&bad)), &token).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.code(), "bad_request");
    }
    let reply = app.get(&format!("/v1/users/{id}/activity?sort=at"), &token).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.code(), "unknown_field");
}

#[tokio::test]
async fn activity_is_visible_as_the_user_is() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (viewer_user, viewer) = app.add_member(&owner, &account, "viewer@x.test", "viewer").await;
    let (member, _) = app.add_member(&owner, &account, "m@x.test", "member").await;
    let path = format!("/v1/users/{}/activity", member["id"].as_str().unwrap());
    let reply = app.get(&path, &viewer).await;
    assert_eq!(reply.status, StatusCode::OK);
    let created =
        reply.body["data"].as_array().unwrap().iter().find(|e| e["action"] == "user.created").cloned().unwrap();
    assert_eq!(created["account_id"], account.as_str());
    assert_eq!(created["changes"]["role"], "member");
    assert_ne!(created["actor_id"], viewer_user["id"]);

    let (_, stranger, _) = app.member("s@y.test", "Stranger").await;
    let reply = app.get(&path, &stranger).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/v1/users/{}/activity", uuid::Uuid::now_v7()), &owner).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/v1/users/nope/activity", &owner).await.status, StatusCode::NOT_FOUND);
}
