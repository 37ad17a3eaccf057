//! `GET /v1/users`: who is listed and the filters (sorting and paging: users_paging.rs).

use reqwest::StatusCode;
use roster_core::Clock;
use serde_json::json;
use time::macros::datetime;

use crate::helpers::{PASSWORD, TestApp, enc, spawn_app, spawn_app_with};

/// Every page of `GET /v1/users?{query}`, following `next_cursor` until it is null.
pub(crate) async fn pages(app: &TestApp, token: &str, query: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    while pages.len() < 50 {
        let path = match &cursor {
            None => format!("/v1/users?{query}"),
            Some(c) => format!("/v1/users?{query}&cursor={}", enc(c)),
        };
        let reply = app.get(&path, token).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
        pages.push(reply.emails());
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return pages,
        }
    }
    panic!("{query}: more than 50 pages");
}

pub(crate) async fn emails(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let reply = app.get(&format!("/v1/users?{query}"), token).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {:?}", reply.body);
    reply.emails()
}

/// An owner and six more users in its account, with names, emails and creation order that
/// sort differently. Returns (app, owner token, every email in creation order).
pub(crate) async fn seven_users() -> (TestApp, String, Vec<String>) {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    let mut all = vec!["owner@x.test".to_owned()];
    for (email, name) in [
        ("fay@x.test", "Bea"),
        ("eve@x.test", "cal"),
        ("dan@x.test", "Dan"),
        ("cal@x.test", "eve"),
        ("bea@x.test", "Fay"),
        ("gus@x.test", "Gus"),
    ] {
        app.create(&owner, email, name).await;
        all.push(email.to_owned());
    }
    (app, owner, all)
}

#[tokio::test]
async fn lists_only_members_of_the_active_account() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@a.test", "Owner A").await;
    app.add_member(&owner, &account, "viewer@a.test", "viewer").await;
    let (_, other, other_account) = app.member("owner@b.test", "Owner B").await;
    app.add_member(&other, &other_account, "member@b.test", "member").await;

    assert_eq!(emails(&app, &owner, "sort=email").await, ["owner@a.test", "viewer@a.test"]);
    assert_eq!(emails(&app, &other, "sort=email").await, ["member@b.test", "owner@b.test"]);
}

#[tokio::test]
async fn account_id_lists_another_account_where_the_caller_has_users_read() {
    let app = spawn_app().await;
    let (_, owner_a, account_a) = app.member("owner@a.test", "Owner A").await;
    let (_, _, account_b) = app.member("owner@b.test", "Owner B").await;
    let (user, token) = app.add_member(&owner_a, &account_a, "m@a.test", "member").await;
    app.join(user["id"].as_str().unwrap(), &account_b, "viewer", &[]).await;

    assert_eq!(emails(&app, &token, "sort=email").await, ["m@a.test", "owner@a.test"], "the active account is still A");
    let in_b = emails(&app, &token, &format!("sort=email&account_id={account_b}")).await;
    assert_eq!(in_b, ["m@a.test", "owner@b.test"]);
}

#[tokio::test]
async fn account_id_of_an_account_without_standing_is_404() {
    let app = spawn_app().await;
    let (_, token, _) = app.member("a@a.test", "A").await;
    let (_, _, foreign) = app.member("b@b.test", "B").await;
    for account in [foreign, uuid::Uuid::now_v7().to_string()] {
        let reply = app.get(&format!("/v1/users?account_id={account}"), &token).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{account}");
        assert_eq!(reply.code(), "not_found");
    }
}

#[tokio::test]
async fn account_id_where_users_read_is_denied_is_403() {
    let app = spawn_app().await;
    let (user, token, _) = app.member("a@a.test", "A").await;
    let (_, _, account_b) = app.member("b@b.test", "B").await;
    app.join(user["id"].as_str().unwrap(), &account_b, "member", &["users.read"]).await;
    let reply = app.get(&format!("/v1/users?account_id={account_b}"), &token).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.code(), "forbidden");
}

