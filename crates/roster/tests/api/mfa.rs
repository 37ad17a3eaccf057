//! TOTP MFA (API.md §7): enrolment with an authenticator's code, the login's second step with
//! each time step accepted once (±1 step of skew), recovery codes, the `mfa_token`'s limits,
//! turning it off, and the "MFA changed" notices. Codes come from the test's own TOTP.

use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{PASSWORD, TestApp, spawn_app_with, spawn_app_with_mail};
use crate::totp::{base32_decode, code_at};

/// Turn MFA on for `token`'s user: returns the seed and the recovery codes.
pub async fn enrol(app: &TestApp, token: &str) -> (Vec<u8>, Vec<String>) {
    let started = app.post("/v1/auth/mfa/totp", Some(token), json!({})).await;
    assert_eq!(started.status, StatusCode::OK, "{:?}", started.body);
    let seed = base32_decode(started.body["secret"].as_str().unwrap());
    let code = code_at(&seed, app.clock.now().unix_timestamp());
    let confirmed = app.post("/v1/auth/mfa/totp/confirm", Some(token), json!({"code": code})).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{:?}", confirmed.body);
    let codes = confirmed.body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned());
    (seed, codes.collect())
}

/// The password step of a login with MFA on: the `mfa_token`.
pub async fn mfa_token(app: &TestApp, email: &str) -> String {
    let reply = app.post("/v1/auth/login", None, json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["mfa_required"], true, "{:?}", reply.body);
    assert!(reply.body.get("token").is_none(), "no session before the second factor");
    assert_eq!(reply.body["methods"], json!(["totp", "recovery_code"]));
    reply.body["mfa_token"].as_str().unwrap().to_owned()
}

async fn second_step(app: &TestApp, mfa_token: &str, code: &str) -> crate::helpers::Reply {
    app.post("/v1/auth/mfa", None, json!({"mfa_token": mfa_token, "code": code})).await
}

fn now_code(app: &TestApp, seed: &[u8]) -> String {
    code_at(seed, app.clock.now().unix_timestamp())
}

fn subjects(smtp: &crate::sinks::SmtpSink, word: &str) -> usize {
    smtp.messages().iter().filter(|m| m.header("Subject").unwrap_or_default().contains(word)).count()
}

#[tokio::test]
async fn enrolment_shows_the_seed_once_and_a_confirmed_code_turns_mfa_on() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;

    let started = app.post("/v1/auth/mfa/totp", Some(&token), json!({})).await;
    assert_eq!(started.status, StatusCode::OK);
    assert_eq!(started.header("cache-control"), Some("no-store"), "a seed is never cached");
    let secret = started.body["secret"].as_str().unwrap();
    let uri = started.body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Roster:ada%40example.com?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")) && uri.contains("issuer=Roster"), "{uri}");
    assert_eq!(base32_decode(secret).len(), 20, "160 bits");
    let svg = started.body["qr_svg"].as_str().unwrap();
    assert!(svg.contains("<svg") && !svg.contains("href") && !svg.contains("url("), "inline, fetches nothing");

    // Nothing is on until a code proves the app holds the seed.
    let profile = app.get("/v1/users/profile", &token).await;
    assert_eq!(profile.body["mfa_enabled"], false);
    let wrong = app.post("/v1/auth/mfa/totp/confirm", Some(&token), json!({"code": "000000"})).await;
    assert_eq!((wrong.status, wrong.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["code".to_owned()]));

    let seed = base32_decode(secret);
    let confirmed = app.post("/v1/auth/mfa/totp/confirm", Some(&token), json!({"code": now_code(&app, &seed)})).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{:?}", confirmed.body);
    let codes = confirmed.body["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    assert_eq!(app.get("/v1/users/profile", &token).await.body["mfa_enabled"], true);
    let again = app.post("/v1/auth/mfa/totp", Some(&token), json!({})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "conflict"), "turn it off first");

    // The seed is sealed at rest: its bytes are nowhere in the row.
    let mut conn = app.core.store().conn().await.unwrap();
    let sealed: Vec<u8> =
        roster_store::on_conn!(&mut conn, |c| sqlx::query_scalar("SELECT seed FROM user_mfa").fetch_one(c).await)
            .unwrap();
    assert!(!sealed.windows(seed.len()).any(|w| w == seed), "the seed is not stored in clear");
    assert!(sealed.len() >= seed.len() + 24 + 16, "nonce and tag around it");

    app.drain().await;
    assert_eq!(subjects(&smtp, "Two-factor authentication changed"), 1, "the MFA-changed notice");
}

