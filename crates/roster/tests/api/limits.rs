//! Brute-force limits of API.md §7, counted in the database: 10 failures per email and 100 per
//! client address within 15 minutes → 429 `too_many_attempts` with `Retry-After`, on every
//! instance; unknown emails alike; 100 failures in a row lock the password until a recovery,
//! with one mail; and none of these 429s is kept by the idempotency layer.

use reqwest::StatusCode;
use roster_core::Clock;
use serde_json::json;
use time::Duration;

use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app_with, spawn_app_with_mail};

async fn login(app: &TestApp, email: &str, password: &str) -> Reply {
    app.post("/v1/auth/login", None, json!({"email": email, "password": password})).await
}

async fn login_from(app: &TestApp, address: &str, email: &str, password: &str) -> Reply {
    let request = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("X-Forwarded-For", address)
        .json(&json!({"email": email, "password": password}));
    app.send(request).await
}

fn pinned() -> Clock {
    Clock::pinned(time::OffsetDateTime::now_utc())
}

#[tokio::test]
async fn ten_failures_for_one_email_are_refused_on_every_instance_known_or_not() {
    let app = spawn_app_with(|o| o.clock = pinned()).await;
    let other = app.second_instance().await;
    app.signup("ada@example.com", "Ada").await;

    let mut answers = Vec::new();
    for email in ["ada@example.com", "nobody@example.com"] {
        for i in 0..10 {
            let instance = if i % 2 == 0 { &app } else { &other };
            let reply = login(instance, email, "wrong password guess").await;
            assert_eq!((reply.status, reply.code()), (StatusCode::UNAUTHORIZED, "invalid_credentials"), "{email} #{i}");
        }
        // Over the limit: refused before the password is even looked at, the right one too.
        let refused = login(&other, email, PASSWORD).await;
        assert_eq!((refused.status, refused.code()), (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"));
        let wait: i64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!((890..=900).contains(&wait), "{wait}");
        answers.push(refused.body);
    }
    assert_eq!(answers[0], answers[1], "a known and an unknown email get the same answer");

    // The oldest failure leaves the 15-minute window: one more try is let through.
    app.clock.advance(Duration::minutes(15));
    let token = login(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(token.status, StatusCode::OK, "{:?}", token.body);
}

#[tokio::test]
async fn a_hundred_failures_from_one_address_are_refused_whatever_the_emails() {
    let app = spawn_app_with(|o| {
        o.clock = pinned();
        o.settings.trusted_proxies = Some("127.0.0.1".into());
    })
    .await;
    app.signup("ada@example.com", "Ada").await;
    for i in 0..100 {
        let reply = login_from(&app, "203.0.113.9", &format!("guess{i}@example.com"), "wrong password guess").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "#{i}");
    }
    let rows = app.count("login_attempts").await;
    let refused = login_from(&app, "203.0.113.9", "ada@example.com", PASSWORD).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"));
    assert!(refused.header("retry-after").is_some());
    login_from(&app, "203.0.113.9", "eve@example.com", "wrong password guess").await;
    assert_eq!(app.count("login_attempts").await, rows, "the address's refusals write nothing");
    // Another address signs in as usual: the limit is the address's, and takes no lock.
    assert_eq!(login_from(&app, "198.51.100.4", "ada@example.com", PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_hundred_failures_in_a_row_lock_the_password_until_a_recovery() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    // Ten are checked and counted; the ninety refused after them count towards the lock too.
    for i in 0..100 {
        let reply = login(&app, "ada@example.com", "wrong password guess").await;
        assert!(reply.status == StatusCode::UNAUTHORIZED || reply.status == StatusCode::TOO_MANY_REQUESTS, "#{i}");
    }
    app.clock.advance(Duration::hours(2));
    let locked = login(&app, "ada@example.com", PASSWORD).await;
    assert_eq!((locked.status, locked.code()), (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"), "still locked");
    let rows = app.count("login_attempts").await;
    for _ in 0..5 {
        login(&app, "ada@example.com", "wrong password guess").await;
    }
    assert_eq!(app.count("login_attempts").await, rows, "a locked password's refusals write nothing");
    app.drain().await;
    let told: Vec<_> = smtp
        .messages()
        .into_iter()
        .filter(|m| m.header("Subject").unwrap_or_default().contains("password was locked"))
        .collect();
    assert_eq!(told.len(), 1, "one mail, however long the attack goes on");

    // A recovery unlocks.
    assert_eq!(
        app.post("/v1/users/recovery", None, json!({"email": "ada@example.com"})).await.status,
        StatusCode::ACCEPTED
    );
    app.drain().await;
    let mail = smtp.messages().into_iter().rev().find(|m| m.link("reset-password").is_some()).unwrap();
    let new = "seven lanterns by the old mill road";
    let done = app
        .post("/v1/users/recovery", None, json!({"token": mail.token("reset-password").unwrap(), "new_password": new}))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(login(&app, "ada@example.com", new).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_current_password_check_counts_like_a_login() {
    let app = spawn_app_with(|o| o.clock = pinned()).await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    let new = "seven lanterns by the old mill road";
    for _ in 0..10 {
        let body = json!({"current_password": "wrong password guess", "new_password": new});
        assert_eq!(app.post("/v1/auth/password", Some(&token), body).await.status, StatusCode::FORBIDDEN);
    }
    let body = json!({"current_password": PASSWORD, "new_password": new});
    let refused = app.post("/v1/auth/password", Some(&token), body).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"));
    assert_eq!(login(&app, "ada@example.com", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn refusals_are_never_stored_by_the_idempotency_layer() {
    let app = spawn_app_with(|o| o.clock = pinned()).await;
    app.signup("ada@example.com", "Ada").await;
    for _ in 0..10 {
        login(&app, "ada@example.com", "wrong password guess").await;
    }
    let keyed = || {
        let request = app
            .client
            .post(app.url("/v1/auth/login"))
            .header("Idempotency-Key", "login-1")
            .json(&json!({"email": "ada@example.com", "password": PASSWORD}));
        app.send(request)
    };
    assert_eq!(keyed().await.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(Duration::minutes(15));
    let after = keyed().await;
    assert_eq!(after.status, StatusCode::OK, "the 429 was not replayed: {:?}", after.body);
    let again = keyed().await;
    assert_ne!(again.body["token"], after.body["token"], "a login is never replayed either");
}

#[tokio::test]
async fn anonymous_requests_are_limited_per_address_and_signed_in_ones_are_not() {
    let app = spawn_app_with(|o| {
        o.settings.rate_limit_anon = 5;
        o.settings.trusted_proxies = Some("127.0.0.1".into());
    })
    .await;
    app.signup("ada@example.com", "Ada").await; // 1
    let token = app.login("ada@example.com").await; // 2
    for _ in 0..3 {
        login_from(&app, "127.0.0.1", "nobody@example.com", "x").await;
    }
    let refused = login_from(&app, "127.0.0.1", "ada@example.com", PASSWORD).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let recovery = app.post("/v1/users/recovery", None, json!({"email": "ada@example.com"})).await;
    assert_eq!(recovery.status, StatusCode::TOO_MANY_REQUESTS, "every anonymous endpoint");
    let page = app.client.get(app.url("/verify-email?token=x")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS, "the link pages too");
    let request = app
        .client
        .post(app.url("/v1/auth/login"))
        .bearer_auth("made-up")
        .header("X-Forwarded-For", "127.0.0.1")
        .json(&json!({"email": "ada@example.com", "password": PASSWORD}));
    assert_eq!(app.send(request).await.code(), "rate_limited", "a token the login ignores buys nothing");
    // Another client address (through a trusted proxy) has its own allowance; signed-in requests
    // are not counted here.
    assert_eq!(login_from(&app, "198.51.100.4", "ada@example.com", PASSWORD).await.status, StatusCode::OK);
    for _ in 0..10 {
        assert_eq!(app.get("/v1/users/profile", &token).await.status, StatusCode::OK);
    }
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn without_a_trusted_proxy_x_forwarded_for_does_not_escape_the_limit() {
    let app = spawn_app_with(|o| o.settings.rate_limit_anon = 3).await;
    for i in 0..3 {
        login_from(&app, &format!("198.51.100.{i}"), "nobody@example.com", "x").await;
    }
    let refused = login_from(&app, "198.51.100.99", "nobody@example.com", "x").await;
    assert_eq!(refused.code(), "rate_limited", "the header of an untrusted peer is ignored");
}

#[tokio::test]
async fn wrong_passwords_sent_at_once_from_many_addresses_get_no_more_guesses_than_the_limit() {
    let app = spawn_app_with(|o| {
        o.clock = pinned();
        o.settings.trusted_proxies = Some("127.0.0.1".into());
    })
    .await;
    app.signup("ada@example.com", "Ada").await;
    let attempts = (0..50).map(|i| {
        let address = format!("127.0.{}.{}", i / 200, i % 200 + 1);
        let app = &app;
        async move { login_from(app, &address, "ada@example.com", "wrong password guess").await }
    });
    let replies = futures::future::join_all(attempts).await;
    let checked = replies.iter().filter(|r| r.status == StatusCode::UNAUTHORIZED).count();
    let refused = replies.iter().filter(|r| r.code() == "too_many_attempts").count();
    assert_eq!((checked, refused), (10, 40), "fifty at once: ten checked, the rest refused before their hash");
    // Each checked one is recorded once, as a settled failure.
    let mut conn = app.core.store().conn().await.unwrap();
    let counted: i64 = roster_store::on_conn!(&mut conn, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_attempts WHERE counted AND reason = 'wrong_password'"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    assert_eq!(counted, 10);
}

#[tokio::test]
async fn a_completed_recovery_lifts_the_accounts_limits_but_not_the_client_addresses() {
    let smtp = crate::sinks::SmtpSink::start().await;
    let app = spawn_app_with(|o| {
        o.clock = pinned();
        o.settings.smtp_url = Some(roster::config::Secret(smtp.url()));
        o.settings.trusted_proxies = Some("127.0.0.1".into());
    })
    .await;
    app.signup("ada@example.com", "Ada").await;
    let guesser = "203.0.113.9";
    for _ in 0..10 {
        let reply = login_from(&app, guesser, "ada@example.com", "wrong password guess").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    // Ninety more from the same client address, for other emails: it reaches its limit of 100.
    for i in 0..90 {
        let reply = login_from(&app, guesser, &format!("guess{i}@example.com"), "wrong password guess").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "#{i}");
    }
    let owner = "198.51.100.4";
    assert_eq!(login_from(&app, owner, "ada@example.com", PASSWORD).await.code(), "too_many_attempts");

    app.post("/v1/users/recovery", None, json!({"email": "ada@example.com"})).await;
    app.drain().await;
    let mail = smtp.messages().into_iter().rev().find(|m| m.link("reset-password").is_some()).unwrap();
    let new = "seven lanterns by the old mill road";
    let token = mail.token("reset-password").unwrap();
    let done = app.post("/v1/users/recovery", None, json!({"token": token, "new_password": new})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    // The account's failures no longer count against it; the guessing address's still do.
    let signed_in = login_from(&app, owner, "ada@example.com", new).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{:?}", signed_in.body);
    let guessing = login_from(&app, guesser, "ada@example.com", new).await;
    assert_eq!(guessing.code(), "too_many_attempts", "the client address is still over its limit");
}