#[tokio::test]
async fn active_account_where_users_read_is_denied_is_403() {
    let app = spawn_app().await;
    let (user, _, _) = app.member("a@a.test", "A").await;
    let (_, _, account_b) = app.member("b@b.test", "B").await;
    app.join(user["id"].as_str().unwrap(), &account_b, "admin", &["users.read"]).await;
    let login = app
        .post("/v1/auth/login", None, json!({"email": "a@a.test", "password": PASSWORD, "account_id": account_b}))
        .await;
    let token = login.body["token"].as_str().unwrap();
    let reply = app.get("/v1/users", token).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn malformed_account_id_is_422_naming_the_field() {
    let app = spawn_app().await;
    let (_, token, _) = app.member("a@a.test", "A").await;
    let reply = app.get("/v1/users?account_id=not-a-uuid", &token).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["account_id"]);
}

#[tokio::test]
async fn platform_admin_without_account_id_lists_every_user() {
    let app = spawn_app().await;
    let (admin, token, admin_account) = app.member("admin@p.test", "Admin").await;
    let (_, owner_a, account_a) = app.member("owner@a.test", "Owner A").await;
    app.add_member(&owner_a, &account_a, "m@a.test", "member").await;
    app.member("owner@b.test", "Owner B").await;

    assert_eq!(emails(&app, &token, "sort=email").await, ["admin@p.test"], "before: only its own account");
    app.make_platform_admin(admin["id"].as_str().unwrap()).await;
    // The active account is still its own, yet without account_id a platform admin sees everyone.
    let profile = app.get("/v1/users/profile", &token).await;
    assert_eq!(profile.body["active_account_id"], admin_account.as_str());
    let everyone = app.get("/v1/users?sort=email&include_total=true", &token).await;
    assert_eq!(everyone.emails(), ["admin@p.test", "m@a.test", "owner@a.test", "owner@b.test"]);
    assert_eq!(everyone.body["total"], 4);
    // Naming an account narrows it to that account, which it may read without membership.
    assert_eq!(emails(&app, &token, &format!("sort=email&account_id={account_a}")).await, ["m@a.test", "owner@a.test"]);
    assert_eq!(emails(&app, &token, "sort=email&role=member").await, ["m@a.test"], "filters apply to everyone");
}

#[tokio::test]
async fn status_filter_and_deleted_users_left_out_unless_asked_for() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    let invited = app.post("/v1/users", Some(&owner), json!({"email": "invited@x.test", "name": "Invited"})).await;
    assert_eq!(invited.body["status"], "invited");
    let suspended = app.create(&owner, "suspended@x.test", "Suspended").await;
    assert_eq!(
        app.put(&format!("/v1/users/{suspended}"), &owner, json!({"status": "suspended"})).await.status,
        StatusCode::OK
    );
    let deleted = app.create(&owner, "deleted@x.test", "Deleted").await;
    assert_eq!(app.delete(&format!("/v1/users/{deleted}"), &owner).await.status, StatusCode::OK);

    assert_eq!(emails(&app, &owner, "sort=email").await, ["invited@x.test", "owner@x.test", "suspended@x.test"]);
    assert_eq!(emails(&app, &owner, "status=active").await, ["owner@x.test"]);
    assert_eq!(emails(&app, &owner, "status=invited").await, ["invited@x.test"]);
    assert_eq!(emails(&app, &owner, "status=suspended").await, ["suspended@x.test"]);
    assert_eq!(emails(&app, &owner, "status=deleted").await, ["deleted@x.test"]);
    let total = app.get("/v1/users?include_total=true", &owner).await;
    assert_eq!(total.body["total"], 3, "the total leaves deleted users out too");

    let reply = app.get("/v1/users?status=gone", &owner).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["status"]);
}