#[tokio::test]
async fn a_login_with_mfa_needs_a_code_and_each_time_step_is_accepted_once() {
    let (app, _smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    let (seed, _) = enrol(&app, &token).await;

    // The step the enrolment used is spent: the same code cannot sign in.
    let first = mfa_token(&app, "ada@example.com").await;
    let replay = second_step(&app, &first, &now_code(&app, &seed)).await;
    assert_eq!((replay.status, replay.code()), (StatusCode::UNAUTHORIZED, "invalid_credentials"));

    app.clock.advance(Duration::seconds(30));
    let code = now_code(&app, &seed);
    let done = second_step(&app, &first, &code).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["token_type"], "Bearer");
    assert_eq!(done.header("cache-control"), Some("no-store"));
    let session = done.body["token"].as_str().unwrap();
    assert_eq!(app.get("/v1/users/profile", session).await.status, StatusCode::OK);
    // The mfa_token is single use, and the same code on a new login is a replay.
    assert_eq!(second_step(&app, &first, &code).await.code(), "invalid_token");
    let second = mfa_token(&app, "ada@example.com").await;
    assert_eq!(second_step(&app, &second, &code).await.status, StatusCode::UNAUTHORIZED, "replayed");

    // ±1 step of skew: a phone 30 s behind, or ahead, still signs in.
    app.clock.advance(Duration::seconds(90));
    let behind = code_at(&seed, app.clock.now().unix_timestamp() - 30);
    assert_eq!(second_step(&app, &second, &behind).await.status, StatusCode::OK);
    let third = mfa_token(&app, "ada@example.com").await;
    let ahead = code_at(&seed, app.clock.now().unix_timestamp() + 30);
    assert_eq!(second_step(&app, &third, &ahead).await.status, StatusCode::OK);
    app.clock.advance(Duration::seconds(300));
    let fourth = mfa_token(&app, "ada@example.com").await;
    let stale = code_at(&seed, app.clock.now().unix_timestamp() - 60);
    assert_eq!(second_step(&app, &fourth, &stale).await.status, StatusCode::UNAUTHORIZED, "two steps off");
}

#[tokio::test]
async fn recovery_codes_sign_in_once_each_and_new_ones_void_the_old() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    let (_, codes) = enrol(&app, &token).await;

    let step = mfa_token(&app, "ada@example.com").await;
    // Typed loosely: upper case, a space for the dash.
    let typed = codes[0].to_uppercase().replace('-', " ");
    assert_eq!(second_step(&app, &step, &typed).await.status, StatusCode::OK);
    let step = mfa_token(&app, "ada@example.com").await;
    assert_eq!(second_step(&app, &step, &codes[0]).await.status, StatusCode::UNAUTHORIZED, "spent");

    let wrong = app.post("/v1/auth/mfa/recovery-codes", Some(&token), json!({"password": "not the password"})).await;
    assert_eq!((wrong.status, wrong.code()), (StatusCode::FORBIDDEN, "forbidden"));
    let fresh = app.post("/v1/auth/mfa/recovery-codes", Some(&token), json!({"password": PASSWORD})).await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert_eq!(fresh.header("cache-control"), Some("no-store"));
    let fresh: Vec<String> =
        fresh.body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(fresh.len(), 10);
    let step = mfa_token(&app, "ada@example.com").await;
    assert_eq!(second_step(&app, &step, &codes[1]).await.status, StatusCode::UNAUTHORIZED, "old codes are void");
    assert_eq!(second_step(&app, &step, &fresh[1]).await.status, StatusCode::OK);

    app.drain().await;
    assert_eq!(subjects(&smtp, "Two-factor authentication changed"), 2, "enrolment and regeneration");
}

