//! Announcements (API.md §5, the contact-channels issue §6): platform admins publish them for
//! everyone or for an account and its sub-accounts; users see the active ones with their own
//! answer (seen, dismissed, snoozed until a time); `notify` mails each recipient by its product
//! preference through the notifications queue.

use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;
use time::format_description::well_known::Rfc3339;

use crate::helpers::{TestApp, spawn_app_with_mail};

/// Ada, a platform admin with her own account; Bob, in an account of his own; Cy, a member of a
/// sub-account of Ada's. Returns (ada's token, ada's account, bob's token, cy's token, cy's id).
async fn cast(app: &TestApp) -> (String, String, String, String, String) {
    let (ada, ada_token, account) = app.member("ada@example.com", "Ada").await;
    app.make_platform_admin(ada["id"].as_str().unwrap()).await;
    let (_, bob_token, _) = app.member("bob@example.com", "Bob").await;
    let sub = app.post("/v1/accounts", Some(&ada_token), json!({"name": "Branch", "parent_id": account})).await;
    assert_eq!(sub.status, StatusCode::CREATED, "{:?}", sub.body);
    let (cy, cy_token) = app.add_member(&ada_token, sub.body["id"].as_str().unwrap(), "cy@example.com", "member").await;
    (ada_token, account, bob_token, cy_token, cy["id"].as_str().unwrap().to_owned())
}

fn at(app: &TestApp, offset: Duration) -> String {
    (app.clock.now() + offset).format(&Rfc3339).unwrap()
}

async fn mine(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let reply = app.get("/v1/users/announcements", token).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["title"].as_str().unwrap().to_owned(), a["status"].as_str().unwrap().to_owned()))
        .collect()
}

async fn publish(app: &TestApp, token: &str, body: Value) -> Value {
    let reply = app.post("/v1/announcements", Some(token), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body
}

#[tokio::test]
async fn platform_admins_publish_and_the_audience_is_an_account_and_its_sub_accounts() {
    let (app, _smtp) = spawn_app_with_mail().await;
    let (ada, account, bob, cy, _) = cast(&app).await;
    let denied = app.post("/v1/announcements", Some(&bob), json!({"title": "Hi", "body": "All"})).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/v1/announcements", &bob).await.status, StatusCode::FORBIDDEN);
    publish(&app, &ada, json!({"title": "For everyone", "body": "Hello all"})).await;
    let scoped = publish(&app, &ada, json!({"title": "For Ada's", "body": "Hello team", "account_id": account})).await;
    assert_eq!(scoped["account_id"], account.as_str());
    assert_eq!(mine(&app, &bob).await, [("For everyone".to_owned(), "new".to_owned())]);
    let cys: Vec<String> = mine(&app, &cy).await.into_iter().map(|(t, _)| t).collect();
    assert_eq!(cys, ["For Ada's", "For everyone"], "a sub-account's member is in its parent's audience");

    let listed = app.get("/v1/announcements", &ada).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);
    let id = scoped["id"].as_str().unwrap();
    let changed =
        app.put(&format!("/v1/announcements/{id}"), &ada, json!({"account_id": null, "title": "Now all"})).await;
    assert_eq!((changed.status, &changed.body["account_id"]), (StatusCode::OK, &Value::Null));
    assert_eq!(mine(&app, &bob).await.len(), 2, "opened to everyone");
    assert_eq!(app.delete(&format!("/v1/announcements/{id}"), &ada).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&format!("/v1/announcements/{id}"), &ada).await.status, StatusCode::NOT_FOUND);
    assert_eq!(mine(&app, &bob).await.len(), 1);

    let bad = app
        .post(
            "/v1/announcements",
            Some(&ada),
            json!({"title": " ", "body": "x", "starts_at": "tomorrow", "account_id": "0193f6a2-0000-7000-8000-000000000000"}),
        )
        .await;
    let mut fields = bad.fields();
    fields.sort();
    assert_eq!(fields, ["account_id", "starts_at", "title"]);
    let backwards = app
        .post(
            "/v1/announcements",
            Some(&ada),
            json!({"title": "t", "body": "b", "ends_at": at(&app, Duration::hours(-1))}),
        )
        .await;
    assert_eq!(backwards.fields(), ["ends_at"]);
}

