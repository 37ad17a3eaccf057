//! `GET /v1/users?q=` and `POST /v1/users/search` find users by any of their email addresses and,
//! for a term written like a number, by the digits of their phone numbers (the contact-channels
//! issue §3).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, enc, spawn_app};

#[tokio::test]
async fn users_are_found_by_their_other_addresses_and_their_phone_digits() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("ada@example.com", "Ada").await;
    let (bob, bob_token) = app.add_member(&owner, &account, "bob@example.com", "member").await;
    let (cy, _) = app.add_member(&owner, &account, "cy@example.com", "member").await;
    let added =
        app.put("/v1/users/email", &bob_token, json!({"email": "Robert@Quill.test", "password": PASSWORD})).await;
    assert_eq!(added.status, StatusCode::ACCEPTED);
    let cy_id = cy["id"].as_str().unwrap();
    let phone = app.post(&format!("/v1/users/{cy_id}/phone"), Some(&owner), json!({"number": "+1 415 555 0142"})).await;
    assert_eq!(phone.status, StatusCode::CREATED, "{:?}", phone.body);

    let listed = |q: &'static str| {
        let app = &app;
        let owner = owner.clone();
        async move { app.get(&format!("/v1/users?q={}", enc(q)), &owner).await.emails() }
    };
    assert_eq!(listed("quill").await, ["bob@example.com"]);
    assert_eq!(listed("ROBERT@").await, ["bob@example.com"]);
    assert_eq!(listed("4155550142").await, ["cy@example.com"]);
    assert_eq!(listed("(415) 555").await, ["cy@example.com"]);
    assert!(listed("4155550199").await.is_empty());
    let searched = app.post("/v1/users/search", Some(&owner), json!({"query": "+14155550142"})).await;
    assert_eq!(searched.emails(), ["cy@example.com"]);
    let searched = app.post("/v1/users/search", Some(&owner), json!({"query": "quill.test"})).await;
    assert_eq!(searched.emails(), ["bob@example.com"]);
    assert_eq!(bob["email"], "bob@example.com");
}
