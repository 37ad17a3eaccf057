//! `PUT /v1/users/{id}`: partial updates, validation, `If-Match`, status changes and who may
//! make them, and the `user.updated` audit entry.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, spawn_app};

const PROFILE_FIELDS: [&str; 9] =
    ["name", "first_name", "last_name", "image", "title", "bio", "timezone", "locale", "metadata"];

/// A signed-up, signed-in user: (app, id, token).
async fn one_user() -> (TestApp, String, String) {
    let app = spawn_app().await;
    let (user, token, _) = app.member("ada@x.test", "Ada Lovelace").await;
    (app, user["id"].as_str().unwrap().to_owned(), token)
}

async fn put_if_match(app: &TestApp, id: &str, token: &str, etag: &str, body: Value) -> Reply {
    let request =
        app.client.put(app.url(&format!("/v1/users/{id}"))).bearer_auth(token).header("if-match", etag).json(&body);
    app.send(request).await
}

#[tokio::test]
async fn each_profile_field_can_be_updated_alone() {
    let (app, id, token) = one_user().await;
    let path = format!("/v1/users/{id}");
    let cases = [
        ("name", json!("Ada King"), json!("Ada King")),
        ("first_name", json!("Ada"), json!("Ada")),
        ("last_name", json!("King"), json!("King")),
        ("image", json!("https://cdn.example.com/ada.png"), json!("https://cdn.example.com/ada.png")),
        ("title", json!("Countess of Lovelace"), json!("Countess of Lovelace")),
        (
            "bio",
            json!("Wrote the first program.\nLoved poetical science."),
            json!("Wrote the first program.\nLoved poetical science."),
        ),
        ("timezone", json!("Europe/London"), json!("Europe/London")),
        ("locale", json!("en-GB"), json!("en-GB")),
        (
            "metadata",
            json!({"team": "engines", "level": 3, "tags": ["a", "b"]}),
            json!({"team": "engines", "level": 3, "tags": ["a", "b"]}),
        ),
    ];
    for (field, value, expected) in cases {
        let before = app.get(&path, &token).await.body;
        let reply = app.put(&path, &token, json!({ field: value })).await;
        assert_eq!(reply.status, StatusCode::OK, "{field}: {:?}", reply.body);
        assert_eq!(reply.body[field], expected, "{field}");
        for other in PROFILE_FIELDS.iter().chain(&["email", "status", "created_at"]).filter(|f| **f != field) {
            assert_eq!(reply.body[*other], before[*other], "updating {field} left {other} alone");
        }
        assert_eq!(app.get(&path, &token).await.body[field], expected, "{field} is stored");
    }
}

#[tokio::test]
async fn null_clears_optional_fields() {
    let (app, id, token) = one_user().await;
    let path = format!("/v1/users/{id}");
    let set = json!({"first_name": "Ada", "last_name": "King", "image": "http://example.com/a.png", "title": "Countess", "bio": "Hi", "metadata": {"a": 1}});
    assert_eq!(app.put(&path, &token, set).await.status, StatusCode::OK);
    let cleared =
        json!({"first_name": null, "last_name": null, "image": null, "title": null, "bio": null, "metadata": null});
    let reply = app.put(&path, &token, cleared).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let stored = app.get(&path, &token).await.body;
    for field in ["first_name", "last_name", "image", "title", "bio"] {
        assert_eq!(reply.body[field], Value::Null, "{field}");
        assert_eq!(stored[field], Value::Null, "{field}");
    }
    assert_eq!(stored["metadata"], json!({}), "null metadata is the empty object");
    assert_eq!(stored["name"], "Ada Lovelace", "absent fields are untouched");
}

#[tokio::test]
async fn required_fields_cannot_be_cleared() {
    let (app, id, token) = one_user().await;
    let reply =
        app.put(&format!("/v1/users/{id}"), &token, json!({"name": null, "timezone": null, "locale": null})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["name", "timezone", "locale"]);
    let reply = app.put(&format!("/v1/users/{id}"), &token, json!({"name": "   "})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["name"]);
}

