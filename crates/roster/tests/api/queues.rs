//! The queue manager in-process: what each queue does once drained, delivery over real SMTP
//! and HTTP sinks, retries on a pinned clock, dead jobs and the admin API.

use std::time::Duration;

use hmac::{KeyInit, Mac};
use reqwest::StatusCode;
use roster_core::Clock;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with, spawn_app_with_mail};
use crate::sinks::{HttpSink, SmtpSink};

pub(crate) const SECRET: &str = "test-events-secret";

async fn app_with_smtp() -> (TestApp, SmtpSink) {
    let smtp = SmtpSink::start().await;
    let url = smtp.url();
    let app = spawn_app_with(|o| o.settings.smtp_url = Some(roster::config::Secret(url))).await;
    (app, smtp)
}

/// An app on a pinned clock whose events go to a sink of the test's.
async fn app_with_events() -> (TestApp, HttpSink) {
    let hooks = HttpSink::start().await;
    let url = hooks.url("/events");
    let app = spawn_app_with(|o| {
        o.clock = Clock::pinned(time::OffsetDateTime::now_utc());
        o.settings.events_webhook_url = Some(url);
        o.settings.events_secret = Some(roster::config::Secret(SECRET.into()));
    })
    .await;
    (app, hooks)
}

/// The subjects of the mail received, but the "new sign-in" notices of the tests' own logins.
fn subjects(smtp: &SmtpSink) -> Vec<String> {
    let mut subjects: Vec<String> =
        smtp.messages().iter().filter_map(|m| m.header("Subject")).filter(|s| !s.starts_with("New sign-in")).collect();
    subjects.sort();
    subjects
}

#[tokio::test]
async fn signup_mails_a_verification_link_that_verifies_the_address_once() {
    let (app, smtp) = app_with_smtp().await;
    let user = app.signup("ada@example.com", "Ada").await;
    app.drain().await;
    let mails = smtp.messages();
    let verification = mails.iter().find(|m| m.token("verify-email").is_some()).expect("a verification mail");
    assert_eq!(verification.to, ["ada@example.com"]);
    let link = verification.link("verify-email").unwrap();
    assert!(link.starts_with("http://localhost:8080/verify-email?token="), "{link}");
    let token = verification.token("verify-email").unwrap();

    let reply = app.post("/v1/auth/verify-email", None, json!({"token": token})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["id"], user["id"]);
    assert_eq!(reply.body["email_verified"], true);
    assert_eq!(reply.body["emails"][0]["verified"], true);

    let again = app.post("/v1/auth/verify-email", None, json!({"token": token})).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.code(), "invalid_token");
    let session = app.login("ada@example.com").await;
    assert_eq!(app.get("/v1/users/profile", &session).await.body["email_verified"], true);
}