#[tokio::test]
async fn role_filter_matches_the_role_in_the_listed_account() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    for (email, role) in
        [("v@x.test", "viewer"), ("m@x.test", "member"), ("a1@x.test", "admin"), ("a2@x.test", "admin")]
    {
        app.add_member(&owner, &account, email, role).await;
    }
    assert_eq!(emails(&app, &owner, "role=admin&sort=email").await, ["a1@x.test", "a2@x.test"]);
    assert_eq!(emails(&app, &owner, "role=viewer").await, ["v@x.test"]);
    assert_eq!(emails(&app, &owner, "role=member").await, ["m@x.test"]);
    assert_eq!(emails(&app, &owner, "role=owner").await, ["owner@x.test"]);
    let reply = app.get("/v1/users?role=superuser", &owner).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["role"]);
}

/// Names and emails for the `q` tests; `sort=email` gives ada, GRACE, kurt, owner.
pub(crate) async fn searchable() -> (TestApp, String) {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@zed.test", "Owner").await;
    app.create(&owner, "ada@one.test", "Ada Lovelace").await;
    app.create(&owner, "GRACE@two.test", "Grace Hopper").await;
    app.create(&owner, "kurt@three.test", "Kurt Gödel").await;
    (app, owner)
}

#[tokio::test]
async fn q_with_one_or_two_characters_matches_name_or_email_case_insensitively() {
    let (app, owner) = searchable().await;
    let cases: [(&str, &[&str]); 6] = [
        ("k", &["kurt@three.test"]),
        ("K", &["kurt@three.test"]),
        ("zE", &["owner@zed.test"]),
        ("Ov", &["ada@one.test"]),
        ("st", &["ada@one.test", "GRACE@two.test", "kurt@three.test", "owner@zed.test"]),
        ("qq", &[]),
    ];
    for (q, expected) in cases {
        assert_eq!(emails(&app, &owner, &format!("sort=email&q={}", enc(q))).await, expected, "q={q}");
    }
}

#[tokio::test]
async fn q_with_three_or_more_characters_matches_name_or_email_case_insensitively() {
    let (app, owner) = searchable().await;
    let cases: [(&str, &[&str]); 8] = [
        ("HOPPER", &["GRACE@two.test"]),
        ("grace@TWO", &["GRACE@two.test"]),
        ("e@t", &["GRACE@two.test"]),
        ("ödel", &["kurt@three.test"]),
        ("  lovelace ", &["ada@one.test"]),
        ("wner", &["owner@zed.test"]),
        (".test", &["ada@one.test", "GRACE@two.test", "kurt@three.test", "owner@zed.test"]),
        ("zzz", &[]),
    ];
    for (q, expected) in cases {
        assert_eq!(emails(&app, &owner, &format!("sort=email&q={}", enc(q))).await, expected, "q={q:?}");
    }
}

#[tokio::test]
async fn q_treats_like_wildcards_and_quotes_literally() {
    let (app, owner) = searchable().await;
    for q in ["_", "%", "a_a", "a%a", "\"", "\"ada\"", "\\"] {
        assert_eq!(emails(&app, &owner, &format!("q={}", enc(q))).await, Vec::<String>::new(), "q={q:?}");
    }
    let reply = app.get(&format!("/v1/users?q={}", enc("ada OR grace")), &owner).await;
    assert_eq!(reply.status, StatusCode::OK, "query syntax is not interpreted");
    assert_eq!(reply.emails(), Vec::<String>::new());
}

#[tokio::test]
async fn q_sees_a_renamed_user_under_its_new_name() {
    let (app, owner) = searchable().await;
    let ada = app.get("/v1/users?q=lovelace", &owner).await.body["data"][0]["id"].as_str().unwrap().to_owned();
    app.put(&format!("/v1/users/{ada}"), &owner, json!({"name": "Ada Byron"})).await;
    assert_eq!(emails(&app, &owner, "q=lovelace").await, Vec::<String>::new());
    assert_eq!(emails(&app, &owner, "q=byron").await, ["ada@one.test"]);
    assert_eq!(emails(&app, &owner, "q=by").await, ["ada@one.test"]);
}

