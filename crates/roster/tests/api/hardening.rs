//! Defects found from outside (issue 7), each pinned: bodies that are not JSON objects, slow and
//! stalled clients, oversized heads, a database that vanishes or was never migrated, unclear
//! start-up errors, user-supplied URLs.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{PASSWORD, Reply, TestApp, TestDb, spawn_app, spawn_app_with};
use crate::process::{Server, free_port, roster};

#[track_caller]
fn assert_problem(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{:?}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/problem+json"), "{:?}", reply.body);
    assert_eq!(reply.code(), code, "{:?}", reply.body);
}

async fn post_text(app: &TestApp, path: &str, token: Option<&str>, body: &str) -> Reply {
    let mut request = app.client.post(app.url(path)).header("content-type", "application/json").body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    app.send(request).await
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_422_and_names_no_rust_type() {
    let app = spawn_app().await;
    let (user, token, _) = app.member("ada@example.com", "Ada").await;
    let id = user["id"].as_str().unwrap();
    let array_signup = format!(r#"["arr@x.test","{PASSWORD}","Array Person",null,null,null,null,null,null,null,null]"#);
    let array_login = format!(r#"["ada@example.com","{PASSWORD}",null]"#);
    let cases: Vec<(&str, String, Option<&str>)> = vec![
        ("/v1/users", array_signup, None),
        ("/v1/auth/login", array_login, None),
        ("/v1/users/search", r#"["ada"]"#.into(), Some(&token)),
        ("/v1/auth/verify-email", r#""token""#.into(), None),
        ("/v1/users", "42".into(), None),
        ("/v1/users", "null".into(), None),
    ];
    for (path, body, token) in cases {
        let reply = post_text(&app, path, token, &body).await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(reply.body["detail"], "the body must be a JSON object", "{path} {body}");
    }
    let reply = app
        .send(
            app.client
                .put(app.url(&format!("/v1/users/{id}")))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(r#"["Renamed"]"#),
        )
        .await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(app.get(&format!("/v1/users/{id}"), &token).await.body["name"], "Ada");
    // Nested: `filters` is an object, never a positional array.
    let reply = post_text(&app, "/v1/users/search", Some(&token), r#"{"filters": ["active"]}"#).await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(reply.fields(), ["filters"]);
    let reply = post_text(&app, "/v1/users/search", Some(&token), r#"{"filters": "active", "limit": "x"}"#).await;
    let text = reply.body.to_string();
    for rust in ["struct", "UserFilters", "SearchUsers", "u32", "Option"] {
        assert!(!text.contains(rust), "{rust} in {text}");
    }
    // No user was made from the array.
    let reply = app.post("/v1/auth/login", None, json!({"email": "arr@x.test", "password": PASSWORD})).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

fn host(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

/// Read until the server closes the connection (or `limit` passes): what it sent.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return Some(String::from_utf8_lossy(&seen).into_owned()),
            Ok(Ok(n)) => seen.extend_from_slice(&buffer[..n]),
            Err(_) => return None,
        }
    }
}

fn short_limits(options: &mut crate::helpers::Options) {
    options.limits.head_timeout = Duration::from_millis(600);
    options.limits.body_timeout = Duration::from_millis(600);
}

#[tokio::test]
async fn clients_that_stall_mid_head_are_cut_off_while_others_are_served() {
    let app = spawn_app_with(short_limits).await;
    let mut stalled = Vec::new();
    for _ in 0..50 {
        let mut stream = TcpStream::connect(host(&app)).await.unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        stalled.push(stream);
    }
    let started = Instant::now();
    let reply = app.send(app.client.get(app.url("/healthz"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(started.elapsed() < Duration::from_millis(500), "served after {:?}", started.elapsed());
    for stream in &mut stalled {
        let answer = read_until_closed(stream, Duration::from_secs(5)).await;
        assert!(answer.is_some(), "a stalled connection was still open after the head timeout");
    }
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_head_timeout() {
    let app = spawn_app_with(short_limits).await;
    let mut stream = TcpStream::connect(host(&app)).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buffer = [0u8; 1024];
    let n = stream.read(&mut buffer).await.unwrap();
    assert!(String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 200"));
    let started = Instant::now();
    let rest = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert_eq!(rest.as_deref(), Some(""), "closed without another word");
    assert!(started.elapsed() >= Duration::from_millis(400), "closed too early: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_408_and_the_connection_closed() {
    let app = spawn_app_with(short_limits).await;
    for (path, key) in [("/v1/users", ""), ("/v1/users", "Idempotency-Key: k1\r\n")] {
        let mut stream = TcpStream::connect(host(&app)).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{key}Content-Length: 200\r\n\r\n{{\"email\":"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let answer = read_until_closed(&mut stream, Duration::from_secs(5)).await.expect("answered and closed");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("application/problem+json") && answer.contains("request_timeout"), "{answer}");
    }
}

#[tokio::test]
async fn heads_over_16_kib_or_100_headers_are_431_problems() {
    let app = spawn_app().await;
    let reply = app.send(app.client.get(app.url("/healthz")).header("x-big", "a".repeat(17 * 1024))).await;
    assert_problem(&reply, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large");
    let mut request = app.client.get(app.url("/healthz"));
    for n in 0..101 {
        request = request.header(format!("x-h{n}"), "1");
    }
    assert_problem(&app.send(request).await, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large");
    // Under the limits: served.
    let reply = app.send(app.client.get(app.url("/healthz")).header("x-big", "a".repeat(15 * 1024))).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn a_huge_head_is_refused_without_being_read_whole() {
    let app = spawn_app().await;
    let mut stream = TcpStream::connect(host(&app)).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ").await.unwrap();
    // Past 32 KiB hyper stops reading; writing 600 KiB more must fail or be ignored, not served.
    let filler = vec![b'a'; 8 * 1024];
    let mut written = 0;
    while written < 600 * 1024 {
        match tokio::time::timeout(Duration::from_secs(2), stream.write_all(&filler)).await {
            Ok(Ok(())) => written += filler.len(),
            _ => break,
        }
    }
    let answer = read_until_closed(&mut stream, Duration::from_secs(5)).await.unwrap_or_default();
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 431"), "{answer}");
}

#[tokio::test]
async fn a_database_without_roster_tables_answers_503_with_retry_after_and_readyz_says_so() {
    let app = spawn_app().await;
    let (_, token, _) = app.member("ada@example.com", "Ada").await;
    assert_eq!(app.send(app.client.get(app.url("/readyz"))).await.status, StatusCode::OK);
    app.sql(
        "PRAGMA foreign_keys = OFF; DROP TABLE sessions; DROP TABLE _sqlx_migrations;",
        &["DROP TABLE sessions CASCADE", "DROP TABLE _sqlx_migrations"],
    )
    .await;
    let reply = app.get("/v1/users/profile", &token).await;
    assert_problem(&reply, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert_eq!(reply.header("retry-after"), Some("5"));
    let reply = app.send(app.client.get(app.url("/readyz"))).await;
    assert_problem(&reply, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert_eq!(reply.header("retry-after"), Some("5"));
}

#[tokio::test]
async fn readyz_is_503_while_a_migration_is_missing() {
    let app = spawn_app().await;
    app.sql(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
        &["DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)"],
    )
    .await;
    let reply = app.send(app.client.get(app.url("/readyz"))).await;
    assert_problem(&reply, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}

#[tokio::test]
async fn a_postgres_database_dropped_under_a_running_instance_gives_503_not_500() {
    let app = spawn_app().await;
    let Some((admin, name)) = app.db.postgres() else { return };
    let (_, token, _) = app.member("ada@example.com", "Ada").await;
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(admin).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)"))).execute(&mut conn).await.unwrap();
    for path in ["/v1/users/profile", "/v1/users"] {
        let reply = app.get(path, &token).await;
        assert_problem(&reply, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
        assert!(reply.header("retry-after").is_some());
    }
    let reply = app.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": PASSWORD})).await;
    assert_problem(&reply, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert_problem(&app.send(app.client.get(app.url("/readyz"))).await, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}

#[test]
fn start_up_says_at_once_why_postgres_cannot_be_reached_and_never_the_password() {
    let db = TestDb::new_blocking();
    let port = free_port();
    let url = format!("postgres://postgres:hunter2-very-secret@127.0.0.1:{port}/postgres");
    let started = Instant::now();
    let output = roster(&db, &[("ROSTER_DATABASE_URL", &url)]).arg("serve").output().unwrap();
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");
    assert!(stderr.contains(&format!("cannot connect to PostgreSQL at 127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn start_up_names_a_missing_postgres_database() {
    let db = TestDb::new_blocking();
    let Some((admin, _)) = db.postgres() else { return };
    let base = admin.rsplit_once('/').map_or(admin, |(base, _)| base);
    let url = format!("{base}/roster_no_such_database");
    let output = roster(&db, &[("ROSTER_DATABASE_URL", &url)]).arg("serve").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("no such database"), "{stderr}");
}

#[tokio::test]
async fn sigterm_closes_stalled_connections_by_the_shutdown_deadline() {
    let db = TestDb::new().await;
    let mut server = Server::serve(&db, &[("ROSTER_SHUTDOWN_TIMEOUT", "2s")]).await;
    // One client stalls in its head, another in its body (a request in flight).
    let mut head = TcpStream::connect(server.address()).await.unwrap();
    head.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut body = TcpStream::connect(server.address()).await.unwrap();
    body.write_all(
        b"POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    server.process.sigterm();
    let status = server.process.exited(Duration::from_secs(8)).await;
    assert!(status.success(), "{status}; log:\n{}", server.log());
    assert!(started.elapsed() < Duration::from_secs(5), "exited after {:?}", started.elapsed());
}

#[tokio::test]
async fn a_profile_image_with_user_info_is_refused() {
    let app = spawn_app().await;
    let (user, token, _) = app.member("ada@example.com", "Ada").await;
    let path = format!("/v1/users/{}", user["id"].as_str().unwrap());
    for image in ["http://a@b@evil.test/", "https://user:pw@example.com/x.png", "https:///nohost", "ftp://x.test/"] {
        let reply = app.put(&path, &token, json!({"image": image})).await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(reply.fields(), ["image"], "{image}");
    }
    let long = format!("https://example.com/{}", "a".repeat(2048));
    let reply = app.put(&path, &token, json!({"image": long})).await;
    assert_eq!(reply.body["errors"][0]["code"], "too_long");
    let reply = app.put(&path, &token, json!({"image": "https://CDN.example.com/a.png"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["image"], Value::from("https://cdn.example.com/a.png"));
}

#[tokio::test]
async fn a_whole_number_written_as_a_float_is_a_valid_limit() {
    let app = spawn_app().await;
    let (_, token, _) = app.member("ada@example.com", "Ada").await;
    let reply = app.post("/v1/users/search", Some(&token), json!({"limit": 7.0})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let reply = app.post("/v1/users/search", Some(&token), json!({"limit": 7.5})).await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(reply.fields(), ["limit"]);
}