#[tokio::test]
async fn unknown_malformed_and_foreign_purpose_tokens_are_invalid() {
    let (app, smtp) = app_with_smtp().await;
    let (_, owner, account) = app.member("owner@example.com", "Owner").await;
    app.post("/v1/users", Some(&owner), json!({"email": "guest@example.com", "name": "Guest", "account_id": account}))
        .await;
    app.drain().await;
    let invitation = smtp.messages().into_iter().find(|m| m.to == ["guest@example.com"]).expect("an invitation");
    let invite_token = invitation.token("accept-invite").expect("an accept-invite link");
    for token in [invite_token.as_str(), "nope", "", &"A".repeat(43)] {
        let reply = app.post("/v1/auth/verify-email", None, json!({"token": token})).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{token}");
        assert_eq!(reply.code(), "invalid_token");
    }
    let reply = app.post("/v1/auth/verify-email", None, json!({"token": 5})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn without_smtp_mail_is_written_as_eml_files_with_text_and_html() {
    let app = spawn_app().await;
    app.signup("ada@example.com", "Ada <Lovelace>").await;
    app.drain().await;
    let dir = std::path::PathBuf::from(&app.mail_dir);
    let files: Vec<_> = std::fs::read_dir(&dir).expect("mail dir").filter_map(Result::ok).collect();
    assert_eq!(files.len(), 2, "verification and welcome");
    for file in files {
        assert!(file.file_name().to_string_lossy().ends_with(".eml"));
        let raw = std::fs::read_to_string(file.path()).unwrap();
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
        assert!(raw.contains("To: ada@example.com"));
        assert!(!raw.contains("<Lovelace>") || raw.contains("&lt;Lovelace&gt;"), "HTML parts escape names");
    }
}

#[tokio::test]
async fn onboarding_sends_welcome_writes_the_dashboard_and_syncs_the_account() {
    let (app, smtp) = app_with_smtp().await;
    let (user, token, account) = app.member("ada@example.com", "Ada").await;
    app.drain().await;
    assert_eq!(subjects(&smtp).len(), 2, "verification and welcome: {:?}", subjects(&smtp));
    assert!(subjects(&smtp).iter().any(|s| s.to_lowercase().contains("welcome")), "{:?}", subjects(&smtp));
    let profile = app.get("/v1/users/profile", &token).await;
    assert_eq!(profile.body["preferences"]["dashboard"]["layout"], "default");

    let mut conn = app.core.store().conn().await.unwrap();
    let account_id = roster_domain::AccountId::from_uuid(account.parse().unwrap());
    let contacts = roster_store::crm::of_account(&mut conn, account_id).await.unwrap();
    drop(conn);
    assert_eq!(contacts.len(), 1);
    assert_eq!((contacts[0].name.as_str(), contacts[0].email.as_str()), ("Ada", "ada@example.com"));

    // The contact follows the user: a rename, then a new member, then a deletion.
    let id = user["id"].as_str().unwrap();
    app.put(&format!("/v1/users/{id}"), &token, json!({"name": "Ada King"})).await;
    let (member, _) = app.add_member(&token, &account, "m@example.com", "member").await;
    app.drain().await;
    let mut conn = app.core.store().conn().await.unwrap();
    let contacts = roster_store::crm::of_account(&mut conn, account_id).await.unwrap();
    drop(conn);
    let names: Vec<&str> = contacts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Ada King", "m@example.com"]);
    assert_eq!(app.get(&format!("/v1/accounts/{account}"), &token).await.body["seats_used"], 2);

    let member_id = member["id"].as_str().unwrap();
    app.delete(&format!("/v1/users/{member_id}"), &token).await;
    app.drain().await;
    let mut conn = app.core.store().conn().await.unwrap();
    assert_eq!(roster_store::crm::of_account(&mut conn, account_id).await.unwrap().len(), 1);
    drop(conn);
    assert_eq!(app.get(&format!("/v1/accounts/{account}"), &token).await.body["seats_used"], 1);
}

/// Checks `Roster-Signature: t=…,v1=…` over `"{t}.{body}"` with [`SECRET`].
pub(crate) fn verify_signature(header: &str, body: &str) {
    let mut parts = header.split(',');
    let t = parts.next().and_then(|p| p.strip_prefix("t=")).expect("t=");
    let v1 = parts.next().and_then(|p| p.strip_prefix("v1=")).expect("v1=");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(v1, expected, "signature over \"t.body\"");
}

#[tokio::test]
async fn events_are_signed_and_retried_with_the_same_id_until_delivered() {
    let (app, hooks) = app_with_events().await;
    hooks.fail_next(3, 503);
    app.signup("ada@example.com", "Ada").await;
    app.drain().await;
    for _ in 0..3 {
        // Each failure schedules the next try about 1 s, 2 s, 4 s later.
        app.clock.advance(time::Duration::seconds(10));
        app.drain().await;
    }
    let requests = hooks.requests();
    assert_eq!(requests.len(), 4, "three 503s, then delivered");
    assert_eq!(requests.iter().map(|r| r.status).collect::<Vec<_>>(), [503, 503, 503, 200]);
    let ids: Vec<&Value> = requests.iter().map(|r| &r.body["id"]).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "the same event id every time");
    let delivered = &requests[3];
    assert_eq!(delivered.body["type"], "user.created");
    assert_eq!(delivered.body["data"]["email"], "ada@example.com");
    assert!(delivered.body["occurred_at"].as_str().unwrap().ends_with('Z'));
    verify_signature(delivered.header("roster-signature").expect("signed"), &delivered.raw);

    let token = app.login("ada@example.com").await;
    let id = delivered.body["data"]["id"].as_str().unwrap().to_owned();
    app.put(&format!("/v1/users/{id}"), &token, json!({"title": "Countess"})).await;
    app.drain().await;
    let last = hooks.requests().pop().unwrap();
    assert_eq!(last.body["type"], "user.updated");
    assert_eq!(last.body["data"]["changes"]["title"]["to"], "Countess");
    assert_ne!(last.body["id"], delivered.body["id"]);

    let account = app.get("/v1/users/profile", &token).await.body["active_account_id"].as_str().unwrap().to_owned();
    let (bob, _) = app.add_member(&token, &account, "bob@example.com", "member").await;
    let bob = bob["id"].as_str().unwrap();
    let deleted = app.delete(&format!("/v1/users/{bob}"), &token).await;
    assert_eq!(deleted.status, StatusCode::OK, "{:?}", deleted.body);
    app.drain().await;
    // Events carry no order (receivers go by `occurred_at` and `id`): bob's creation and
    // deletion may arrive either way round.
    let requests = hooks.requests();
    let deleted = requests.iter().find(|r| r.body["type"] == "user.deleted").expect("user.deleted delivered");
    assert_eq!(deleted.body["data"]["id"], bob);
    verify_signature(deleted.header("roster-signature").expect("signed"), &deleted.raw);
}

#[tokio::test]
async fn a_verification_link_expires_after_24_hours() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("early@example.com", "Early").await;
    app.signup("late@example.com", "Late").await;
    app.drain().await;
    let token_of = |to: &str| {
        let mails = smtp.messages();
        mails.iter().find(|m| m.to == [to.to_owned()]).and_then(|m| m.token("verify-email")).expect("a link")
    };
    app.clock.advance(time::Duration::hours(23) + time::Duration::minutes(59));
    let early = app.post("/v1/auth/verify-email", None, json!({"token": token_of("early@example.com")})).await;
    assert_eq!(early.status, StatusCode::OK, "{:?}", early.body);
    app.clock.advance(time::Duration::minutes(2));
    let late = app.post("/v1/auth/verify-email", None, json!({"token": token_of("late@example.com")})).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert_eq!(late.code(), "invalid_token");
}

