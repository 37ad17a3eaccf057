//! `Idempotency-Key` (API.md §1): a replay within 24 h with the same key and caller returns the
//! first response and does nothing again; the same key with another body → 422
//! `idempotency_key_reused`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app, spawn_app_with};

const REPLAYED: &str = "idempotent-replayed";

/// POST `body` to `path` with an `Idempotency-Key`, signed in with `token` if given.
async fn post_with_key(app: &TestApp, path: &str, token: Option<&str>, key: &str, body: &Value) -> Reply {
    let mut request = app.client.post(app.url(path)).header("idempotency-key", key).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    app.send(request).await
}

async fn user_count(app: &TestApp) -> i64 {
    let mut conn = app.core.store().conn().await.unwrap();
    roster_store::users::count_all(&mut conn).await.unwrap()
}

#[track_caller]
fn assert_same_response(first: &Reply, replay: &Reply) {
    assert_eq!(replay.status, first.status);
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.header("content-type"), first.header("content-type"));
    assert_eq!(replay.header(REPLAYED), Some("true"));
    assert_eq!(first.header(REPLAYED), None, "the first response is not a replay");
}

#[tokio::test]
async fn a_replayed_signup_returns_the_first_response_and_creates_nothing_new() {
    let app = spawn_app().await;
    let body = json!({"email": "ada@example.com", "password": PASSWORD, "name": "Ada"});
    let first = post_with_key(&app, "/v1/users", None, "signup-ada-1", &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let id = first.body["id"].as_str().unwrap().to_owned();
    let jobs = app.jobs_for(&id).await;
    assert_eq!(user_count(&app).await, 1);

    for _ in 0..2 {
        let replay = post_with_key(&app, "/v1/users", None, "signup-ada-1", &body).await;
        assert_same_response(&first, &replay);
        assert_eq!(replay.header("location"), Some(format!("/v1/users/{id}").as_str()));
        // A fresh request id, not the first one's.
        assert_ne!(replay.header("x-request-id"), first.header("x-request-id"));
    }
    assert_eq!(user_count(&app).await, 1, "no second user");
    assert_eq!(app.jobs_for(&id).await, jobs, "no second round of jobs");

    // Without the key the same request really runs again, and the address is taken.
    let again = app.post("/v1/users", None, body).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "email_taken");
    assert_eq!(again.header(REPLAYED), None);
}

#[tokio::test]
async fn the_same_key_with_another_body_or_path_is_422_idempotency_key_reused() {
    let app = spawn_app().await;
    let body = json!({"email": "ada@example.com", "password": PASSWORD, "name": "Ada"});
    let first = post_with_key(&app, "/v1/users", None, "k-1", &body).await;
    assert_eq!(first.status, StatusCode::CREATED);

    let other = json!({"email": "bob@example.com", "password": PASSWORD, "name": "Bob"});
    let reply = post_with_key(&app, "/v1/users", None, "k-1", &other).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/problem+json"));
    assert_eq!(reply.code(), "idempotency_key_reused");
    assert_eq!(user_count(&app).await, 1, "Bob was not created");

    let recovery = json!({"email": "ada@example.com"});
    let reply = post_with_key(&app, "/v1/users/recovery", None, "k-1", &recovery).await;
    assert_eq!(reply.code(), "idempotency_key_reused", "another path: {:?}", reply.body);
    // A route that needs a token refuses a request without one first: the key is not looked at.
    let search = json!({"query": "ada"});
    let reply = post_with_key(&app, "/v1/users/search", None, "k-1", &search).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{:?}", reply.body);

    // The first request can still be replayed.
    assert_same_response(&first, &post_with_key(&app, "/v1/users", None, "k-1", &body).await);
}