#[tokio::test]
async fn an_announcement_shows_in_its_window_and_answers_hide_or_snooze_it() {
    let (app, _smtp) = spawn_app_with_mail().await;
    let (ada, _, bob, cy, cy_id) = cast(&app).await;
    let later = publish(
        &app,
        &ada,
        json!({"title": "Later", "body": "b", "starts_at": at(&app, Duration::hours(1)), "ends_at": at(&app, Duration::hours(3))}),
    )
    .await;
    let now = publish(&app, &ada, json!({"title": "Now", "body": "b"})).await;
    assert_eq!(mine(&app, &cy).await, [("Now".to_owned(), "new".to_owned())]);
    let answer = |token: String, user: String, id: String, body: Value| {
        let app = &app;
        async move { app.put(&format!("/v1/users/{user}/announcement/{id}"), &token, body).await }
    };
    let now_id = now["id"].as_str().unwrap().to_owned();
    let seen = answer(cy.clone(), cy_id.clone(), now_id.clone(), json!({"status": "seen"})).await;
    assert_eq!((seen.status, &seen.body["status"]), (StatusCode::OK, &json!("seen")));
    assert_eq!(mine(&app, &cy).await, [("Now".to_owned(), "seen".to_owned())]);

    let until = at(&app, Duration::minutes(30));
    let snoozed =
        answer(cy.clone(), cy_id.clone(), now_id.clone(), json!({"status": "snoozed", "snooze_until": until})).await;
    assert_eq!(snoozed.status, StatusCode::OK, "{:?}", snoozed.body);
    assert!(mine(&app, &cy).await.is_empty(), "snoozed away");
    app.clock.advance(Duration::minutes(90));
    assert_eq!(
        mine(&app, &cy).await,
        [("Later".to_owned(), "new".to_owned()), ("Now".to_owned(), "snoozed".to_owned())],
        "the snooze is over and the later one has started"
    );
    let later_id = later["id"].as_str().unwrap().to_owned();
    answer(cy.clone(), cy_id.clone(), later_id.clone(), json!({"status": "dismissed"})).await;
    assert_eq!(mine(&app, &cy).await, [("Now".to_owned(), "snoozed".to_owned())], "dismissed stays hidden");
    app.clock.advance(Duration::hours(2));
    assert_eq!(mine(&app, &bob).await, [("Now".to_owned(), "new".to_owned())], "the later one has ended");

    let no_end = answer(cy.clone(), cy_id.clone(), now_id.clone(), json!({"status": "snoozed"})).await;
    assert_eq!(no_end.fields(), ["snooze_until"]);
    let past = answer(
        cy.clone(),
        cy_id.clone(),
        now_id.clone(),
        json!({"status": "snoozed", "snooze_until": at(&app, Duration::minutes(-1))}),
    )
    .await;
    assert_eq!(past.fields(), ["snooze_until"]);
    let extra = answer(
        cy.clone(),
        cy_id.clone(),
        now_id.clone(),
        json!({"status": "seen", "snooze_until": at(&app, Duration::hours(1))}),
    )
    .await;
    assert_eq!(extra.fields(), ["snooze_until"]);
    let unseen = answer(bob.clone(), cy_id.clone(), now_id.clone(), json!({"status": "seen"})).await;
    assert_eq!(unseen.status, StatusCode::NOT_FOUND, "a user the caller cannot see is not there");
    let others = answer(ada.clone(), cy_id.clone(), now_id.clone(), json!({"status": "seen"})).await;
    assert_eq!(others.status, StatusCode::FORBIDDEN, "a user the caller can see: self only");
    let unknown =
        answer(cy.clone(), cy_id.clone(), "0193f6a2-0000-7000-8000-000000000000".into(), json!({"status": "seen"}))
            .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn notify_mails_each_recipient_once_by_its_product_preference() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (ada, account, bob, cy, _) = cast(&app).await;
    app.drain().await;
    let before = smtp.messages().len();
    let off = app.put("/v1/users/config", &cy, json!({"notifications": {"email": {"product": false}}})).await;
    assert_eq!(off.status, StatusCode::OK);
    publish(
        &app,
        &ada,
        json!({"title": "Scoped news", "body": "Line one\nLine two", "account_id": account, "notify": true}),
    )
    .await;
    app.drain().await;
    let sent: Vec<_> = smtp.messages().into_iter().skip(before).collect();
    let to: Vec<String> = sent.iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(to, ["ada@example.com"], "Cy turned product mail off; Bob is outside the audience");
    assert_eq!(sent[0].header("Subject").as_deref(), Some("Scoped news"));
    let _ = bob;
    publish(&app, &ada, json!({"title": "All hands", "body": "b", "notify": true})).await;
    app.drain().await;
    let mut to: Vec<String> = smtp.messages().into_iter().skip(before + 1).flat_map(|m| m.to).collect();
    to.sort();
    assert_eq!(to, ["ada@example.com", "bob@example.com"]);
}