#[tokio::test]
async fn a_job_that_always_fails_ends_dead_is_listed_and_runs_again_after_a_retry() {
    let (app, hooks) = app_with_events().await;
    let (admin, admin_token, _) = app.member("root@example.com", "Root").await;
    app.make_platform_admin(admin["id"].as_str().unwrap()).await;
    hooks.fail_next(1000, 500);
    app.drain().await;
    for _ in 0..12 {
        app.clock.advance(time::Duration::minutes(11));
        app.drain().await;
    }
    let dead = app.get("/v1/admin/jobs?status=dead&queue=sync", &admin_token).await;
    assert_eq!(dead.status, StatusCode::OK);
    let jobs = dead.body["data"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["kind"], "event.deliver");
    assert_eq!(jobs[0]["attempts"], 10);
    assert!(jobs[0]["last_error"].as_str().unwrap().contains("500"), "{:?}", jobs[0]);
    assert!(jobs[0].get("payload").is_none());
    let elsewhere = app.get("/v1/admin/jobs?status=dead&queue=notifications", &admin_token).await;
    assert_eq!(elsewhere.body["data"], json!([]), "the queue filter keeps other queues out");
    let attempts_before = hooks.requests().len();
    assert_eq!(attempts_before, 10);

    hooks.fail_next(0, 500);
    let id = jobs[0]["id"].as_str().unwrap();
    let retried = app.post(&format!("/v1/admin/jobs/{id}/retry"), Some(&admin_token), json!({})).await;
    assert_eq!(retried.status, StatusCode::OK, "{:?}", retried.body);
    assert_eq!(retried.body["status"], "queued");
    app.drain().await;
    assert_eq!(hooks.requests().len(), 11);
    assert_eq!(hooks.requests().last().unwrap().status, 200);
    let done = app.get("/v1/admin/jobs?status=done&queue=sync", &admin_token).await;
    assert!(done.body["data"].as_array().unwrap().iter().any(|j| j["id"] == id));
    let again = app.post(&format!("/v1/admin/jobs/{id}/retry"), Some(&admin_token), json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "a done job is not retried");
}