#[tokio::test]
async fn keys_are_scoped_to_the_caller() {
    let app = spawn_app().await;
    let (_, ada, _) = app.member("ada@example.com", "Ada").await;
    let (_, bob, _) = app.member("bob@example.com", "Bob").await;

    let for_ada = json!({"email": "ada-hire@example.com", "password": PASSWORD, "name": "Ada's hire"});
    let first = post_with_key(&app, "/v1/users", Some(&ada), "hire-1", &for_ada).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);

    // Bob's "hire-1" is his own: another body is not a reuse...
    let for_bob = json!({"email": "bob-hire@example.com", "password": PASSWORD, "name": "Bob's hire"});
    let reply = post_with_key(&app, "/v1/users", Some(&bob), "hire-1", &for_bob).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.header(REPLAYED), None);

    // ...and Ada's body is not answered with Ada's stored response (which would show Bob a user
    // of Ada's account): it runs as Bob's own request and finds the address taken.
    let reply = post_with_key(&app, "/v1/users", Some(&bob), "hire-2", &for_ada).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{:?}", reply.body);
    let reply = post_with_key(&app, "/v1/users", Some(&bob), "hire-1", &for_ada).await;
    assert_eq!(reply.code(), "idempotency_key_reused", "Bob's hire-1 was used with Bob's body: {:?}", reply.body);

    // Anonymous callers have a scope of their own too.
    let anonymous = json!({"email": "carol@example.com", "password": PASSWORD, "name": "Carol"});
    let reply = post_with_key(&app, "/v1/users", None, "hire-1", &anonymous).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);

    // Each caller's replay is its own first response.
    assert_same_response(&first, &post_with_key(&app, "/v1/users", Some(&ada), "hire-1", &for_ada).await);
}