#[tokio::test]
async fn timezone_and_locale_are_validated_with_field_names() {
    let (app, id, token) = one_user().await;
    let path = format!("/v1/users/{id}");
    for (body, fields) in [
        (json!({"timezone": "Mars/Olympus", "locale": "xx-YY"}), vec!["timezone", "locale"]),
        (json!({"timezone": "CEST"}), vec!["timezone"]),
        (json!({"locale": "en_US"}), vec!["locale"]),
        (json!({"locale": ""}), vec!["locale"]),
        (json!({"timezone": 1}), vec!["timezone"]),
    ] {
        let reply = app.put(&path, &token, body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(reply.code(), "validation_failed", "{body}");
        assert_eq!(reply.fields(), fields, "{body}");
    }
    let stored = app.get(&path, &token).await.body;
    assert_eq!((stored["timezone"].as_str(), stored["locale"].as_str()), (Some("UTC"), Some("en")), "nothing changed");
}

#[tokio::test]
async fn timezone_and_locale_are_stored_in_canonical_form() {
    let (app, id, token) = one_user().await;
    let path = format!("/v1/users/{id}");
    let reply = app.put(&path, &token, json!({"timezone": "europe/paris", "locale": "en-us"})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["timezone"], "Europe/Paris");
    assert_eq!(reply.body["locale"], "en-US");
    let reply = app.put(&path, &token, json!({"timezone": "AMERICA/NEW_YORK", "locale": "PT-br"})).await;
    assert_eq!(
        (reply.body["timezone"].as_str(), reply.body["locale"].as_str()),
        (Some("America/New_York"), Some("pt-BR"))
    );
    let stored = app.get(&path, &token).await.body;
    assert_eq!(stored["timezone"], "America/New_York");
}

#[tokio::test]
async fn bio_is_at_most_2000_characters() {
    let (app, id, token) = one_user().await;
    let path = format!("/v1/users/{id}");
    let reply = app.put(&path, &token, json!({"bio": "x".repeat(2001)})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["bio"]);
    assert_eq!(reply.body["errors"][0]["code"], "too_long");
    // Characters, not bytes: 2000 two-byte characters are fine.
    let long = "é".repeat(2000);
    let reply = app.put(&path, &token, json!({"bio": long})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body["errors"]);
    assert_eq!(reply.body["bio"], long.as_str());
}

#[tokio::test]
async fn image_must_be_an_http_or_https_url() {
    let (app, id, token) = one_user().await;
    let path = format!("/v1/users/{id}");
    for bad in [
        "ftp://example.com/a.png",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "example.com/a.png",
        "https://",
        "https://exa mple.com/a.png",
        "/a.png",
    ] {
        let reply = app.put(&path, &token, json!({"image": bad})).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(reply.fields(), ["image"], "{bad}");
        assert_eq!(reply.body["errors"][0]["code"], "invalid_url", "{bad}");
    }
    for good in ["http://example.com/a.png", "https://cdn.example.com/u/1?size=64"] {
        let reply = app.put(&path, &token, json!({"image": good})).await;
        assert_eq!(reply.status, StatusCode::OK, "{good}");
        assert_eq!(reply.body["image"], good);
    }
}

#[tokio::test]
async fn metadata_must_be_an_object_of_at_most_16_kib() {
    let (app, id, token) = one_user().await;
    let path = format!("/v1/users/{id}");
    for bad in [json!([1, 2]), json!("text"), json!(42), json!({"blob": "x".repeat(16 * 1024)})] {
        let reply = app.put(&path, &token, json!({"metadata": bad})).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.fields(), ["metadata"]);
    }
    let big = json!({"blob": "x".repeat(16 * 1024 - 100)});
    let reply = app.put(&path, &token, json!({"metadata": big})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(app.get(&path, &token).await.body["metadata"], big);
}

#[tokio::test]
async fn fields_that_are_not_profile_fields_are_422_unknown_field() {
    let (app, id, token) = one_user().await;
    let path = format!("/v1/users/{id}");
    for field in ["email", "password", "id", "platform_admin", "email_verified", "mfa_enabled", "created_at", "role"] {
        let reply = app.put(&path, &token, json!({"name": "Changed", field: "x"})).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert_eq!(reply.code(), "unknown_field", "{field}");
        assert_eq!(reply.fields(), [field], "{field}");
    }
    let stored = app.get(&path, &token).await.body;
    assert_eq!(stored["name"], "Ada Lovelace", "a refused body changes nothing");
    assert_eq!(stored["platform_admin"], false);
}

#[tokio::test]
async fn if_match_with_the_current_etag_succeeds_and_returns_a_new_etag() {
    let (app, id, token) = one_user().await;
    let path = format!("/v1/users/{id}");
    let etag = app.get(&path, &token).await.header("etag").unwrap().to_owned();
    let reply = put_if_match(&app, &id, &token, &etag, json!({"title": "Countess"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let new_etag = reply.header("etag").expect("a new ETag").to_owned();
    assert_ne!(new_etag, etag);
    assert_eq!(
        app.get(&path, &token).await.header("etag"),
        Some(new_etag.as_str()),
        "the PUT's ETag is the stored one"
    );
    let reply = put_if_match(&app, &id, &token, &new_etag, json!({"title": "Analyst"})).await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = put_if_match(&app, &id, &token, "*", json!({"title": "Poet"})).await;
    assert_eq!(reply.status, StatusCode::OK, "If-Match: * matches any current version");
}

#[tokio::test]
async fn a_stale_etag_is_412_and_changes_nothing() {
    let (app, id, token) = one_user().await;
    let path = format!("/v1/users/{id}");
    let stale = app.get(&path, &token).await.header("etag").unwrap().to_owned();
    assert_eq!(app.put(&path, &token, json!({"title": "First"})).await.status, StatusCode::OK);
    let reply = put_if_match(&app, &id, &token, &stale, json!({"title": "Second"})).await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(reply.code(), "precondition_failed");
    assert_eq!(app.get(&path, &token).await.body["title"], "First");
    let reply = put_if_match(&app, &id, &token, "\"something-else\"", json!({"title": "Third"})).await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn an_update_that_changes_nothing_keeps_the_etag_and_records_nothing() {
    let (app, id, token) = one_user().await;
    let path = format!("/v1/users/{id}");
    let before = app.get(&path, &token).await;
    let reply = app.put(&path, &token, json!({"name": "Ada Lovelace", "title": null})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("etag"), before.header("etag"));
    assert_eq!(reply.body["updated_at"], before.body["updated_at"]);
    let activity = app.get(&format!("/v1/users/{id}/activity"), &token).await;
    let actions: Vec<&str> =
        activity.body["data"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert!(!actions.contains(&"user.updated"), "{actions:?}");
}

#[tokio::test]
async fn nobody_changes_their_own_status() {
    let (app, id, token) = one_user().await;
    for status in ["suspended", "active"] {
        let reply = app.put(&format!("/v1/users/{id}"), &token, json!({"status": status})).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{status}");
        assert_eq!(reply.code(), "forbidden");
    }
    app.make_platform_admin(&id).await;
    let reply = app.put(&format!("/v1/users/{id}"), &token, json!({"status": "suspended"})).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "not even a platform admin");
    assert_eq!(app.get("/v1/users/profile", &token).await.body["status"], "active");
}

#[tokio::test]
async fn status_must_be_active_or_suspended() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (user, _) = app.add_member(&owner, &account, "m@x.test", "member").await;
    let path = format!("/v1/users/{}", user["id"].as_str().unwrap());
    for status in [json!("deleted"), json!("invited"), json!("banned"), json!(null)] {
        let reply = app.put(&path, &owner, json!({"status": status})).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{status}");
        assert_eq!(reply.fields(), ["status"], "{status}");
    }
}

#[tokio::test]
async fn an_admin_of_the_users_only_account_suspends_it_and_its_sessions_end() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (_, admin) = app.add_member(&owner, &account, "admin@x.test", "admin").await;
    let (user, user_token) = app.add_member(&owner, &account, "m@x.test", "member").await;
    let path = format!("/v1/users/{}", user["id"].as_str().unwrap());
    let other_session = app.login("m@x.test").await;

    let reply = app.put(&path, &admin, json!({"status": "suspended"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["status"], "suspended");
    for token in [&user_token, &other_session] {
        assert_eq!(app.get("/v1/users/profile", token).await.status, StatusCode::UNAUTHORIZED);
    }

    let reply = app.put(&path, &admin, json!({"status": "active"})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["status"], "active");
    // The sessions were revoked, not merely refused while suspended.
    assert_eq!(app.get("/v1/users/profile", &user_token).await.status, StatusCode::UNAUTHORIZED);
    let fresh = app.login("m@x.test").await;
    assert_eq!(app.get("/v1/users/profile", &fresh).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_user_of_two_accounts_is_changed_only_with_rights_in_both_or_by_a_platform_admin() {
    let app = spawn_app().await;
    let (_, owner_a, account_a) = app.member("owner@a.test", "Owner A").await;
    let (_, admin_a) = app.add_member(&owner_a, &account_a, "admin@a.test", "admin").await;
    let (_, owner_b, account_b) = app.member("owner@b.test", "Owner B").await;
    let (user, user_token) = app.add_member(&owner_a, &account_a, "shared@a.test", "member").await;
    let id = user["id"].as_str().unwrap();
    app.join(id, &account_b, "member", &[]).await;
    let path = format!("/v1/users/{id}");

    for (token, who) in [(&admin_a, "admin of A"), (&owner_a, "owner of A"), (&owner_b, "owner of B")] {
        let reply = app.put(&path, token, json!({"status": "suspended"})).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who}: {:?}", reply.body);
        assert_eq!(reply.code(), "forbidden");
        let reply = app.put(&path, token, json!({"name": "Renamed"})).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who} cannot change the profile either");
    }
    assert_eq!(app.get("/v1/users/profile", &user_token).await.body["status"], "active");

    let (platform, platform_token, _) = app.member("root@p.test", "Root").await;
    app.make_platform_admin(platform["id"].as_str().unwrap()).await;
    let reply = app.put(&path, &platform_token, json!({"status": "suspended"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["status"], "suspended");
    assert_eq!(app.get("/v1/users/profile", &user_token).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_admin_in_both_accounts_may_change_a_shared_user() {
    let app = spawn_app().await;
    let (admin_user, admin, account_a) = app.member("owner@a.test", "Owner A").await;
    let (_, _, account_b) = app.member("owner@b.test", "Owner B").await;
    let (user, _) = app.add_member(&admin, &account_a, "shared@a.test", "member").await;
    let id = user["id"].as_str().unwrap();
    app.join(id, &account_b, "member", &[]).await;
    app.join(admin_user["id"].as_str().unwrap(), &account_b, "admin", &[]).await;
    let reply = app.put(&format!("/v1/users/{id}"), &admin, json!({"status": "suspended", "title": "On leave"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

#[tokio::test]
async fn a_member_without_users_update_cannot_change_others_and_strangers_see_nothing() {
    let app = spawn_app().await;
    let (owner_user, owner, account) = app.member("owner@x.test", "Owner").await;
    let (_, member) = app.add_member(&owner, &account, "m@x.test", "member").await;
    let (_, viewer) = app.add_member(&owner, &account, "v@x.test", "viewer").await;
    let (target, _) = app.add_member(&owner, &account, "t@x.test", "member").await;
    let path = format!("/v1/users/{}", target["id"].as_str().unwrap());
    for (token, who) in [(&member, "member"), (&viewer, "viewer")] {
        let reply = app.put(&path, token, json!({"title": "Hacked"})).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(reply.code(), "forbidden");
    }
    let reply = app
        .put(&format!("/v1/users/{}", owner_user["id"].as_str().unwrap()), &member, json!({"status": "suspended"}))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);

    let (_, stranger, _) = app.member("s@y.test", "Stranger").await;
    let reply = app.put(&path, &stranger, json!({"title": "Hacked"})).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.code(), "not_found");
    let reply = app.put(&format!("/v1/users/{}", uuid::Uuid::now_v7()), &owner, json!({"title": "x"})).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&path, &owner).await.body["title"], Value::Null);
}

#[tokio::test]
async fn an_admin_cannot_change_a_platform_admin() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (user, _) = app.add_member(&owner, &account, "root@x.test", "member").await;
    let id = user["id"].as_str().unwrap();
    app.make_platform_admin(id).await;
    let reply = app.put(&format!("/v1/users/{id}"), &owner, json!({"status": "suspended"})).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_update_is_recorded_as_user_updated_with_each_changed_field() {
    let app = spawn_app().await;
    let (owner_user, owner, account) = app.member("owner@x.test", "Owner").await;
    let (user, token) = app.add_member(&owner, &account, "m@x.test", "member").await;
    let id = user["id"].as_str().unwrap();

    let reply = app
        .put(
            &format!("/v1/users/{id}"),
            &token,
            json!({"name": "Mia", "bio": "Hello", "timezone": "europe/paris", "title": null}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let activity = app.get(&format!("/v1/users/{id}/activity"), &token).await;
    assert_eq!(activity.status, StatusCode::OK);
    let latest = &activity.body["data"][0];
    assert_eq!(latest["action"], "user.updated");
    assert_eq!(latest["actor_id"], id);
    assert_eq!(latest["account_id"], account.as_str());
    assert_eq!(
        latest["changes"],
        json!({
            "name": {"from": "m@x.test", "to": "Mia"},
            "bio": {"from": null, "to": "Hello"},
            "timezone": {"from": "UTC", "to": "Europe/Paris"}
        }),
        "only what changed, canonical values"
    );
    assert!(latest["at"].as_str().unwrap().ends_with('Z'));

    app.put(&format!("/v1/users/{id}"), &owner, json!({"status": "suspended"})).await;
    let activity = app.get(&format!("/v1/users/{id}/activity"), &owner).await;
    let latest = &activity.body["data"][0];
    assert_eq!(latest["action"], "user.updated");
    assert_eq!(latest["actor_id"], owner_user["id"]);
    assert_eq!(latest["changes"], json!({"status": {"from": "active", "to": "suspended"}}));
}

#[tokio::test]
async fn updating_needs_a_json_body_and_a_signed_in_caller() {
    let (app, id, token) = one_user().await;
    let path = format!("/v1/users/{id}");
    let reply = app.send(app.client.put(app.url(&path)).bearer_auth(&token).body(r#"{"title":"x"}"#)).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let reply = app.call(reqwest::Method::PUT, &path, None, Some(json!({"title": "x"}))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}