#[tokio::test]
async fn the_jobs_api_is_for_platform_admins_and_validates_its_filters() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@example.com", "Owner").await;
    assert_eq!(app.get("/v1/admin/jobs", &owner).await.status, StatusCode::FORBIDDEN);
    let unknown = uuid::Uuid::now_v7();
    assert_eq!(
        app.post(&format!("/v1/admin/jobs/{unknown}/retry"), Some(&owner), json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    let (root, root_token, _) = app.member("root@example.com", "Root").await;
    app.make_platform_admin(root["id"].as_str().unwrap()).await;
    let reply = app.get("/v1/admin/jobs?status=sleeping&queue=mail", &root_token).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["status", "queue"]);
    assert_eq!(
        app.post(&format!("/v1/admin/jobs/{unknown}/retry"), Some(&root_token), json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    let ids = |reply: &crate::helpers::Reply| -> Vec<String> {
        reply.body["data"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap().to_owned()).collect()
    };
    let page = app.get("/v1/admin/jobs?limit=3", &root_token).await;
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let next = app.get(&format!("/v1/admin/jobs?limit=3&cursor={}", crate::helpers::enc(cursor)), &root_token).await;
    assert_eq!(next.status, StatusCode::OK);
    let all = app.get("/v1/admin/jobs?limit=100", &root_token).await;
    let paged = [ids(&page), ids(&next)].concat();
    assert_eq!(paged.len(), 6);
    assert_eq!(paged, ids(&all)[..6], "two pages continue each other, without gaps or repeats");
}

#[tokio::test]
async fn smtp_failures_are_retried_until_the_mail_goes_out() {
    let (app, smtp) = spawn_app_with_mail().await;
    smtp.fail_next(2);
    app.signup("ada@example.com", "Ada").await;
    app.drain().await;
    for _ in 0..3 {
        app.clock.advance(time::Duration::seconds(10));
        app.drain().await;
    }
    let mails = smtp.wait_for(2, Duration::from_secs(5)).await;
    assert!(mails.iter().any(|m| m.token("verify-email").is_some()));
}

#[tokio::test]
async fn job_runs_are_measured_by_queue_and_kind() {
    let app = spawn_app().await;
    app.signup("ada@example.com", "Ada").await;
    app.drain().await;
    let metrics = app.send(app.client.get(app.url("/metrics"))).await;
    let text = metrics.body.as_str().unwrap_or_default().to_owned();
    for needle in [
        "roster_jobs_total{queue=\"notifications\",outcome=\"done\"}",
        "roster_job_run_seconds_bucket{queue=\"onboarding\",kind=\"onboarding.welcome\"",
        "roster_job_delivery_seconds_bucket{queue=\"notifications\",kind=\"email.verification\"",
        "roster_jobs{queue=",
    ] {
        assert!(text.contains(needle), "{needle} missing from /metrics");
    }
}

#[tokio::test]
async fn sms_and_push_jobs_post_to_their_providers_and_non_2xx_is_retried() {
    let provider = HttpSink::start().await;
    let (sms_url, push_url) = (provider.url("/sms"), provider.url("/push"));
    let app = spawn_app_with(|o| {
        o.clock = Clock::pinned(time::OffsetDateTime::now_utc());
        o.settings.sms_webhook_url = Some(sms_url);
        o.settings.push_webhook_url = Some(push_url);
    })
    .await;
    let now = app.clock.now();
    let mut tx = app.core.store().begin().await.unwrap();
    use roster_core::jobs::enqueue;
    use roster_core::jobs::payload::{Push, Sms};
    let sms = Sms {
        to: "+14155550100".into(),
        body: "Your code is 123456".into(),
        user_id: None,
        phone_id: None,
        requested_at: None,
    };
    enqueue(&mut tx, &sms, now).await.unwrap();
    let push =
        Push { tokens: vec!["device-1".into()], title: "Hello".into(), body: "World".into(), data: json!({"k": 1}) };
    enqueue(&mut tx, &push, now).await.unwrap();
    tx.commit().await.unwrap();
    provider.fail_next(1, 502);
    app.drain().await;
    app.clock.advance(time::Duration::seconds(10));
    app.drain().await;
    let delivered: Vec<_> = provider.requests().into_iter().filter(|r| r.status == 200).collect();
    assert_eq!(delivered.len(), 2, "both delivered, one after a retry");
    let sms = delivered.iter().find(|r| r.path == "/sms").expect("sms");
    assert_eq!(sms.body, json!({"to": "+14155550100", "body": "Your code is 123456"}));
    let push = delivered.iter().find(|r| r.path == "/push").expect("push");
    assert_eq!(push.body, json!({"tokens": ["device-1"], "title": "Hello", "body": "World", "data": {"k": 1}}));
    assert_eq!(provider.requests().len(), 3);
}