#[tokio::test]
async fn a_failed_first_response_is_replayed_too() {
    let app = spawn_app().await;
    // 422: the password breaks the policy.
    let weak = json!({"email": "ada@example.com", "password": "short", "name": "Ada"});
    let first = post_with_key(&app, "/v1/users", None, "weak-1", &weak).await;
    assert_eq!(first.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(first.code(), "validation_failed");
    assert_same_response(&first, &post_with_key(&app, "/v1/users", None, "weak-1", &weak).await);

    // 409: the address is taken.
    app.signup("bob@example.com", "Bob").await;
    let taken = json!({"email": "bob@example.com", "password": PASSWORD, "name": "Other Bob"});
    let first = post_with_key(&app, "/v1/users", None, "taken-1", &taken).await;
    assert_eq!(first.status, StatusCode::CONFLICT);
    assert_eq!(first.code(), "email_taken");
    let replay = post_with_key(&app, "/v1/users", None, "taken-1", &taken).await;
    assert_same_response(&first, &replay);
    assert_eq!(replay.code(), "email_taken");

    // A token that does not authenticate identifies no caller: its 401 is answered afresh each
    // time (never replayed), with its WWW-Authenticate challenge.
    for _ in 0..2 {
        let reply = post_with_key(&app, "/v1/users", Some("not-a-session"), "auth-1", &weak).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        assert_eq!(reply.header(REPLAYED), None);
    }

    // 400 and 415 are answers too.
    for (key, content_type, status) in [
        ("media-1", None, StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("syntax-1", Some("application/json"), StatusCode::BAD_REQUEST),
    ] {
        let send = || {
            let request = app.client.post(app.url("/v1/users")).header("idempotency-key", key).body("{\"email\":");
            match content_type {
                Some(content_type) => request.header("content-type", content_type),
                None => request,
            }
        };
        let first = app.send(send()).await;
        assert_eq!(first.status, status);
        assert_same_response(&first, &app.send(send()).await);
    }
}

#[tokio::test]
async fn concurrent_requests_with_one_key_create_one_user() {
    let app = spawn_app().await;
    let body = json!({"email": "ada@example.com", "password": PASSWORD, "name": "Ada"});
    let (a, b) = tokio::join!(
        post_with_key(&app, "/v1/users", None, "race-1", &body),
        post_with_key(&app, "/v1/users", None, "race-1", &body)
    );
    assert_eq!(user_count(&app).await, 1);
    let (winner, other) = if a.header(REPLAYED).is_none() && a.status == StatusCode::CREATED { (a, b) } else { (b, a) };
    assert_eq!(winner.status, StatusCode::CREATED, "{:?}", winner.body);
    // The other one either waited for the answer or was told the first is still running.
    match other.status {
        StatusCode::CREATED => assert_same_response(&winner, &other),
        StatusCode::CONFLICT => assert_eq!(other.code(), "conflict"),
        status => panic!("unexpected {status}: {:?}", other.body),
    }
    // Once done, the key replays.
    assert_same_response(&winner, &post_with_key(&app, "/v1/users", None, "race-1", &body).await);
}

#[tokio::test]
async fn a_key_is_remembered_for_24_hours() {
    let start = time::macros::datetime!(2026-11-24 10:00 UTC);
    let app = spawn_app_with(|o| o.clock = roster_core::Clock::pinned(start)).await;
    let body = json!({"email": "ada@example.com", "password": PASSWORD, "name": "Ada"});
    let first = post_with_key(&app, "/v1/users", None, "day-1", &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    app.clock.advance(time::Duration::hours(23) + time::Duration::minutes(59));
    assert_same_response(&first, &post_with_key(&app, "/v1/users", None, "day-1", &body).await);
    // After a day the key is forgotten: the request runs again (and finds Ada exists).
    app.clock.advance(time::Duration::minutes(2));
    let late = post_with_key(&app, "/v1/users", None, "day-1", &body).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{:?}", late.body);
    assert_eq!(late.code(), "email_taken");
    assert_eq!(late.header(REPLAYED), None);
}

#[tokio::test]
async fn a_key_is_only_for_post_and_must_be_sane() {
    let app = spawn_app().await;
    let (_, token, _) = app.member("ada@example.com", "Ada").await;
    // GET ignores the header.
    for _ in 0..2 {
        let reply = app
            .send(app.client.get(app.url("/v1/users/profile")).bearer_auth(&token).header("idempotency-key", "get-1"))
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header(REPLAYED), None);
    }
    let body = json!({"email": "x@example.com", "password": PASSWORD, "name": "X"});
    for key in ["", &"k".repeat(256), "two words"] {
        let reply = post_with_key(&app, "/v1/users", Some(&token), key, &body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "key {key:?}: {:?}", reply.body);
        assert_eq!(reply.code(), "bad_request");
    }
    // Also where nothing is stored: a malformed key is malformed everywhere.
    let login = json!({"email": "ada@example.com", "password": PASSWORD});
    let reply = post_with_key(&app, "/v1/auth/login", None, "two words", &login).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert_eq!(
        post_with_key(&app, "/v1/users", Some(&token), &"k".repeat(255), &body).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn keys_belong_to_the_user_not_the_session_and_a_revoked_token_gets_no_replay() {
    let app = spawn_app().await;
    let (_, first_session, account) = app.member("owner@example.com", "Owner").await;
    let body = json!({"email": "new@example.com", "password": PASSWORD, "name": "New", "account_id": account});
    let first = post_with_key(&app, "/v1/users", Some(&first_session), "add-new", &body).await;
    assert_eq!(first.status, StatusCode::CREATED);

    // The same user, signed in again, retries: the first answer comes back.
    let second_session = app.login("owner@example.com").await;
    assert_same_response(&first, &post_with_key(&app, "/v1/users", Some(&second_session), "add-new", &body).await);

    // After logout the old token is nobody: 401, not the stored 201.
    app.post("/v1/auth/logout", Some(&first_session), json!({})).await;
    let revoked = post_with_key(&app, "/v1/users", Some(&first_session), "add-new", &body).await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
    assert_eq!(revoked.header(REPLAYED), None);
}

#[tokio::test]
async fn login_responses_are_never_stored_because_they_carry_a_token() {
    let app = spawn_app().await;
    app.signup("ada@example.com", "Ada").await;
    let login = json!({"email": "ada@example.com", "password": PASSWORD});
    let first = post_with_key(&app, "/v1/auth/login", None, "login-1", &login).await;
    let second = post_with_key(&app, "/v1/auth/login", None, "login-1", &login).await;
    assert_eq!((first.status, second.status), (StatusCode::OK, StatusCode::OK));
    assert_ne!(first.body["token"], second.body["token"], "a retried login opens another session");
    assert_eq!(second.header(REPLAYED), None);
    assert_eq!(first.header("cache-control"), Some("no-store"), "nor is a token kept by caches");
    // Its failures neither: the route declares every answer of its own a secret's.
    let wrong = json!({"email": "ada@example.com", "password": "not the password at all"});
    for _ in 0..2 {
        let reply = post_with_key(&app, "/v1/auth/login", None, "login-2", &wrong).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.header(REPLAYED), None);
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    let mut conn = app.core.store().conn().await.unwrap();
    let stored: i64 = roster_store::on_conn!(&mut conn, |c| sqlx::query_scalar("SELECT COUNT(*) FROM idempotency")
        .fetch_one(c)
        .await)
    .unwrap();
    assert_eq!(stored, 0);
}
