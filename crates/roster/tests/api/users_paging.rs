//! `GET /v1/users`: sorting and keyset pagination (cursors, limits, totals).

use reqwest::StatusCode;
use roster_core::Clock;
use serde_json::json;
use time::macros::datetime;

use crate::helpers::{TestApp, enc, spawn_app, spawn_app_with};
use crate::users_list::{emails, pages, seven_users};

/// Owner (t0, logged in at t0), alice <Delta@> (t1, login t4), Bob <alpha@> (t2, never),
/// Charlie <charlie@> (t3, login t5): each sort key gives another order.
async fn sortable() -> (TestApp, String) {
    let app = spawn_app_with(|o| o.clock = Clock::pinned(datetime!(2026-11-24 10:00 UTC))).await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    for (email, name) in [("Delta@x.test", "alice"), ("alpha@x.test", "Bob"), ("charlie@x.test", "Charlie")] {
        app.clock.advance(time::Duration::minutes(1));
        app.create(&owner, email, name).await;
    }
    for email in ["delta@x.test", "charlie@x.test"] {
        app.clock.advance(time::Duration::minutes(1));
        app.login(email).await;
    }
    (app, owner)
}

const BY_NAME: [&str; 4] = ["Delta@x.test", "alpha@x.test", "charlie@x.test", "owner@x.test"];
const BY_EMAIL: [&str; 4] = ["alpha@x.test", "charlie@x.test", "Delta@x.test", "owner@x.test"];
const BY_CREATED: [&str; 4] = ["owner@x.test", "Delta@x.test", "alpha@x.test", "charlie@x.test"];
const BY_LOGIN: [&str; 4] = ["alpha@x.test", "owner@x.test", "Delta@x.test", "charlie@x.test"];

fn reversed(order: [&str; 4]) -> Vec<&str> {
    order.iter().rev().copied().collect()
}

#[tokio::test]
async fn sorts_by_each_field_ascending_and_descending() {
    let (app, owner) = sortable().await;
    assert_eq!(emails(&app, &owner, "").await, BY_CREATED, "default: created_at ascending");
    for (field, order) in
        [("name", BY_NAME), ("email", BY_EMAIL), ("created_at", BY_CREATED), ("last_login_at", BY_LOGIN)]
    {
        assert_eq!(emails(&app, &owner, &format!("sort={field}")).await, order, "sort={field}");
        assert_eq!(emails(&app, &owner, &format!("sort=-{field}")).await, reversed(order), "sort=-{field}");
    }
}

#[tokio::test]
async fn cursors_page_through_each_sort_in_both_directions() {
    let (app, owner) = sortable().await;
    for (field, order) in
        [("name", BY_NAME), ("email", BY_EMAIL), ("created_at", BY_CREATED), ("last_login_at", BY_LOGIN)]
    {
        let walked: Vec<String> = pages(&app, &owner, &format!("sort={field}&limit=1")).await.concat();
        assert_eq!(walked, order, "sort={field}");
        let walked: Vec<String> = pages(&app, &owner, &format!("sort=-{field}&limit=1")).await.concat();
        assert_eq!(walked, reversed(order), "sort=-{field}");
    }
}

#[tokio::test]
async fn unknown_sort_is_422() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    for sort in ["password_hash", "-", "--name", "name-", "NAME", "+name", ""] {
        let reply = app.get(&format!("/v1/users?sort={}", enc(sort)), &owner).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "sort={sort:?}");
        assert_eq!(reply.fields(), ["sort"], "sort={sort:?}");
    }
}

#[tokio::test]
async fn limit_must_be_between_1_and_100() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    for limit in ["0", "101", "-1", "ten", "1.5"] {
        let reply = app.get(&format!("/v1/users?limit={limit}"), &owner).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "limit={limit}");
        assert_eq!(reply.fields(), ["limit"], "limit={limit}");
    }
    for limit in ["1", "100"] {
        assert_eq!(app.get(&format!("/v1/users?limit={limit}"), &owner).await.status, StatusCode::OK, "limit={limit}");
    }
}

#[tokio::test]
async fn default_limit_is_20() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    for i in 0..21 {
        let reply = app
            .post("/v1/users", Some(&owner), json!({"email": format!("u{i}@x.test"), "name": format!("U{i}")}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    let reply = app.get("/v1/users", &owner).await;
    assert_eq!(reply.body["data"].as_array().unwrap().len(), 20);
    assert!(reply.body["next_cursor"].is_string());
}

#[tokio::test]
async fn limit_2_walks_every_page_without_duplicates_or_gaps() {
    let (app, owner, all) = seven_users().await;
    for sort in ["created_at", "-created_at", "name", "-name", "email", "-email", "last_login_at", "-last_login_at"] {
        let full = emails(&app, &owner, &format!("sort={sort}&limit=100")).await;
        let mut sorted_full = full.clone();
        sorted_full.sort();
        let mut sorted_all = all.clone();
        sorted_all.sort();
        assert_eq!(sorted_full, sorted_all, "sort={sort}: the one-page list has everyone");

        let pages = pages(&app, &owner, &format!("sort={sort}&limit=2")).await;
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 2, 2, 1], "sort={sort}");
        assert_eq!(pages.concat(), full, "sort={sort}: the pages, end to end, are the whole list");
    }
    assert_eq!(
        emails(&app, &owner, "sort=name").await,
        ["fay@x.test", "eve@x.test", "dan@x.test", "cal@x.test", "bea@x.test", "gus@x.test", "owner@x.test"]
    );
}

