//! No password, token, code or seed reaches a log line, the audit trail or an event (API.md §8,
//! the authentication issue §6): the whole sign-in story — sign-up, failed and good logins, MFA
//! enrolment and both second factors, a recovery, a password change, new recovery codes, MFA
//! off, an idempotent login — runs against the real binary logging at `debug`, and then its log,
//! the events it sent and the user's activity are searched for every secret that went by.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestDb;
use crate::process::Server;
use crate::sinks::{HttpSink, SmtpSink};
use crate::totp::{base32_decode, code_at};

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn call(&self, method: reqwest::Method, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, token, body).await
    }
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[tokio::test]
async fn no_secret_of_the_sign_in_story_reaches_the_log_the_audit_trail_or_an_event() {
    let db = TestDb::new().await;
    let smtp = SmtpSink::start().await;
    let events = HttpSink::start().await;
    let smtp_url = smtp.url();
    let events_url = events.url("/events");
    let mut server = Server::serve(
        &db,
        &[
            ("ROSTER_LOG", "debug"),
            ("ROSTER_SMTP_URL", &smtp_url),
            ("ROSTER_EVENTS_WEBHOOK_URL", &events_url),
            ("ROSTER_EVENTS_SECRET", "events-signing-key-of-the-test"),
            ("ROSTER_RATE_LIMIT_ANON", "0"),
        ],
    )
    .await;
    roster_core::notify::install_crypto_provider();
    let client = Client { http: reqwest::Client::new(), base: server.base.clone() };
    let mut secrets: Vec<String> = Vec::new();

    let first = "amber kettles whistle at noon 17";
    let wrong = "violet harbor lanterns drift 93";
    secrets.extend([first.to_owned(), wrong.to_owned()]);
    let (status, user) =
        client.post("/v1/users", None, json!({"email": "ada@example.com", "password": first, "name": "Ada"})).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let user_id = user["id"].as_str().unwrap().to_owned();
    // The address confirmed through its link (so that the recovery below still asks for a
    // second factor).
    let verification = loop {
        let mails = smtp.wait_for(smtp.messages().len().max(1), Duration::from_secs(30)).await;
        if let Some(token) = mails.iter().find_map(|m| m.token("verify-email")) {
            break token;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    secrets.push(verification.clone());
    let (status, verified) = client.post("/v1/auth/verify-email", None, json!({"token": verification})).await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(
        client.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": wrong})).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, login) = client.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": first})).await;
    let session = login["token"].as_str().unwrap().to_owned();
    secrets.push(session.clone());

    // MFA on, then a login with a TOTP code of the next step and one with a recovery code.
    let (_, started) = client.post("/v1/auth/mfa/totp", Some(&session), json!({})).await;
    let secret = started["secret"].as_str().unwrap().to_owned();
    let seed = base32_decode(&secret);
    secrets.push(secret);
    let (status, confirmed) =
        client.post("/v1/auth/mfa/totp/confirm", Some(&session), json!({"code": code_at(&seed, unix_now())})).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    let codes: Vec<String> =
        confirmed["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    secrets.extend(codes.iter().cloned());
    let (_, step) = client.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": first})).await;
    let mfa_token = step["mfa_token"].as_str().unwrap().to_owned();
    secrets.push(mfa_token.clone());
    let ahead = code_at(&seed, unix_now() + 30);
    let (status, done) = client.post("/v1/auth/mfa", None, json!({"mfa_token": mfa_token, "code": ahead})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    secrets.push(done["token"].as_str().unwrap().to_owned());
    let (_, step) = client.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": first})).await;
    let mfa_token = step["mfa_token"].as_str().unwrap().to_owned();
    secrets.push(mfa_token.clone());
    let (status, done) = client.post("/v1/auth/mfa", None, json!({"mfa_token": mfa_token, "code": codes[0]})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let session = done["token"].as_str().unwrap().to_owned();
    secrets.push(session.clone());

    // A recovery, with a recovery code for the second factor.
    assert_eq!(
        client.post("/v1/users/recovery", None, json!({"email": "ada@example.com"})).await.0,
        StatusCode::ACCEPTED
    );
    let mail = loop {
        let mails = smtp.wait_for(smtp.messages().len().max(1), Duration::from_secs(30)).await;
        if let Some(mail) = mails.iter().find(|m| m.token("reset-password").is_some()) {
            break mail.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let reset = mail.token("reset-password").unwrap();
    secrets.push(reset.clone());
    let second = "copper meadows hum in april 58";
    secrets.push(second.to_owned());
    let body = json!({"token": reset, "new_password": second, "mfa_code": codes[1]});
    assert_eq!(client.post("/v1/users/recovery", None, body).await.0, StatusCode::OK);

    // A password change, new recovery codes, MFA off, and a login sent with an Idempotency-Key.
    let (_, step) = client.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": second})).await;
    let (_, done) = client.post("/v1/auth/mfa", None, json!({"mfa_token": step["mfa_token"], "code": codes[2]})).await;
    let session = done["token"].as_str().unwrap().to_owned();
    secrets.push(session.clone());
    let third = "silver orchards sleep past dawn 24";
    secrets.push(third.to_owned());
    let body = json!({"current_password": second, "new_password": third});
    assert_eq!(client.post("/v1/auth/password", Some(&session), body).await.0, StatusCode::NO_CONTENT);
    let (_, fresh) = client.post("/v1/auth/mfa/recovery-codes", Some(&session), json!({"password": third})).await;
    secrets.extend(fresh["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()));
    let (status, _) =
        client.call(reqwest::Method::DELETE, "/v1/auth/mfa/totp", Some(&session), json!({"password": third})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let keyed = client
        .http
        .post(format!("{}/v1/auth/login", client.base))
        .header("Idempotency-Key", "secrets-login")
        .json(&json!({"email": "ada@example.com", "password": third}))
        .send()
        .await
        .unwrap();
    let keyed: Value = keyed.json().await.unwrap();
    secrets.push(keyed["token"].as_str().unwrap().to_owned());

    // Let the workers deliver what the story queued, then stop the server and read everything.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, activity) = client
        .call(reqwest::Method::GET, &format!("/v1/users/{user_id}/activity?limit=100"), Some(&session), Value::Null)
        .await;
    assert!(activity["data"].as_array().is_some_and(|a| !a.is_empty()), "{activity}");
    server.terminate();
    let log = server.log();
    assert!(log.lines().count() > 20, "the server logged at debug: {log}");
    let delivered: String = events.requests().iter().map(|r| r.raw.clone()).collect::<Vec<_>>().join("\n");
    for secret in &secrets {
        assert!(!log.contains(secret.as_str()), "the log holds a secret ({} chars)", secret.len());
        assert!(!activity.to_string().contains(secret.as_str()), "the activity holds a secret");
        assert!(!delivered.contains(secret.as_str()), "an event holds a secret");
    }
}
