//! `POST /v1/users/search`: the list's filters, sorting and cursors, in a JSON body.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::users_list::searchable;

async fn search(app: &TestApp, token: &str, body: Value) -> Vec<String> {
    let reply = app.post("/v1/users/search", Some(token), body.clone()).await;
    assert_eq!(reply.status, StatusCode::OK, "{body}: {:?}", reply.body);
    reply.emails()
}

#[tokio::test]
async fn query_matches_name_and_email_case_insensitively() {
    let (app, owner) = searchable().await;
    let cases: [(&str, &[&str]); 7] = [
        ("HOPPER", &["GRACE@two.test"]),
        ("grace@TWO", &["GRACE@two.test"]),
        ("e@t", &["GRACE@two.test"]),
        ("gödel", &["kurt@three.test"]),
        ("k", &["kurt@three.test"]),
        ("zE", &["owner@zed.test"]),
        ("nobody", &[]),
    ];
    for (query, expected) in cases {
        assert_eq!(search(&app, &owner, json!({"query": query, "sort": "email"})).await, expected, "query={query}");
    }
    let everyone = search(&app, &owner, json!({"sort": "email"})).await;
    assert_eq!(everyone, ["ada@one.test", "GRACE@two.test", "kurt@three.test", "owner@zed.test"], "no query: everyone");
}

#[tokio::test]
async fn filters_narrow_the_search() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    app.post("/v1/users", Some(&owner), json!({"email": "ivy@x.test", "name": "Ivy"})).await;
    app.add_member(&owner, &account, "ada@x.test", "admin").await;
    let vera = app.create(&owner, "vera@x.test", "Vera").await;
    app.verify_email(&vera).await;
    let suspended = app.create(&owner, "sam@x.test", "Sam").await;
    app.put(&format!("/v1/users/{suspended}"), &owner, json!({"status": "suspended"})).await;

    assert_eq!(search(&app, &owner, json!({"filters": {"status": "invited"}})).await, ["ivy@x.test"]);
    assert_eq!(search(&app, &owner, json!({"filters": {"status": "suspended"}})).await, ["sam@x.test"]);
    assert_eq!(search(&app, &owner, json!({"query": "a", "filters": {"role": "admin"}})).await, ["ada@x.test"]);
    assert_eq!(
        search(&app, &owner, json!({"query": "a", "filters": {"role": "member"}, "sort": "email"})).await,
        ["sam@x.test", "vera@x.test"]
    );
    assert_eq!(search(&app, &owner, json!({"filters": {"email_verified": true}})).await, ["vera@x.test"]);
    assert_eq!(
        search(&app, &owner, json!({"filters": {"created_after": "2100-01-01T00:00:00Z"}})).await,
        Vec::<String>::new()
    );
    assert_eq!(
        search(&app, &owner, json!({"filters": {"created_before": "2000-01-01T00:00:00Z"}})).await,
        Vec::<String>::new()
    );
    assert_eq!(
        search(&app, &owner, json!({"filters": {"account_id": account}, "sort": "-email", "limit": 2})).await,
        ["vera@x.test", "sam@x.test"]
    );
}

#[tokio::test]
async fn search_has_the_list_shape_and_pages_with_cursors() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    for name in ["Bea", "Cal", "Dan", "Eve", "Fay", "Gus"] {
        app.create(&owner, &format!("{}@x.test", name.to_lowercase()), name).await;
    }
    let mut seen: Vec<String> = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let reply = app
            .post(
                "/v1/users/search",
                Some(&owner),
                json!({"query": "x.test", "sort": "-name", "limit": 2, "cursor": cursor, "include_total": true}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let keys: Vec<&String> = reply.body.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["data", "next_cursor", "total", "total_exact"]);
        assert_eq!(reply.body["total"], 7);
        assert_eq!(reply.body["total_exact"], true);
        sizes.push(reply.body["data"].as_array().unwrap().len());
        seen.extend(reply.emails());
        cursor = reply.body["next_cursor"].clone();
        if cursor.is_null() {
            break;
        }
        assert!(sizes.len() < 10);
    }
    assert_eq!(sizes, [2, 2, 2, 1]);
    assert_eq!(
        seen,
        ["owner@x.test", "gus@x.test", "fay@x.test", "eve@x.test", "dan@x.test", "cal@x.test", "bea@x.test"]
    );
}