#[tokio::test]
async fn a_full_last_page_has_no_next_cursor() {
    let (app, owner, _) = seven_users().await;
    let sizes: Vec<usize> = pages(&app, &owner, "limit=7").await.iter().map(Vec::len).collect();
    assert_eq!(sizes, [7]);
    let sizes: Vec<usize> = pages(&app, &owner, "limit=6").await.iter().map(Vec::len).collect();
    assert_eq!(sizes, [6, 1]);
}

#[tokio::test]
async fn name_cursors_skip_nobody_whose_name_lowercases_beyond_ascii() {
    let app = spawn_app().await;
    let (_, owner, _) = app.member("owner@x.test", "Owner").await;
    let names = ["Éclair", "Édith", "éve", "İlker", "İnci", "Ivo", "Zoë", "ÅSA", "Straße"];
    for (i, name) in names.iter().enumerate() {
        app.create(&owner, &format!("u{i}@x.test"), name).await;
    }
    for sort in ["name", "-name"] {
        let full = emails(&app, &owner, &format!("sort={sort}")).await;
        assert_eq!(full.len(), names.len() + 1);
        let walked = pages(&app, &owner, &format!("sort={sort}&limit=1")).await.concat();
        assert_eq!(walked, full, "sort={sort}");
    }
}

#[tokio::test]
async fn ties_on_the_sort_key_are_broken_by_id() {
    // A pinned clock that never moves: every user has the same created_at and last_login_at.
    let app = spawn_app_with(|o| o.clock = Clock::pinned(datetime!(2026-11-24 10:00 UTC))).await;
    let (_, owner, _) = app.member("owner@x.test", "Same").await;
    for i in 0..6 {
        app.create(&owner, &format!("u{i}@x.test"), "Same").await;
    }
    for sort in ["created_at", "-created_at", "name", "-name", "last_login_at", "-last_login_at"] {
        let full = emails(&app, &owner, &format!("sort={sort}")).await;
        assert_eq!(full.len(), 7);
        let walked = pages(&app, &owner, &format!("sort={sort}&limit=2")).await.concat();
        assert_eq!(walked, full, "sort={sort}");
    }
}

#[tokio::test]
async fn pages_stay_stable_when_users_are_inserted_between_fetches() {
    let (app, owner, _) = seven_users().await;
    // By name: Bea, cal, Dan, eve, Fay, Gus, Owner.
    let first = app.get("/v1/users?sort=name&limit=2", &owner).await;
    assert_eq!(first.emails(), ["fay@x.test", "eve@x.test"]);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    app.create(&owner, "abe@x.test", "Abe").await; // before the cursor: not in later pages
    app.create(&owner, "dax@x.test", "Dax").await; // after it: shows up in place
    app.create(&owner, "zed@x.test", "Zed").await;

    let mut rest = Vec::new();
    let mut next = Some(cursor);
    while let Some(cursor) = next {
        let reply = app.get(&format!("/v1/users?sort=name&limit=2&cursor={}", enc(&cursor)), &owner).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        rest.extend(reply.emails());
        next = reply.body["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(
        rest,
        ["dan@x.test", "dax@x.test", "cal@x.test", "bea@x.test", "gus@x.test", "owner@x.test", "zed@x.test"]
    );

    // By creation: the page boundary does not move when a newer user arrives.
    let first = app.get("/v1/users?limit=3", &owner).await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    app.create(&owner, "late@x.test", "Late").await;
    let second = app.get(&format!("/v1/users?limit=3&cursor={}", enc(&cursor)), &owner).await;
    let mut seen = first.emails();
    seen.extend(second.emails());
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 6, "no duplicates across the pages: {seen:?}");
    assert_eq!(second.emails(), ["dan@x.test", "cal@x.test", "bea@x.test"]);
}

