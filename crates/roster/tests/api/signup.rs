//! `POST /v1/users`: open sign-up, creation by members, invitations, and their one transaction.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with};

#[tokio::test]
async fn open_signup_creates_user_account_and_owner_membership() {
    let app = spawn_app().await;
    let reply = app
        .post("/v1/users", None, json!({"email": "  Ada@Example.COM ", "password": PASSWORD, "name": "Ada Lovelace"}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let id = reply.body["id"].as_str().unwrap();
    assert_eq!(reply.header("location"), Some(format!("/v1/users/{id}").as_str()));
    assert_eq!(reply.body["email"], "Ada@Example.COM");
    assert_eq!(reply.body["status"], "active");
    assert_eq!(reply.body["email_verified"], false);
    assert_eq!(reply.body["timezone"], "UTC");
    assert_eq!(reply.body["locale"], "en");
    assert!(reply.body.get("password").is_none() && reply.body.get("password_hash").is_none());

    let token = app.login("ada@example.com").await;
    let profile = app.get("/v1/users/profile", &token).await;
    let accounts = profile.body["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0]["name"], "Ada Lovelace's account");
    assert_eq!(accounts[0]["role"], "owner");
    assert_eq!(profile.body["active_account_id"], accounts[0]["account_id"]);
    assert_eq!(profile.body["preferences"]["notifications"]["email"]["security"], true);
}

#[tokio::test]
async fn signup_records_every_job_and_the_activity_in_the_same_transaction() {
    let app = spawn_app().await;
    let user = app.signup("grace@example.com", "Grace Hopper").await;
    let id = user["id"].as_str().unwrap();
    let jobs = app.jobs_for(id).await;
    let expected: Vec<(String, String)> = [
        ("analytics", "analytics.activity"),
        ("analytics", "analytics.init"),
        ("notifications", "email.verification"),
        ("onboarding", "onboarding.dashboard"),
        ("onboarding", "onboarding.sync"),
        ("onboarding", "onboarding.welcome"),
        ("sync", "event.deliver"),
    ]
    .iter()
    .map(|(q, k)| (q.to_string(), k.to_string()))
    .collect();
    assert_eq!(jobs, expected);

    let token = app.login("grace@example.com").await;
    let activity = app.get(&format!("/v1/users/{id}/activity"), &token).await;
    let actions: Vec<&str> =
        activity.body["data"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"user.created"), "{actions:?}");
}

#[tokio::test]
async fn custom_account_name_is_used() {
    let app = spawn_app().await;
    app.post(
        "/v1/users",
        None,
        json!({"email": "a@example.com", "password": PASSWORD, "name": "A", "account_name": "Acme Agency"}),
    )
    .await;
    let token = app.login("a@example.com").await;
    let accounts = app.get("/v1/accounts", &token).await;
    assert_eq!(accounts.body["data"][0]["name"], "Acme Agency");
    assert_eq!(accounts.body["data"][0]["seats_used"], 1);
}

#[tokio::test]
async fn email_is_unique_case_insensitively() {
    let app = spawn_app().await;
    app.signup("ada@example.com", "Ada").await;
    let reply =
        app.post("/v1/users", None, json!({"email": "ADA@example.com", "password": PASSWORD, "name": "Other"})).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.code(), "email_taken");
}

#[tokio::test]
async fn every_field_problem_is_reported_at_once() {
    let app = spawn_app().await;
    let reply = app
        .post("/v1/users", None, json!({"email": "not-an-email", "password": "short", "name": "", "timezone": "Mars/Olympus", "locale": "xx-YY", "metadata": [1]}))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.code(), "validation_failed");
    assert_eq!(reply.fields(), ["email", "name", "timezone", "locale", "metadata", "password"]);
}

#[tokio::test]
async fn missing_required_fields_are_all_named() {
    let app = spawn_app().await;
    let reply = app.post("/v1/users", None, json!({})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["email", "name", "password"]);
}

