//! `GET /v1/admin/audit`: the whole audit trail for platform admins, filtered and paged.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{enc, spawn_app};

fn actions(page: &Value) -> Vec<&str> {
    page["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn platform_admins_search_the_whole_trail_by_actor_user_account_action_and_time() {
    let app = spawn_app().await;
    let (admin, admin_token, _) = app.member("root@x.test", "Root").await;
    let admin_id = admin["id"].as_str().unwrap();
    app.make_platform_admin(admin_id).await;
    let (owner, owner_token, acme) = app.member("ada@x.test", "Ada").await;
    let owner_id = owner["id"].as_str().unwrap();
    let bob = app.create(&owner_token, "bob@x.test", "Bob").await;
    let reply = app.put(&format!("/v1/users/{bob}"), &owner_token, serde_json::json!({"title": "Analyst"})).await;
    assert_eq!(reply.status, StatusCode::OK);

    // Everything, newest first: Bob's update is the latest entry.
    let all = app.get("/v1/admin/audit", &admin_token).await;
    assert_eq!(all.status, StatusCode::OK, "{:?}", all.body);
    assert_eq!(all.body["data"][0]["action"], "user.updated");
    assert_eq!(all.body["data"][0]["user_id"], bob.as_str());
    assert_eq!(all.body["data"][0]["actor_id"], owner_id);

    // What Ada did, about Bob, in her account.
    let by_ada =
        app.get(&format!("/v1/admin/audit?actor_id={owner_id}&user_id={bob}&account_id={acme}"), &admin_token).await;
    assert_eq!(by_ada.status, StatusCode::OK, "{:?}", by_ada.body);
    assert_eq!(actions(&by_ada.body), ["user.updated", "user.created"]);
    let updates = app.get(&format!("/v1/admin/audit?action=user.updated&user_id={bob}"), &admin_token).await;
    assert_eq!(actions(&updates.body), ["user.updated"]);
    let later = app.get("/v1/admin/audit?from=2999-01-01T00:00:00Z", &admin_token).await;
    assert_eq!(later.body["data"], serde_json::json!([]));
    let earlier = app.get("/v1/admin/audit?to=2000-01-01T00:00:00Z", &admin_token).await;
    assert_eq!(earlier.body["data"], serde_json::json!([]));

    // Pages of two, each entry once.
    let mut seen = Vec::new();
    let mut path = "/v1/admin/audit?limit=2".to_owned();
    loop {
        let page = app.get(&path, &admin_token).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        seen.extend(page.body["data"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/admin/audit?limit=2&cursor={}", enc(cursor)),
            None => break,
        }
        assert!(seen.len() < 100);
    }
    assert_eq!(seen.len(), all.body["data"].as_array().unwrap().len());
    // A cursor of one filter is not a cursor of another.
    let first = app.get("/v1/admin/audit?limit=1", &admin_token).await;
    let cursor = enc(first.body["next_cursor"].as_str().unwrap());
    let other = app.get(&format!("/v1/admin/audit?limit=1&action=user.login&cursor={cursor}"), &admin_token).await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);

    // Bad filters are named.
    let bad = app.get("/v1/admin/audit?action=user.exploded&from=yesterday&to=soon", &admin_token).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.fields(), ["action", "from", "to"]);
    let malformed = app.get("/v1/admin/audit?user_id=nope", &admin_token).await;
    assert_eq!((malformed.status, malformed.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["user_id".to_owned()]));
    assert_eq!(app.get("/v1/admin/audit?colour=red", &admin_token).await.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Owners of an account are not platform admins.
    let refused = app.get("/v1/admin/audit", &owner_token).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
