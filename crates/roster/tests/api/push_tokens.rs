//! Push tokens (API.md §5): register (201, 200 again; a token moves to whoever registers it),
//! remove (404 when not the caller's), list by the last 6 characters; revoked with the user's
//! deletion or suspension; the "new sign-in" notice pushed to each device when
//! `notifications.push.security` is on; a token the provider answers 404/410 for forgotten.

use reqwest::StatusCode;
use roster_core::Clock;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};
use crate::sinks::HttpSink;

const TOKEN: &str = "fcm:dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH";

async fn register(app: &TestApp, session: &str, token: &str) -> crate::helpers::Reply {
    let body = json!({"token": token, "platform": "android", "device_id": "pixel-8", "device_name": "Ada's Pixel"});
    app.post("/v1/users/push-token", Some(session), body).await
}

async fn remove(app: &TestApp, session: &str, token: &str) -> StatusCode {
    let request =
        app.client.delete(app.url("/v1/users/push-token")).bearer_auth(session).json(&json!({"token": token}));
    app.send(request).await.status
}

fn listed(reply: &crate::helpers::Reply) -> Vec<String> {
    reply.body["data"].as_array().unwrap().iter().map(|t| t["token_last6"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_token_is_registered_once_moves_to_whoever_registers_it_and_is_shown_only_by_its_end() {
    let app = spawn_app().await;
    app.signup("ada@example.com", "Ada").await;
    app.signup("bob@example.com", "Bob").await;
    let (ada, bob) = (app.login("ada@example.com").await, app.login("bob@example.com").await);

    let first = register(&app, &ada, TOKEN).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(
        (first.body["token_last6"].as_str(), first.body["platform"].as_str()),
        (Some("FBaFUH"), Some("android"))
    );
    assert!(!first.body.to_string().contains(TOKEN), "the token is never shown back");
    assert_eq!(register(&app, &ada, TOKEN).await.status, StatusCode::OK, "again: refreshed");
    assert_eq!(listed(&app.get("/v1/users/push-tokens", &ada).await), ["FBaFUH"]);

    let bad = app.post("/v1/users/push-token", Some(&ada), json!({"token": "a b", "platform": "pager"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Bob's phone was Ada's: it is Bob's now.
    assert_eq!(register(&app, &bob, TOKEN).await.status, StatusCode::CREATED);
    assert!(listed(&app.get("/v1/users/push-tokens", &ada).await).is_empty());
    assert_eq!(remove(&app, &ada, TOKEN).await, StatusCode::NOT_FOUND, "not Ada's any more");
    assert_eq!(remove(&app, &bob, TOKEN).await, StatusCode::NO_CONTENT);
    assert_eq!(remove(&app, &bob, TOKEN).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deleting_or_suspending_a_user_revokes_its_tokens() {
    let app = spawn_app().await;
    app.signup("ada@example.com", "Ada").await;
    let session = app.login("ada@example.com").await;
    register(&app, &session, "token-of-ada-000001").await;
    for (email, name, token) in
        [("grace@example.com", "Grace", "token-of-grace-0002"), ("alan@example.com", "Alan", "token-of-alan-00003")]
    {
        app.create(&session, email, name).await;
        register(&app, &app.login(email).await, token).await;
    }
    assert_eq!(app.count("push_tokens").await, 3);
    let grace = app.get("/v1/users?q=grace", &session).await.body["data"][0]["id"].as_str().unwrap().to_owned();
    let alan = app.get("/v1/users?q=alan", &session).await.body["data"][0]["id"].as_str().unwrap().to_owned();

    let suspended = app.put(&format!("/v1/users/{grace}"), &session, json!({"status": "suspended"})).await;
    assert_eq!(suspended.status, StatusCode::OK, "{:?}", suspended.body);
    assert_eq!(app.count("push_tokens").await, 2, "suspension revokes Grace's");
    let deleted = app.delete(&format!("/v1/users/{alan}"), &session).await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    assert_eq!(app.count("push_tokens").await, 1, "deletion revokes Alan's");
    assert_eq!(listed(&app.get("/v1/users/push-tokens", &session).await), ["000001"], "Ada's stays");
}

#[tokio::test]
async fn a_new_sign_in_is_pushed_to_each_device_by_preference_and_gone_tokens_are_forgotten() {
    let provider = HttpSink::start().await;
    let push_url = provider.url("/push");
    let app = spawn_app_with(|o| {
        o.clock = Clock::pinned(time::OffsetDateTime::now_utc());
        o.settings.push_webhook_url = Some(push_url);
    })
    .await;
    app.signup("ada@example.com", "Ada").await;
    let session = app.login("ada@example.com").await;
    register(&app, &session, "device-token-111111").await;
    register(&app, &session, "device-token-222222").await;
    app.drain().await;
    let before = provider.requests().len();

    let from = |agent: &str| {
        let request = app
            .client
            .post(app.url("/v1/auth/login"))
            .header("User-Agent", agent)
            .json(&json!({"email": "ada@example.com", "password": PASSWORD}));
        app.send(request)
    };
    provider.fail_next(1, 410);
    assert_eq!(from("tablet/9").await.status, StatusCode::OK);
    app.drain().await;
    let pushed: Vec<_> = provider.requests().into_iter().skip(before).collect();
    assert_eq!(pushed.len(), 2, "one push per device");
    assert!(pushed.iter().all(|p| p.body["title"] == "New sign-in to your account"));
    assert!(pushed.iter().all(|p| p.body["body"].as_str().unwrap().contains("tablet/9")));
    let gone = pushed.iter().find(|p| p.status == 410).unwrap().body["tokens"][0].as_str().unwrap().to_owned();
    let left = listed(&app.get("/v1/users/push-tokens", &session).await);
    assert_eq!(left.len(), 1, "the token the provider answered 410 for is forgotten");
    assert!(!gone.ends_with(&left[0]));

    // With notifications.push.security off, the mail still goes but nothing is pushed.
    let id = app.get("/v1/users/profile", &session).await.body["id"].as_str().unwrap().to_owned();
    let mut tx = app.core.store().begin().await.unwrap();
    let prefs = json!({"notifications": {"push": {"security": false}}});
    let user = roster_domain::UserId::from_uuid(id.parse().unwrap());
    roster_store::preferences::upsert(&mut tx, user, &prefs, roster_store::Ts::new(app.clock.now())).await.unwrap();
    tx.commit().await.unwrap();
    let count = provider.requests().len();
    assert_eq!(from("laptop/3").await.status, StatusCode::OK);
    app.drain().await;
    assert_eq!(provider.requests().len(), count, "no push with the preference off");
}

#[tokio::test]
async fn a_user_keeps_twenty_push_tokens_and_the_one_registered_longest_ago_makes_way() {
    let app = spawn_app_with(|o| o.clock = Clock::pinned(time::OffsetDateTime::now_utc())).await;
    app.signup("ada@example.com", "Ada").await;
    let session = app.login("ada@example.com").await;
    for i in 0..20 {
        app.clock.advance(time::Duration::seconds(1));
        assert_eq!(register(&app, &session, &format!("device-token-{i:06}")).await.status, StatusCode::CREATED);
    }
    // The first one is refreshed: it is in use, so the second is now the one registered longest ago.
    app.clock.advance(time::Duration::seconds(1));
    assert_eq!(register(&app, &session, "device-token-000000").await.status, StatusCode::OK);
    app.clock.advance(time::Duration::seconds(1));
    assert_eq!(register(&app, &session, "device-token-000020").await.status, StatusCode::CREATED);
    let tokens = listed(&app.get("/v1/users/push-tokens", &session).await);
    assert_eq!(tokens.len(), 20);
    assert!(!tokens.contains(&"000001".to_owned()), "the one registered longest ago went: {tokens:?}");
    assert!(tokens.contains(&"000000".to_owned()) && tokens.contains(&"000020".to_owned()));
    assert_eq!(app.count("push_tokens").await, 20);
}