#[tokio::test]
async fn password_policy_codes() {
    let app = spawn_app().await;
    let cases = [
        ("short", "too_short"),
        ("PolniyPizdec0211", "too_common"),
        (&"x".repeat(129) as &str, "too_long"),
        ("ada.lovelace.example", "too_similar"),
    ];
    for (password, code) in cases {
        let reply = app
            .post(
                "/v1/users",
                None,
                json!({"email": "ada.lovelace.example@example.com", "password": password, "name": "Ada"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{password}");
        let codes: Vec<&str> =
            reply.body["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
        assert!(codes.contains(&code), "{password}: {codes:?}");
    }
}

#[tokio::test]
async fn long_but_guessable_passwords_and_the_users_own_words_are_refused() {
    let app = spawn_app().await;
    let cases = [
        ("passwordpassword", "too_common"),
        ("123456789012345", "too_common"),
        ("qwertyuiopasdfgh", "too_common"),
        ("iloveyouiloveyou", "too_common"),
        ("ada-7f3@example.com1", "too_similar"),
        ("lovelace.ada.2024", "too_similar"),
    ];
    for (password, code) in cases {
        let body = json!({"email": "ada-7f3@example.com", "password": password, "name": "Ada Lovelace"});
        let reply = app.post("/v1/users", None, body).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{password}: {:?}", reply.body);
        assert_eq!(reply.fields(), ["password"], "{password}");
        assert_eq!(reply.body["errors"][0]["code"], code, "{password}");
    }
    let strong = json!({"email": "ada-7f3@example.com", "password": "violet tugboat under 9 moons", "name": "Ada"});
    assert_eq!(app.post("/v1/users", None, strong).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn password_min_length_is_configurable() {
    let app = spawn_app_with(|o| o.settings.password_min_length = 20).await;
    let reply = app
        .post("/v1/users", None, json!({"email": "a@example.com", "password": "seventeen chars!!", "name": "A"}))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.body["errors"][0]["code"], "too_short");
}

#[tokio::test]
async fn anonymous_signup_cannot_choose_account_or_role() {
    let app = spawn_app().await;
    let reply = app
        .post("/v1/users", None, json!({"email": "a@example.com", "password": PASSWORD, "name": "A", "role": "owner", "account_id": uuid::Uuid::now_v7()}))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["account_id", "role"]);
}

#[tokio::test]
async fn invite_mode_refuses_anonymous_signup() {
    let app = spawn_app_with(|o| o.settings.signup = roster::config::Signup::Invite).await;
    let reply = app.post("/v1/users", None, json!({"email": "a@example.com", "password": PASSWORD, "name": "A"})).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.code(), "unauthenticated");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
}

#[tokio::test]
async fn member_with_users_create_adds_users_to_its_account() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@example.com", "Owner").await;
    let (user, _) = app.add_member(&owner, &account, "new@example.com", "admin").await;
    assert_eq!(user["status"], "active");
    let list = app.get("/v1/users?sort=email", &owner).await;
    let emails: Vec<&str> =
        list.body["data"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["new@example.com", "owner@example.com"]);
    let account_view = app.get(&format!("/v1/accounts/{account}"), &owner).await;
    assert_eq!(account_view.body["seats_used"], 2);
}

#[tokio::test]
async fn invitation_without_password_creates_an_invited_user_and_an_invitation_job() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@example.com", "Owner").await;
    let reply = app
        .post("/v1/users", Some(&owner), json!({"email": "guest@example.com", "name": "Guest", "account_id": account}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.body["status"], "invited");
    let jobs = app.jobs_for(reply.body["id"].as_str().unwrap()).await;
    assert!(jobs.contains(&("notifications".into(), "email.invitation".into())), "{jobs:?}");
    assert!(!jobs.iter().any(|(_, k)| k == "email.verification"));
    // An invited user has no password to sign in with.
    let login = app.post("/v1/auth/login", None, json!({"email": "guest@example.com", "password": PASSWORD})).await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn nobody_assigns_a_role_above_their_own() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@example.com", "Owner").await;
    let (_, admin) = app.add_member(&owner, &account, "admin@example.com", "admin").await;
    let reply = app
        .post(
            "/v1/users",
            Some(&admin),
            json!({"email": "x@example.com", "password": PASSWORD, "name": "X", "role": "owner"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let ok = app
        .post(
            "/v1/users",
            Some(&admin),
            json!({"email": "y@example.com", "password": PASSWORD, "name": "Y", "role": "admin"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);
}

#[tokio::test]
async fn members_without_users_create_are_forbidden_and_strangers_see_nothing() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@example.com", "Owner").await;
    let (_, viewer) = app.add_member(&owner, &account, "viewer@example.com", "viewer").await;
    let reply = app
        .post("/v1/users", Some(&viewer), json!({"email": "x@example.com", "password": PASSWORD, "name": "X"}))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.code(), "forbidden");

    let (_, stranger, _) = app.member("stranger@example.com", "Stranger").await;
    let reply = app
        .post(
            "/v1/users",
            Some(&stranger),
            json!({"email": "z@example.com", "password": PASSWORD, "name": "Z", "account_id": account}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn concurrent_signups_with_one_email_create_exactly_one_user() {
    let app = spawn_app().await;
    let attempts = (0..20).map(|i| {
        let app = &app;
        async move {
            app.post(
                "/v1/users",
                None,
                json!({"email": "same@example.com", "password": PASSWORD, "name": format!("N{i}")}),
            )
            .await
        }
    });
    let replies = futures::future::join_all(attempts).await;
    let created = replies.iter().filter(|r| r.status == StatusCode::CREATED).count();
    let taken = replies.iter().filter(|r| r.status == StatusCode::CONFLICT && r.code() == "email_taken").count();
    assert_eq!((created, taken), (1, 19), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(app.count("users").await, 1, "one row");
}

#[tokio::test]
async fn fifty_concurrent_signups_all_succeed() {
    let app = spawn_app().await;
    let attempts = (0..50).map(|i| {
        let app = &app;
        async move {
            app.post(
                "/v1/users",
                None,
                json!({"email": format!("user{i}@example.com"), "password": PASSWORD, "name": format!("User {i}")}),
            )
            .await
        }
    });
    let replies = futures::future::join_all(attempts).await;
    let statuses: Vec<_> = replies.iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
}

#[tokio::test]
async fn a_creation_that_fails_halfway_leaves_nothing_behind() {
    let app = spawn_app().await;
    // Make the LAST statement of the sign-up transaction (the activity entry) fail, after the
    // user, account, membership, preferences, token and jobs were written.
    app.sql(
        "CREATE TRIGGER fail_activity BEFORE INSERT ON activities BEGIN SELECT RAISE(ABORT, 'injected'); END",
        &[
            "CREATE FUNCTION fail_activity() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$",
            "CREATE TRIGGER fail_activity BEFORE INSERT ON activities FOR EACH ROW EXECUTE FUNCTION fail_activity()",
        ],
    )
    .await;
    let reply =
        app.post("/v1/users", None, json!({"email": "half@example.com", "password": PASSWORD, "name": "Half"})).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.code(), "internal");
    assert!(!reply.body.to_string().contains("injected"), "causes are logged, not sent");
    for table in ["users", "accounts", "memberships", "preferences", "tokens", "jobs", "activities"] {
        assert_eq!(app.count(table).await, 0, "{table} kept a row of the failed sign-up");
    }
}