#[tokio::test]
async fn five_wrong_codes_void_the_mfa_token() {
    let app = spawn_app_with(|o| o.clock = roster_core::Clock::pinned(time::OffsetDateTime::now_utc())).await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    let (seed, _) = enrol(&app, &token).await;
    app.clock.advance(Duration::seconds(30));

    let step = mfa_token(&app, "ada@example.com").await;
    for _ in 0..5 {
        assert_eq!(second_step(&app, &step, "123456").await.code(), "invalid_credentials");
    }
    let late = second_step(&app, &step, &now_code(&app, &seed)).await;
    assert_eq!((late.status, late.code()), (StatusCode::BAD_REQUEST, "invalid_token"));
    let next = mfa_token(&app, "ada@example.com").await;
    assert_eq!(second_step(&app, &next, &now_code(&app, &seed)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn wrong_codes_are_limited_per_user_across_tokens_and_instances() {
    let app = spawn_app_with(|o| o.clock = roster_core::Clock::pinned(time::OffsetDateTime::now_utc())).await;
    let other = app.second_instance().await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    let (seed, _) = enrol(&app, &token).await;
    app.clock.advance(Duration::seconds(30));

    // Ten wrong codes over three mfa_tokens (none reaches its own five) and two instances.
    for (i, instance) in [&app, &other, &app].into_iter().enumerate() {
        let step = mfa_token(instance, "ada@example.com").await;
        for _ in 0..[4, 4, 2][i] {
            assert_eq!(second_step(instance, &step, "123456").await.status, StatusCode::UNAUTHORIZED);
        }
    }
    let step = mfa_token(&other, "ada@example.com").await;
    let refused = second_step(&other, &step, &now_code(&app, &seed)).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"));
    let wait: i64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");

    app.clock.advance(Duration::seconds(wait));
    let step = mfa_token(&app, "ada@example.com").await;
    let done = second_step(&app, &step, &now_code(&app, &seed)).await;
    assert_eq!(done.status, StatusCode::OK, "the window passed: {:?}", done.body);
}

#[tokio::test]
async fn the_user_is_told_once_when_wrong_codes_lock_the_second_step() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    let (seed, _) = enrol(&app, &token).await;
    app.clock.advance(Duration::seconds(30));
    let wrong = |seed: &[u8]| {
        // A code that is not the current one, nor one step either side.
        let now = app.clock.now().unix_timestamp();
        let near: Vec<String> = [-30, 0, 30].iter().map(|d| code_at(seed, now + d)).collect();
        (0..4).map(|n| format!("{:06}", 100_000 + n)).find(|c| !near.contains(c)).unwrap()
    };
    let guess = |lock: usize| {
        let app = &app;
        let code = wrong(&seed);
        async move {
            let mut refused = 0;
            for _ in 0..lock {
                let step = mfa_token(app, "ada@example.com").await;
                for _ in 0..4 {
                    if second_step(app, &step, &code).await.code() == "too_many_attempts" {
                        refused += 1;
                    }
                }
            }
            refused
        }
    };
    // Twelve wrong codes: the tenth locks the step, the last two are refused.
    assert_eq!(guess(3).await, 2);
    app.drain().await;
    assert_eq!(subjects(&smtp, "Wrong two-factor codes"), 1, "told when the lock engaged");
    assert_eq!(guess(2).await, 8, "still locked");
    app.drain().await;
    assert_eq!(subjects(&smtp, "Wrong two-factor codes"), 1, "once per lock");
    let mail = smtp.messages().into_iter().find(|m| m.header("Subject").unwrap().contains("two-factor codes")).unwrap();
    assert_eq!(mail.to, ["ada@example.com"]);
    assert!(mail.decoded().contains("knows your password"), "{}", mail.decoded());

    // Once the window has passed, a new lock is a new notice.
    app.clock.advance(Duration::minutes(16));
    guess(3).await;
    app.drain().await;
    assert_eq!(subjects(&smtp, "Wrong two-factor codes"), 2);
}

#[tokio::test]
async fn turning_mfa_off_needs_the_password_and_tells_the_user() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    enrol(&app, &token).await;

    let off = |password: &str| {
        let request =
            app.client.delete(app.url("/v1/auth/mfa/totp")).bearer_auth(&token).json(&json!({"password": password}));
        app.send(request)
    };
    assert_eq!(off("not the password").await.status, StatusCode::FORBIDDEN);
    assert_eq!(off(PASSWORD).await.status, StatusCode::NO_CONTENT);
    assert_eq!(off(PASSWORD).await.status, StatusCode::CONFLICT, "already off");
    let login = app.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": PASSWORD})).await;
    assert!(login.body["token"].is_string(), "a session at once: {:?}", login.body);
    let codes = app.post("/v1/auth/mfa/recovery-codes", Some(&token), json!({"password": PASSWORD})).await;
    assert_eq!(codes.status, StatusCode::CONFLICT, "no codes without MFA");

    app.drain().await;
    assert_eq!(subjects(&smtp, "Two-factor authentication changed"), 2, "on, then off");
    let said: Vec<String> = smtp
        .messages()
        .into_iter()
        .filter(|m| m.header("Subject").unwrap_or_default().contains("Two-factor"))
        .map(|m| m.decoded())
        .collect();
    assert!(said.iter().any(|m| m.contains("turned on")) && said.iter().any(|m| m.contains("turned off")), "{said:?}");
}

#[tokio::test]
async fn the_issuer_follows_the_setting_and_a_configured_key_keeps_none_in_the_database() {
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let app = spawn_app_with(|o| {
        o.settings.mfa_issuer = "Acme ID".into();
        o.settings.secret_key = Some(roster::config::Secret(key.into()));
    })
    .await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    let started = app.post("/v1/auth/mfa/totp", Some(&token), json!({})).await;
    let uri = started.body["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Acme%20ID:ada%40example.com?") && uri.contains("issuer=Acme%20ID"),
        "{uri}"
    );
    let kept: Value = json!(app.count("server_secrets").await);
    assert_eq!(kept, json!(1), "only the cursor key: the sealing key came from ROSTER_SECRET_KEY");
}