#[tokio::test]
async fn a_cursor_from_another_query_sort_or_a_tampered_one_is_400() {
    let (app, owner) = searchable().await;
    let first = app.post("/v1/users/search", Some(&owner), json!({"query": "test", "sort": "name", "limit": 1})).await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let ok = app
        .post("/v1/users/search", Some(&owner), json!({"query": "test", "sort": "name", "limit": 1, "cursor": cursor}))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let tampered = format!("x{cursor}");
    for body in [
        json!({"query": "tes", "sort": "name", "cursor": cursor}),
        json!({"query": "test", "sort": "-name", "cursor": cursor}),
        json!({"query": "test", "cursor": cursor}),
        json!({"query": "test", "sort": "name", "filters": {"status": "active"}, "cursor": cursor}),
        json!({"query": "test", "sort": "name", "cursor": tampered}),
        json!({"query": "test", "sort": "name", "cursor": "not-a-cursor"}),
    ] {
        let reply = app.post("/v1/users/search", Some(&owner), body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {:?}", reply.body);
        assert_eq!(reply.code(), "bad_request");
    }
}

#[tokio::test]
async fn an_unknown_body_field_is_422_unknown_field() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    let cases = [
        (json!({"query": "a", "password": "x"}), "password"),
        (json!({"filters": {"bogus": 1}}), "filters.bogus"),
        (json!({"filters": {"sort": "name"}}), "filters.sort"),
    ];
    for (body, field) in cases {
        let reply = app.post("/v1/users/search", Some(&owner), body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(reply.code(), "unknown_field", "{body}");
        assert_eq!(reply.fields(), [field], "{body}");
    }
}

#[tokio::test]
async fn invalid_values_are_422_naming_each_field_by_its_path_in_the_body() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    let reply = app
        .post(
            "/v1/users/search",
            Some(&owner),
            json!({"sort": "password", "limit": 0, "filters": {"status": "gone", "role": "god", "created_after": "soon"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.code(), "validation_failed");
    assert_eq!(reply.fields(), ["filters.status", "filters.role", "filters.created_after", "sort", "limit"]);
    let reply = app.post("/v1/users/search", Some(&owner), json!({"limit": 101})).await;
    assert_eq!(reply.fields(), ["limit"]);
    let reply = app.post("/v1/users/search", Some(&owner), json!({"limit": "ten"})).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.fields(), ["limit"]);
}

#[tokio::test]
async fn search_needs_users_read_and_hides_foreign_accounts() {
    let app = spawn_app().await;
    let (user, token, _) = app.member("a@a.test", "A").await;
    let (_, _, account_b) = app.member("b@b.test", "B").await;
    let (_, _, account_c) = app.member("c@c.test", "C").await;
    app.join(user["id"].as_str().unwrap(), &account_b, "member", &["users.read"]).await;
    let denied = app.post("/v1/users/search", Some(&token), json!({"filters": {"account_id": account_b}})).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let hidden = app.post("/v1/users/search", Some(&token), json!({"filters": {"account_id": account_c}})).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let anonymous = app.post("/v1/users/search", None, json!({})).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn search_body_must_be_json() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    let reply =
        app.send(app.client.post(app.url("/v1/users/search")).bearer_auth(&owner).body(r#"{"query":"a"}"#)).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let reply = app
        .send(
            app.client
                .post(app.url("/v1/users/search"))
                .bearer_auth(&owner)
                .header("content-type", "application/json")
                .body("{\"query\":"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.code(), "bad_request");
}
