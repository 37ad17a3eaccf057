//! Jobs that no retry can help end dead at their first attempt, with the reason: a payload that
//! does not fit its kind, an unknown kind, mail refused for good, a provider's 4xx.

use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};
use crate::sinks::{HttpSink, SmtpSink};

#[tokio::test]
async fn a_job_whose_payload_does_not_fit_its_kind_or_whose_kind_is_unknown_is_dead_at_once() {
    let app = spawn_app().await;
    let (admin, admin_token, _) = app.member("root@example.com", "Root").await;
    app.make_platform_admin(admin["id"].as_str().unwrap()).await;
    app.drain().await;
    for (kind, payload) in [("sms.send", json!({"to": "+14155550100"})), ("sms.teleport", json!({}))] {
        app.enqueue_raw(kind, payload).await;
    }
    app.drain().await;
    let dead = app.get("/v1/admin/jobs?status=dead&queue=notifications", &admin_token).await;
    let jobs = dead.body["data"].as_array().unwrap();
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    for job in jobs {
        assert_eq!(job["attempts"], 1, "no retry can help: {job}");
        let reason = job["last_error"].as_str().unwrap();
        match job["kind"].as_str().unwrap() {
            "sms.send" => assert!(reason.contains("payload of sms.send") && reason.contains("body"), "{reason}"),
            _ => assert!(reason.contains("unknown job kind \"sms.teleport\""), "{reason}"),
        }
    }
}

#[tokio::test]
async fn mail_refused_for_good_and_a_provider_4xx_end_dead_at_the_first_attempt() {
    let sms = HttpSink::start().await;
    let smtp = SmtpSink::start().await;
    let (smtp_url, sms_url) = (smtp.url(), sms.url("/sms"));
    let app = spawn_app_with(|o| {
        o.settings.smtp_url = Some(roster::config::Secret(smtp_url));
        o.settings.sms_webhook_url = Some(sms_url);
    })
    .await;
    smtp.refuse_next(100);
    let user = app.signup("ada@example.com", "Ada").await;
    sms.fail_next(100, 400);
    let mut tx = app.core.store().begin().await.unwrap();
    let text = roster_core::jobs::payload::Sms {
        to: "+14155550100".into(),
        body: "Your code is 123456".into(),
        user_id: None,
        phone_id: None,
        requested_at: None,
    };
    roster_core::jobs::enqueue(&mut tx, &text, app.clock.now()).await.unwrap();
    tx.commit().await.unwrap();
    app.drain().await;

    let mut conn = app.core.store().conn().await.unwrap();
    let user_id = user["id"].as_str().unwrap().parse().unwrap();
    let mails: Vec<_> = roster_store::jobs::for_user(&mut conn, user_id)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind.starts_with("email."))
        .collect();
    assert_eq!(mails.len(), 2, "verification and welcome: {mails:?}");
    for job in &mails {
        assert_eq!((job.status.as_str(), job.attempts), ("dead", 1), "{job:?}");
        assert!(job.last_error.as_deref().is_some_and(|e| e.contains("550")), "{job:?}");
    }
    let sent: i64 = roster_store::on_conn!(&mut conn, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE kind = 'sms.send' AND status = 'dead' AND attempts = 1"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(sent, 1, "an SMS the provider refused with 400 is not tried again");
    assert_eq!(sms.requests().len(), 1);
}