#[tokio::test]
async fn include_total_counts_every_match_not_the_page() {
    let (app, owner, _) = seven_users().await;
    let reply = app.get("/v1/users?limit=2&include_total=true", &owner).await;
    assert_eq!(reply.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(reply.body["total"], 7);
    let cursor = reply.body["next_cursor"].as_str().unwrap();
    let next = app.get(&format!("/v1/users?limit=2&include_total=true&cursor={}", enc(cursor)), &owner).await;
    assert_eq!(next.body["total"], 7, "the total ignores the cursor");
    let filtered = app.get("/v1/users?include_total=true&q=a&limit=1", &owner).await;
    assert_eq!(filtered.body["total"], 5, "fay, eve (named cal), dan, cal, bea: the total applies the filters");
    let without = app.get("/v1/users?limit=2", &owner).await;
    assert!(without.body.get("total").is_none(), "{:?}", without.body);
    assert!(without.body.get("next_cursor").is_some());
}

#[tokio::test]
async fn a_tampered_or_forged_cursor_is_400_bad_request() {
    let (app, owner, _) = seven_users().await;
    let cursor = app.get("/v1/users?sort=name&limit=2", &owner).await.body["next_cursor"].as_str().unwrap().to_owned();
    let (payload, tag) = cursor.split_once('.').unwrap();
    let flipped: String = payload
        .char_indices()
        .map(|(i, c)| if i == payload.len() / 2 { if c == 'A' { 'B' } else { 'A' } } else { c })
        .collect();
    let other = app.get("/v1/users?sort=name&limit=4", &owner).await.body["next_cursor"].as_str().unwrap().to_owned();
    let other_tag = other.split_once('.').unwrap().1;
    let other_payload = other.split_once('.').unwrap().0;
    for bad in [
        format!("{flipped}.{tag}"),
        format!("{payload}.{other_tag}"),
        format!("{other_payload}.{tag}"),
        format!("{payload}."),
        payload.to_owned(),
        "garbage".to_owned(),
        "%%%".to_owned(),
    ] {
        let reply = app.get(&format!("/v1/users?sort=name&limit=2&cursor={}", enc(&bad)), &owner).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "cursor {bad:?}: {:?}", reply.body);
        assert_eq!(reply.code(), "bad_request");
    }
    // An empty cursor is no cursor (as a client that always sends the parameter writes it).
    let first = app.get("/v1/users?sort=name&limit=2", &owner).await;
    let empty = app.get("/v1/users?sort=name&limit=2&cursor=", &owner).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.emails(), first.emails());
}

#[tokio::test]
async fn a_cursor_from_another_sort_filter_or_account_is_400() {
    let (app, owner, _) = seven_users().await;
    let cursor = app.get("/v1/users?sort=name&limit=2", &owner).await.body["next_cursor"].as_str().unwrap().to_owned();
    let c = enc(&cursor);
    assert_eq!(
        app.get(&format!("/v1/users?sort=name&limit=5&cursor={c}"), &owner).await.status,
        StatusCode::OK,
        "another limit is the same list"
    );
    for query in [
        "sort=-name",
        "sort=email",
        "",
        "sort=created_at",
        "sort=name&q=a",
        "sort=name&status=active",
        "sort=name&role=owner",
        "sort=name&email_verified=false",
        "sort=name&created_after=2000-01-01T00:00:00Z",
    ] {
        let reply = app.get(&format!("/v1/users?{query}&cursor={c}"), &owner).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {:?}", reply.body);
        assert_eq!(reply.code(), "bad_request");
    }
    let (_, stranger, _) = app.member("stranger@y.test", "Stranger").await;
    let reply = app.get(&format!("/v1/users?sort=name&limit=2&cursor={c}"), &stranger).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "a cursor of another account's list");
}

#[tokio::test]
async fn a_cursor_of_the_member_list_or_the_search_is_refused_by_the_user_list() {
    let (app, owner, _) = seven_users().await;
    let profile = app.get("/v1/users/profile", &owner).await;
    let account = profile.body["active_account_id"].as_str().unwrap().to_owned();
    let members = app.get(&format!("/v1/accounts/{account}/members?limit=1"), &owner).await;
    let from_members = members.body["next_cursor"].as_str().unwrap().to_owned();
    let search = app.post("/v1/users/search", Some(&owner), json!({"limit": 1})).await;
    let from_search = search.body["next_cursor"].as_str().unwrap().to_owned();
    let from_users = app.get("/v1/users?limit=1", &owner).await.body["next_cursor"].as_str().unwrap().to_owned();
    for (cursor, name) in [(&from_members, "members"), (&from_search, "search")] {
        let reply = app.get(&format!("/v1/users?cursor={}", enc(cursor)), &owner).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "bad_request"), "a {name} cursor");
    }
    let reply = app.get(&format!("/v1/accounts/{account}/members?cursor={}", enc(&from_users)), &owner).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "a user-list cursor on the members");
    let reply = app.post("/v1/users/search", Some(&owner), json!({"cursor": from_members})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "a members cursor on the search");
    // Each list takes its own.
    let next = app.get(&format!("/v1/accounts/{account}/members?limit=1&cursor={}", enc(&from_members)), &owner).await;
    assert_eq!(next.status, StatusCode::OK);
    assert_eq!(app.get(&format!("/v1/users?limit=1&cursor={}", enc(&from_users)), &owner).await.status, StatusCode::OK);
}
