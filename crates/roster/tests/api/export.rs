//! `GET /v1/users/{id}/export` (the contact-channels issue §8): one document with everything
//! stored about the user — and never a secret — for the user itself or a platform admin.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::calendars::{calendar_app, subscribe};
use crate::feeds::{Feed, FeedServer, calendar};
use crate::helpers::PASSWORD;

const PUSH: &str = "fcm:dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH";

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_export_holds_everything_stored_about_the_user_and_never_a_secret() {
    let app = calendar_app().await;
    let feeds = FeedServer::start().await;
    let event =
        "BEGIN:VEVENT\r\nUID:review@example.com\r\nSUMMARY:Review\r\nDTSTART:20261201T150000Z\r\nEND:VEVENT\r\n";
    feeds.put("team.ics", Feed::Ics { body: calendar(event), etag: None });
    // Bob owns the account; Ada is a member of it and of one of its workspaces.
    let (_, bob, account) = app.member("bob@example.com", "Bob").await;
    let (ada_user, ada) = app.add_member(&bob, &account, "ada@example.com", "member").await;
    let ada_id = id(&ada_user);
    let workspace =
        id(&app.post(&format!("/v1/accounts/{account}/workspaces"), Some(&bob), json!({"name": "Ops"})).await.body);
    let joined = app
        .post(&format!("/v1/workspaces/{workspace}/members"), Some(&bob), json!({"user_id": ada_id, "role": "lead"}))
        .await;
    assert_eq!(joined.status, StatusCode::CREATED);

    // What Ada stores: a phone, a second address, a device, preferences, a calendar, an answer
    // to an announcement, a TOTP enrolment left pending, a failed login.
    let phone = app.post(&format!("/v1/users/{ada_id}/phone"), Some(&ada), json!({"number": "+14155550142"})).await;
    assert_eq!(phone.status, StatusCode::CREATED);
    let added = app.put("/v1/users/email", &ada, json!({"email": "ada@work.example", "password": PASSWORD})).await;
    assert_eq!(added.status, StatusCode::ACCEPTED);
    let push = app.post("/v1/users/push-token", Some(&ada), json!({"token": PUSH, "platform": "ios"})).await;
    assert_eq!(push.status, StatusCode::CREATED);
    assert_eq!(app.put("/v1/users/config", &ada, json!({"theme": "dark"})).await.status, StatusCode::OK);
    let cal = subscribe(&app, &ada, &feeds.url("team.ics")).await;
    let (root_user, root, _) = app.member("root@example.com", "Root").await;
    app.make_platform_admin(&id(&root_user)).await;
    let announcement = app.post("/v1/announcements", Some(&root), json!({"title": "Hello", "body": "All"})).await;
    assert_eq!(announcement.status, StatusCode::CREATED, "{:?}", announcement.body);
    let answered = app
        .put(&format!("/v1/users/{ada_id}/announcement/{}", id(&announcement.body)), &ada, json!({"status": "seen"}))
        .await;
    assert_eq!(answered.status, StatusCode::OK);
    let totp = app.post("/v1/auth/mfa/totp", Some(&ada), json!({}));
    let seed = totp.await.body["secret"].as_str().unwrap().to_owned();
    let wrong = app
        .post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": "not the password at all"}))
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    app.drain().await;

    let reply = app.get(&format!("/v1/users/{ada_id}/export"), &ada).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(
        reply.headers["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"roster-user-{ada_id}.json\"")
    );
    let export = &reply.body;
    assert_eq!(export["format"], "roster.user-export.v1");
    assert_eq!(export["user"]["id"], ada_id.as_str());
    let addresses: Vec<&str> =
        export["emails"].as_array().unwrap().iter().map(|e| e["address"].as_str().unwrap()).collect();
    assert_eq!(addresses, ["ada@example.com", "ada@work.example"]);
    assert_eq!(export["phones"][0]["number"], "+14155550142");
    assert_eq!(export["mfa"], json!({"totp_enabled": false, "enabled_at": null}));
    assert_eq!(export["memberships"][0]["account_id"], account.as_str());
    assert_eq!(export["memberships"][0]["role"], "member");
    assert_eq!(
        (export["workspaces"][0]["workspace"]["id"].as_str(), export["workspaces"][0]["role"].as_str()),
        (Some(workspace.as_str()), Some("lead"))
    );
    assert_eq!(export["preferences"]["theme"], "dark");
    assert_eq!(export["push_tokens"][0]["token_last6"], "FBaFUH");
    assert_eq!(export["sessions"].as_array().unwrap().len(), 1);
    assert!(export["sessions"][0]["revoked_at"].is_null());
    let attempts: Vec<bool> =
        export["login_history"].as_array().unwrap().iter().map(|a| a["success"].as_bool().unwrap()).collect();
    assert_eq!(attempts, [false, true], "newest first");
    let actions: Vec<&str> =
        export["activity"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"user.login") && actions.contains(&"user.created"), "{actions:?}");
    assert_eq!(export["calendars"][0]["calendar"]["id"], cal["id"]);
    assert_eq!(export["calendars"][0]["events"][0]["uid"], "review@example.com");
    assert_eq!(export["announcements"][0]["status"], "seen");
    assert!(export["analytics"]["days"].as_array().is_some_and(|d| !d.is_empty()), "{}", export["analytics"]);
    assert_eq!(export["crm_contacts"][0]["email"], "ada@example.com");

    // Nothing secret: not her session token, the device's token, the TOTP seed, a hash.
    let text = export.to_string();
    for secret in [ada.as_str(), PUSH, seed.as_str(), "$argon2", "token_hash", "seed"] {
        assert!(!text.contains(secret), "the export holds {secret:?}");
    }

    // Recorded; a platform admin may export her too; Bob, who manages her, may not; a stranger
    // cannot even see her.
    let trail = app.get(&format!("/v1/users/{ada_id}/activity"), &ada).await;
    assert_eq!(trail.body["data"][0]["action"], "user.exported");
    assert_eq!(app.get(&format!("/v1/users/{ada_id}/export"), &root).await.status, StatusCode::OK);
    assert_eq!(app.get(&format!("/v1/users/{ada_id}/export"), &bob).await.status, StatusCode::FORBIDDEN);
    let (_, stranger, _) = app.member("eve@example.com", "Eve").await;
    assert_eq!(app.get(&format!("/v1/users/{ada_id}/export"), &stranger).await.status, StatusCode::NOT_FOUND);
}