#[tokio::test]
async fn q_folds_case_beyond_ascii_for_short_and_long_needles() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    app.create(&owner, "emile@x.test", "Émile Zola").await;
    for q in ["é", "É", "ém", "ÉM", "émi", "ÉMILE"] {
        assert_eq!(emails(&app, &owner, &format!("q={}", enc(q))).await, ["emile@x.test"], "q={q}");
    }
}

#[tokio::test]
async fn email_verified_filter() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    let verified = app.create(&owner, "verified@x.test", "Verified").await;
    app.verify_email(&verified).await;
    assert_eq!(emails(&app, &owner, "email_verified=true").await, ["verified@x.test"]);
    assert_eq!(emails(&app, &owner, "email_verified=false").await, ["owner@x.test"]);
    let reply = app.get("/v1/users?email_verified=maybe", &owner).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["email_verified"]);
}

#[tokio::test]
async fn created_after_and_created_before_filter_by_rfc3339_times() {
    let app = spawn_app_with(|o| o.clock = Clock::pinned(datetime!(2026-11-24 10:00 UTC))).await;
    let (_, owner, _) = app.member("t10@x.test", "Ten").await;
    for email in ["t11@x.test", "t12@x.test", "t13@x.test"] {
        app.clock.advance(time::Duration::hours(1));
        app.create(&owner, email, email).await;
    }
    let cases: [(String, &[&str]); 5] = [
        ("created_after=2026-11-24T11:30:00Z".into(), &["t12@x.test", "t13@x.test"]),
        ("created_before=2026-11-24T11:30:00Z".into(), &["t10@x.test", "t11@x.test"]),
        (
            "created_after=2026-11-24T10:30:00Z&created_before=2026-11-24T12:30:00Z".into(),
            &["t11@x.test", "t12@x.test"],
        ),
        // Any offset is accepted and means the same instant.
        (format!("created_after={}", enc("2026-11-24T13:30:00+02:00")), &["t12@x.test", "t13@x.test"]),
        ("created_after=2026-11-24T12:00:00.5Z".into(), &["t13@x.test"]),
    ];
    for (query, expected) in cases {
        assert_eq!(emails(&app, &owner, &query).await, expected, "{query}");
    }
}

#[tokio::test]
async fn invalid_created_times_are_422_naming_each_field() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    let reply = app.get("/v1/users?created_after=yesterday&created_before=2026-11-24", &owner).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.code(), "validation_failed");
    assert_eq!(reply.fields(), ["created_after", "created_before"]);
}

#[tokio::test]
async fn every_field_problem_of_the_query_is_reported_at_once() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    let reply = app.get("/v1/users?status=x&role=y&created_after=z&sort=password&limit=0", &owner).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["status", "role", "created_after", "sort", "limit"]);
}

#[tokio::test]
async fn an_unknown_query_parameter_is_422_unknown_field() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    for (query, field) in [("foo=1", "foo"), ("page=2", "page"), ("sort=name&order=desc", "order")] {
        let reply = app.get(&format!("/v1/users?{query}"), &owner).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(reply.code(), "unknown_field", "{query}");
        assert_eq!(reply.fields(), [field], "{query}");
    }
}

#[tokio::test]
async fn listing_needs_a_signed_in_caller() {
    let app = spawn_app().await;
    let reply = app.call(reqwest::Method::GET, "/v1/users", None, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.code(), "unauthenticated");
}

#[tokio::test]
async fn a_viewer_can_list_its_account() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (_, viewer) = app.add_member(&owner, &account, "viewer@x.test", "viewer").await;
    assert_eq!(emails(&app, &viewer, "sort=email").await, ["owner@x.test", "viewer@x.test"]);
}
