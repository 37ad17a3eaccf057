//! A user's phone numbers (API.md §5, the contact-channels issue §1): E.164 by libphonenumber's
//! metadata, a 6-digit code by SMS through the provider (the test's HTTP sink), verified with the
//! right code, locked after 5 wrong ones, sent at most once a minute and 5 times an hour; one
//! primary, which the accounts' CRM contacts follow.

use reqwest::StatusCode;
use roster_core::Clock;
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{Reply, TestApp, spawn_app_with};
use crate::sinks::HttpSink;

async fn app_with_sms(region: Option<&str>) -> (TestApp, HttpSink) {
    let provider = HttpSink::start().await;
    let url = provider.url("/sms");
    let region = region.map(str::to_owned);
    let app = spawn_app_with(|o| {
        o.clock = Clock::pinned(time::OffsetDateTime::now_utc());
        o.settings.sms_webhook_url = Some(url);
        o.settings.default_phone_region = region;
    })
    .await;
    (app, provider)
}

async fn add(app: &TestApp, token: &str, user: &str, body: Value) -> Reply {
    app.post(&format!("/v1/users/{user}/phone"), Some(token), body).await
}

async fn change(app: &TestApp, token: &str, user: &str, phone: &Value, body: Value) -> Reply {
    app.put(&format!("/v1/users/{user}/phone/{}", phone["id"].as_str().unwrap()), token, body).await
}

/// The 6-digit numbers of each text sent to `to`, oldest first.
fn codes_sent(provider: &HttpSink, to: &str) -> Vec<String> {
    provider
        .requests()
        .into_iter()
        .filter(|r| r.path == "/sms" && r.body["to"] == to)
        .map(|r| {
            let body = r.body["body"].as_str().unwrap().to_owned();
            let runs: Vec<&str> = body.split(|c: char| !c.is_ascii_digit()).filter(|run| run.len() >= 6).collect();
            assert_eq!(runs.len(), 1, "exactly one 6-digit number in {body:?}");
            assert_eq!(runs[0].len(), 6, "{body:?}");
            runs[0].to_owned()
        })
        .collect()
}

fn last_code(provider: &HttpSink, to: &str) -> String {
    codes_sent(provider, to).pop().unwrap_or_else(|| panic!("a code sent to {to}"))
}

