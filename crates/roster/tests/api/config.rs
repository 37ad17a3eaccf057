//! `GET`/`PUT /v1/users/config` (API.md §5, the contact-channels issue §5): the defaults filled
//! in, a JSON merge patch checked once merged (every problem by its path, nothing written on a
//! refusal), time zone and locale that are the user's own fields, and notices that follow it.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with_mail};

#[tokio::test]
async fn the_configuration_has_its_defaults_and_a_merge_patch_changes_only_what_it_names() {
    let app = spawn_app().await;
    let (ada, token, _) = app.member("ada@example.com", "Ada").await;
    let config = app.get("/v1/users/config", &token).await;
    assert_eq!(config.status, StatusCode::OK);
    assert_eq!((&config.body["theme"], &config.body["date_format"]), (&json!("system"), &json!("YYYY-MM-DD")));
    assert_eq!(config.body["notifications"]["email"], json!({"security": true, "product": true, "marketing": false}));
    assert_eq!((&config.body["timezone"], &config.body["locale"]), (&ada["timezone"], &ada["locale"]));

    let patch = json!({"theme": "dark", "notifications": {"email": {"product": false}, "push": {"marketing": true}},
        "dashboard": {"widgets": ["team"]}});
    let changed = app.put("/v1/users/config", &token, patch).await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["theme"], "dark");
    assert_eq!(changed.body["notifications"]["email"], json!({"security": true, "product": false, "marketing": false}));
    assert_eq!(changed.body["notifications"]["push"]["marketing"], true);
    assert_eq!(changed.body["dashboard"]["widgets"], json!(["team"]));
    assert_eq!(app.get("/v1/users/config", &token).await.body, changed.body);
    let profile = app.get("/v1/users/profile", &token).await;
    assert_eq!(profile.body["preferences"], changed.body, "the profile shows the same document");

    let reset = app.put("/v1/users/config", &token, json!({"theme": null, "dashboard": {"widgets": null}})).await;
    assert_eq!(reset.body["theme"], "system", "null puts a setting back to its default");
    assert_eq!(reset.body["dashboard"], json!({}), "null removes a member of a free-form object");
    assert_eq!(reset.body["notifications"]["email"]["product"], false, "what the patch leaves out stays");
}

#[tokio::test]
async fn time_zone_and_locale_are_the_users_own_fields_both_ways() {
    let app = spawn_app().await;
    let (ada, token, _) = app.member("ada@example.com", "Ada").await;
    let id = ada["id"].as_str().unwrap();
    let changed = app.put("/v1/users/config", &token, json!({"timezone": "Europe/Paris", "locale": "fr-FR"})).await;
    assert_eq!((&changed.body["timezone"], &changed.body["locale"]), (&json!("Europe/Paris"), &json!("fr-FR")));
    let user = app.get(&format!("/v1/users/{id}"), &token).await;
    assert_eq!((&user.body["timezone"], &user.body["locale"]), (&json!("Europe/Paris"), &json!("fr-FR")));
    app.put(&format!("/v1/users/{id}"), &token, json!({"timezone": "Asia/Tokyo"})).await;
    assert_eq!(app.get("/v1/users/config", &token).await.body["timezone"], "Asia/Tokyo");
    let actions: Vec<String> = app.stored_activity(id).await.into_iter().map(|(a, _)| a).collect();
    assert!(actions.contains(&"user.config_updated".to_owned()), "{actions:?}");
}

#[tokio::test]
async fn every_problem_is_named_by_its_path_and_nothing_is_written() {
    let app = spawn_app().await;
    let (_, token, _) = app.member("ada@example.com", "Ada").await;
    let bad = app
        .put(
            "/v1/users/config",
            &token,
            json!({"theme": "neon", "colour": "red", "timezone": "Mars/Olympus", "date_format": 7,
                "notifications": {"email": {"security": false}, "sms": {"weekly": true}, "fax": {}},
                "dashboard": "big", "integrations": {"x": "y".repeat(17 * 1024)}}),
        )
        .await;
    assert_eq!((bad.status, bad.code()), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
    let mut fields = bad.fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "colour",
            "dashboard",
            "date_format",
            "integrations",
            "notifications.email.security",
            "notifications.fax",
            "notifications.sms.weekly",
            "theme",
            "timezone"
        ]
    );
    let half = app.put("/v1/users/config", &token, json!({"theme": "dark", "locale": "not a locale!"})).await;
    assert_eq!(half.fields(), ["locale"]);
    assert_eq!(app.get("/v1/users/config", &token).await.body["theme"], "system", "nothing half-written");
    let array = app.put("/v1/users/config", &token, json!([{"theme": "dark"}])).await;
    assert_eq!(array.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut deep = json!({"leaf": true});
    for _ in 0..200 {
        deep = json!({"a": deep});
    }
    let nested = app.put("/v1/users/config", &token, json!({"dashboard": deep})).await;
    assert!(nested.status.is_client_error(), "{:?}", nested.status);
}

#[tokio::test]
async fn product_mail_follows_the_preference_and_security_notices_always_go() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (_, token, _) = app.member("ada@example.com", "Ada").await;
    let off = app.put("/v1/users/config", &token, json!({"notifications": {"email": {"product": false}}})).await;
    assert_eq!(off.status, StatusCode::OK);
    let body =
        json!({"current_password": crate::helpers::PASSWORD, "new_password": "seven lanterns by the old mill road"});
    assert_eq!(app.post("/v1/auth/password", Some(&token), body).await.status, StatusCode::NO_CONTENT);
    app.drain().await;
    let subjects: Vec<String> = smtp.messages().iter().filter_map(|m| m.header("Subject")).collect();
    assert!(!subjects.iter().any(|s| s.to_lowercase().contains("welcome")), "no welcome (product): {subjects:?}");
    assert!(subjects.iter().any(|s| s.contains("password was changed")), "security notice: {subjects:?}");
}