fn wrong(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

#[tokio::test]
async fn a_number_is_kept_in_e164_and_verified_by_the_code_sent_to_it() {
    let (app, provider) = app_with_sms(None).await;
    let (ada, token, _) = app.member("ada@example.com", "Ada").await;
    let id = ada["id"].as_str().unwrap();
    let added = add(&app, &token, id, json!({"number": "+1 (415) 555-0142"})).await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    let phone = added.body.clone();
    assert_eq!(
        (&phone["number"], &phone["label"], &phone["verified"], &phone["primary"]),
        (&json!("+14155550142"), &json!("mobile"), &json!(false), &json!(true))
    );
    assert_eq!(added.header("location").unwrap(), format!("/v1/users/{id}/phone/{}", phone["id"].as_str().unwrap()));
    app.drain().await;
    let code = last_code(&provider, "+14155550142");

    let bad = change(&app, &token, id, &phone, json!({"code": wrong(&code)})).await;
    assert_eq!((bad.status, bad.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["code".to_owned()]));
    assert_eq!(bad.body["errors"][0]["code"], "invalid_code");
    let right = change(&app, &token, id, &phone, json!({"code": code})).await;
    assert_eq!(right.status, StatusCode::OK, "{:?}", right.body);
    assert_eq!(right.body["verified"], true);
    let user = app.get(&format!("/v1/users/{id}"), &token).await;
    assert_eq!(user.body["phones"], json!([right.body]));

    let again = add(&app, &token, id, json!({"number": "+1.415.555.0142"})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "phone_taken"));
    let local = add(&app, &token, id, json!({"number": "415 555 0143"})).await;
    assert_eq!(local.body["errors"][0]["code"], "missing_country_code", "no default region");
    let invalid = add(&app, &token, id, json!({"number": "+1 555 0142"})).await;
    assert_eq!(
        (invalid.status, &invalid.body["errors"][0]["code"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("invalid_phone"))
    );
    let label = add(&app, &token, id, json!({"number": "+442079460958", "label": "pager"})).await;
    assert_eq!(label.status, StatusCode::UNPROCESSABLE_ENTITY);
    let actions: Vec<String> = app.stored_activity(id).await.into_iter().map(|(a, _)| a).collect();
    assert!(actions.contains(&"user.phone_verified".to_owned()), "{actions:?}");
    let logged = serde_json::to_string(&app.stored_activity(id).await).unwrap();
    assert!(!logged.contains(&code), "no code in the audit trail");
}

#[tokio::test]
async fn a_number_without_its_country_code_is_read_in_the_default_region() {
    let (app, _provider) = app_with_sms(Some("US")).await;
    let (ada, token, _) = app.member("ada@example.com", "Ada").await;
    let added =
        add(&app, &token, ada["id"].as_str().unwrap(), json!({"number": "(415) 555-0142", "label": "work"})).await;
    assert_eq!((added.status, &added.body["number"]), (StatusCode::CREATED, &json!("+14155550142")));
    assert_eq!(added.body["label"], "work");
}

#[tokio::test]
async fn five_wrong_codes_lock_the_code_until_a_new_one_is_sent() {
    let (app, provider) = app_with_sms(None).await;
    let (ada, token, _) = app.member("ada@example.com", "Ada").await;
    let id = ada["id"].as_str().unwrap();
    let phone = add(&app, &token, id, json!({"number": "+14155550142"})).await.body;
    app.drain().await;
    let code = last_code(&provider, "+14155550142");
    for _ in 0..5 {
        assert_eq!(
            change(&app, &token, id, &phone, json!({"code": wrong(&code)})).await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let locked = change(&app, &token, id, &phone, json!({"code": code})).await;
    assert_eq!((locked.status, locked.code()), (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"));
    assert!(locked.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);

    let soon = change(&app, &token, id, &phone, json!({"resend": true})).await;
    assert_eq!((soon.status, soon.code()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"), "once a minute");
    let wait: i64 = soon.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    app.clock.advance(Duration::seconds(wait));
    assert_eq!(change(&app, &token, id, &phone, json!({"resend": true})).await.status, StatusCode::OK);
    app.drain().await;
    let fresh = last_code(&provider, "+14155550142");
    let done = change(&app, &token, id, &phone, json!({"code": fresh})).await;
    assert_eq!((done.status, &done.body["verified"]), (StatusCode::OK, &json!(true)));
    let verified = change(&app, &token, id, &phone, json!({"resend": true})).await;
    assert_eq!(verified.status, StatusCode::CONFLICT, "a verified number has no code to send");
}

#[tokio::test]
async fn codes_go_at_most_five_times_an_hour_and_expire_after_ten_minutes() {
    let (app, provider) = app_with_sms(None).await;
    let (ada, token, _) = app.member("ada@example.com", "Ada").await;
    let id = ada["id"].as_str().unwrap();
    let phone = add(&app, &token, id, json!({"number": "+14155550142"})).await.body;
    for _ in 0..4 {
        app.clock.advance(Duration::seconds(61));
        assert_eq!(change(&app, &token, id, &phone, json!({"resend": true})).await.status, StatusCode::OK);
    }
    app.clock.advance(Duration::seconds(61));
    let sixth = change(&app, &token, id, &phone, json!({"resend": true})).await;
    assert_eq!((sixth.status, sixth.code()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    let wait: i64 = sixth.header("retry-after").unwrap().parse().unwrap();
    assert!((3600 - 5 * 61 - 1..=3600 - 5 * 61 + 1).contains(&wait), "until the hour is over: {wait}");
    let renumber = change(&app, &token, id, &phone, json!({"number": "+14155550143"})).await;
    assert_eq!(renumber.code(), "rate_limited", "a new number is a send too");
    app.clock.advance(Duration::seconds(wait));
    assert_eq!(change(&app, &token, id, &phone, json!({"resend": true})).await.status, StatusCode::OK);
    app.drain().await;
    assert_eq!(codes_sent(&provider, "+14155550142").len(), 1, "only the newest code goes out: the rest were voided");

    let code = last_code(&provider, "+14155550142");
    app.clock.advance(Duration::minutes(10));
    let late = change(&app, &token, id, &phone, json!({"code": code})).await;
    assert_eq!(late.body["errors"][0]["code"], "code_expired");
}

#[tokio::test]
async fn a_new_number_is_unverified_again_and_the_crm_contact_follows_the_primary() {
    let (app, provider) = app_with_sms(None).await;
    let (ada, token, _) = app.member("ada@example.com", "Ada").await;
    let id = ada["id"].as_str().unwrap();
    let first = add(&app, &token, id, json!({"number": "+14155550142"})).await.body;
    app.drain().await;
    change(&app, &token, id, &first, json!({"code": last_code(&provider, "+14155550142")})).await;
    let second = add(&app, &token, id, json!({"number": "+442079460958", "label": "home"})).await.body;
    assert_eq!(second["primary"], false, "the first number stays primary");
    let promoted = change(&app, &token, id, &second, json!({"primary": true})).await;
    assert_eq!(promoted.body["primary"], true);
    app.drain().await;
    assert_eq!(crm_phone(&app, id).await, Some("+442079460958".to_owned()));
    let user = app.get(&format!("/v1/users/{id}"), &token).await;
    let numbers: Vec<(&str, bool)> = user.body["phones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["number"].as_str().unwrap(), p["primary"].as_bool().unwrap()))
        .collect();
    assert_eq!(numbers, [("+442079460958", true), ("+14155550142", false)]);

    app.clock.advance(Duration::seconds(61));
    let moved = change(&app, &token, id, &first, json!({"number": "+1 415 555 0199"})).await;
    assert_eq!((&moved.body["number"], &moved.body["verified"]), (&json!("+14155550199"), &json!(false)));
    let clash = change(&app, &token, id, &first, json!({"number": "+442079460958"})).await;
    assert_eq!(clash.code(), "phone_taken");
    app.drain().await;
    assert_eq!(codes_sent(&provider, "+14155550199").len(), 1, "the new number gets a code");

    let gone = app.delete(&format!("/v1/users/{id}/phone/{}", second["id"].as_str().unwrap()), &token).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    app.drain().await;
    assert_eq!(crm_phone(&app, id).await, Some("+14155550199".to_owned()), "the one left is primary now");
    let missing = app.delete(&format!("/v1/users/{id}/phone/{}", second["id"].as_str().unwrap()), &token).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn someone_else_needs_users_update_over_the_user_and_a_user_has_at_most_ten_numbers() {
    let (app, _provider) = app_with_sms(None).await;
    let (_, owner, account) = app.member("ada@example.com", "Ada").await;
    let (bob, bob_token) = app.add_member(&owner, &account, "bob@example.com", "member").await;
    let (_, viewer) = app.add_member(&owner, &account, "vic@example.com", "viewer").await;
    let bob_id = bob["id"].as_str().unwrap();
    let by_viewer = add(&app, &viewer, bob_id, json!({"number": "+14155550142"})).await;
    assert_eq!(by_viewer.status, StatusCode::FORBIDDEN);
    let by_owner = add(&app, &owner, bob_id, json!({"number": "+14155550142"})).await;
    assert_eq!(by_owner.status, StatusCode::CREATED);
    let (_, stranger, _) = app.member("eve@example.com", "Eve").await;
    assert_eq!(add(&app, &stranger, bob_id, json!({"number": "+14155550143"})).await.status, StatusCode::NOT_FOUND);
    for n in 1..10 {
        let reply = add(&app, &bob_token, bob_id, json!({"number": format!("+1415555{:04}", 200 + n)})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }
    let over = add(&app, &bob_token, bob_id, json!({"number": "+14155550299"})).await;
    assert_eq!(over.body["errors"][0]["code"], "too_many");
}

async fn crm_phone(app: &TestApp, user: &str) -> Option<String> {
    let mut conn = app.core.store().conn().await.unwrap();
    let user = roster_domain::UserId::from_uuid(user.parse().unwrap());
    let contacts = roster_store::crm::of_user(&mut conn, user).await.unwrap();
    assert_eq!(contacts.len(), 1);
    contacts[0].phone.clone()
}
