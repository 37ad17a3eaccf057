//! HTTP edge cases: every refusal speaks problem+json with the right code; request ids;
//! ambiguous headers; no secret leaks. (The operations endpoints and the OpenAPI document's
//! coverage are in `operations`.)

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app};

const MIB: usize = 1024 * 1024;

/// `reply` is an RFC 9457 problem with this status and code.
#[track_caller]
fn assert_problem(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{:?}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/problem+json"), "{status}: {:?}", reply.body);
    assert_eq!(reply.code(), code, "{:?}", reply.body);
    assert_eq!(reply.body["status"], status.as_u16());
    for member in ["type", "title", "detail"] {
        assert!(reply.body[member].is_string(), "problem member {member}: {:?}", reply.body);
    }
}

/// POST raw bytes with the given Content-Type (none if `None`).
async fn post_raw(app: &TestApp, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Reply {
    let mut request = app.client.post(app.url(path)).body(body);
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    app.send(request).await
}

/// A sign-up body padded with a long name to exactly `size` bytes.
fn signup_body_of_size(size: usize) -> Vec<u8> {
    let head = format!(r#"{{"email":"big@example.com","password":"{PASSWORD}","name":""#);
    let tail = r#""}"#;
    let mut body = head.into_bytes();
    body.resize(size - tail.len(), b'x');
    body.extend_from_slice(tail.as_bytes());
    assert_eq!(body.len(), size);
    body
}

#[tokio::test]
async fn malformed_json_is_400_bad_request() {
    let app = spawn_app().await;
    let bodies: [&[u8]; 6] =
        [b"{\"email\":", b"not json", b"{\"email\":\"a@example.com\"} trailing", b"", b"{\"name\":\"\xff\"}", b"[1,2"];
    for body in bodies {
        for path in ["/v1/users", "/v1/auth/login"] {
            let reply = post_raw(&app, path, Some("application/json"), body.to_vec()).await;
            assert_problem(&reply, StatusCode::BAD_REQUEST, "bad_request");
        }
    }
}

#[tokio::test]
async fn a_json_body_without_a_json_content_type_is_415() {
    let app = spawn_app().await;
    let body = serde_json::to_vec(&json!({"email": "ada@example.com", "password": PASSWORD, "name": "Ada"})).unwrap();
    for content_type in [None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("application/jsonx")]
    {
        let reply = post_raw(&app, "/v1/users", content_type, body.clone()).await;
        assert_problem(&reply, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    }
    // Parameters and case do not matter.
    let reply = post_raw(&app, "/v1/users", Some("Application/JSON; charset=utf-8"), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
}

#[tokio::test]
async fn a_body_over_1_mib_with_content_length_is_413() {
    let app = spawn_app().await;
    let reply = post_raw(&app, "/v1/users", Some("application/json"), signup_body_of_size(MIB + 1)).await;
    assert_problem(&reply, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // The Idempotency-Key path buffers the body itself: same answer.
    let request = app
        .client
        .post(app.url("/v1/users"))
        .header(CONTENT_TYPE, "application/json")
        .header("idempotency-key", "big-1")
        .body(signup_body_of_size(MIB + 1));
    assert_problem(&app.send(request).await, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Exactly 1 MiB is within the limit: it reaches validation (the name is far too long).
    let reply = post_raw(&app, "/v1/users", Some("application/json"), signup_body_of_size(MIB)).await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(reply.fields(), ["name"]);
}

/// Send a chunked POST over a plain TCP connection (reqwest cannot stream a body without its
/// `stream` feature) and read the whole response.
async fn post_chunked(
    app: &TestApp,
    path: &str,
    body: &[u8],
    idempotency_key: Option<&str>,
) -> (StatusCode, String, Value) {
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let key = idempotency_key.map(|k| format!("Idempotency-Key: {k}\r\n")).unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n{key}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let mut request = head.into_bytes();
    for chunk in body.chunks(64 * 1024) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // The server may answer and stop reading before the body ends; that is its right.
    let _ = stream.write_all(&request).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("an HTTP response: {text:?}"));
    let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status line");
    let content_type = head
        .lines()
        .find_map(|l| {
            l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_default();
    // The answer may itself be chunked: take the JSON object inside.
    let json = rest.find('{').zip(rest.rfind('}')).map_or("null", |(a, b)| &rest[a..=b]);
    (StatusCode::from_u16(status).unwrap(), content_type, serde_json::from_str(json).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_chunked_body_over_1_mib_is_413() {
    let app = spawn_app().await;
    for key in [None, Some("chunked-1")] {
        let (status, content_type, body) = post_chunked(&app, "/v1/users", &signup_body_of_size(MIB + 1), key).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body:?}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(body["code"], "payload_too_large");
    }
    // A small chunked body is fine.
    let small =
        serde_json::to_vec(&json!({"email": "chunk@example.com", "password": PASSWORD, "name": "Chunk"})).unwrap();
    let (status, _, body) = post_chunked(&app, "/v1/users", &small, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body:?}");
}

#[tokio::test]
async fn wrong_field_types_are_422_validation_failed_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        ("/v1/users", json!({"email": 5, "password": PASSWORD, "name": "Ada"}), "email"),
        ("/v1/users", json!({"email": "ada@example.com", "password": PASSWORD, "name": ["Ada"]}), "name"),
        (
            "/v1/users",
            json!({"email": "ada@example.com", "password": PASSWORD, "name": "Ada", "account_id": "nope"}),
            "account_id",
        ),
        ("/v1/auth/login", json!({"email": "ada@example.com", "password": 12345}), "password"),
    ];
    for (path, body, field) in cases {
        let reply = app.post(path, None, body.clone()).await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(reply.fields(), [field], "{body}");
        assert_eq!(reply.body["errors"][0]["code"], "invalid_type");
        assert!(reply.body["errors"][0]["message"].is_string());
    }
    // A body that is JSON but not an object.
    let reply = app.post("/v1/users", None, json!([1, 2])).await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    let (user, token, _) = app.member("ada@example.com", "Ada").await;
    let id = user["id"].as_str().unwrap();
    let reply = app.put(&format!("/v1/users/{id}"), &token, json!({"name": 42})).await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(reply.fields(), ["name"]);
    // Query strings answer the same way.
    let reply = app.get("/v1/users?limit=many", &token).await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(reply.fields(), ["limit"]);
}

#[tokio::test]
async fn an_unknown_field_is_422_unknown_field() {
    let app = spawn_app().await;
    let reply = app
        .post(
            "/v1/users",
            None,
            json!({"email": "ada@example.com", "password": PASSWORD, "name": "Ada", "is_admin": true}),
        )
        .await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "unknown_field");
    assert_eq!(reply.fields(), ["is_admin"]);
    assert_eq!(reply.body["errors"][0]["code"], "unknown_field");
    let reply = app
        .post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": PASSWORD, "remember": true}))
        .await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "unknown_field");
    assert_eq!(reply.fields(), ["remember"]);

    // No mass assignment through the profile update either.
    let (user, token, _) = app.member("ada@example.com", "Ada").await;
    let id = user["id"].as_str().unwrap();
    for field in ["email", "password", "id", "platform_admin", "password_hash"] {
        let reply = app.put(&format!("/v1/users/{id}"), &token, json!({field: "x"})).await;
        assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "unknown_field");
        assert_eq!(reply.fields(), [field]);
    }
    // Unknown query parameters too.
    let reply = app.get("/v1/users?colour=red", &token).await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "unknown_field");
    assert_eq!(reply.fields(), ["colour"]);
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_malformed_ids_get_problems() {
    let app = spawn_app().await;
    let (_, token, _) = app.member("ada@example.com", "Ada").await;
    // `/` is the web pages' door: to the sign-in page (or the account page when signed in).
    let home = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!((home.status(), &home.headers()["location"]), (StatusCode::SEE_OTHER, &"/sign-in".parse().unwrap()));
    let reply = app.call(Method::POST, "/", None, Some(json!({}))).await;
    assert_problem(&reply, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    for path in ["/nope", "/v1", "/v1/nope", "/v1/users/profile/extra", "/v2/users"] {
        let reply = app.get(path, &token).await;
        assert_problem(&reply, StatusCode::NOT_FOUND, "not_found");
        let reply = app.call(Method::POST, path, None, Some(json!({}))).await;
        assert_problem(&reply, StatusCode::NOT_FOUND, "not_found");
    }

    for (method, path) in [
        (Method::DELETE, "/v1/users"),
        (Method::PUT, "/v1/auth/login"),
        (Method::GET, "/v1/auth/logout"),
        (Method::POST, "/healthz"),
        (Method::PATCH, "/v1/users/profile"),
    ] {
        let reply = app.call(method.clone(), path, Some(&token), None).await;
        assert_problem(&reply, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
        // RFC 9110 §15.5.6: a 405 says which methods the route does take.
        let allow = reply.header("allow").unwrap_or_else(|| panic!("{method} {path}: no Allow header"));
        assert!(!allow.contains(method.as_str()) && !allow.is_empty(), "{method} {path}: Allow {allow}");
    }

    // A malformed id names no resource: 404 like an unknown one, never 400 or 500.
    for path in [
        "/v1/users/not-a-uuid",
        "/v1/users/1234",
        "/v1/users/0190a0a0-zzzz-7000-8000-000000000000",
        "/v1/accounts/xyz",
        "/v1/users/xyz/activity",
    ] {
        let reply = app.get(path, &token).await;
        assert_problem(&reply, StatusCode::NOT_FOUND, "not_found");
    }
    let reply = app.put("/v1/users/not-a-uuid", &token, json!({"name": "X"})).await;
    assert_problem(&reply, StatusCode::NOT_FOUND, "not_found");
    let reply = app.delete("/v1/users/not-a-uuid", &token).await;
    assert_problem(&reply, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn x_request_id_is_echoed_or_generated() {
    let app = spawn_app().await;
    let with_id = |id: &str| {
        app.client.get(app.url("/healthz")).header("x-request-id", HeaderValue::from_bytes(id.as_bytes()).unwrap())
    };

    // A sane id comes back as sent, on success and on errors.
    let reply = app.send(with_id("req-123_abc.DEF:9/x")).await;
    assert_eq!(reply.header("x-request-id"), Some("req-123_abc.DEF:9/x"));
    let id128 = "a".repeat(128);
    assert_eq!(app.send(with_id(&id128)).await.header("x-request-id"), Some(id128.as_str()));
    let reply = app.send(app.client.get(app.url("/nope")).header("x-request-id", "err-1")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.header("x-request-id"), Some("err-1"));

    // None sent: a fresh UUID each time.
    let first = app.send(app.client.get(app.url("/healthz"))).await;
    let second = app.send(app.client.get(app.url("/healthz"))).await;
    let generated =
        |reply: &Reply| reply.header("x-request-id").map(|v| uuid::Uuid::parse_str(v).expect("a UUID")).expect("an id");
    assert_ne!(generated(&first), generated(&second));

    // Spaces, control characters, non-ASCII bytes or more than 128 characters: replaced.
    let too_long = "b".repeat(129);
    for bad in ["two words", "tab\there", "caf\u{e9}", too_long.as_str(), " "] {
        let header = HeaderValue::from_bytes(bad.as_bytes()).unwrap();
        let reply = app.send(app.client.get(app.url("/healthz")).header("x-request-id", header)).await;
        let echoed = reply.header("x-request-id").expect("an id on every response");
        assert_ne!(echoed, bad);
        uuid::Uuid::parse_str(echoed).unwrap_or_else(|_| panic!("{bad:?} was replaced by a UUID, not {echoed:?}"));
    }
    let raw = HeaderValue::from_bytes(b"caf\xe9").unwrap();
    let reply = app.send(app.client.get(app.url("/healthz")).header("x-request-id", raw)).await;
    uuid::Uuid::parse_str(reply.header("x-request-id").unwrap()).expect("obs-text replaced by a UUID");
}

#[tokio::test]
async fn no_response_ever_carries_a_password_hash() {
    let app = spawn_app().await;
    let mut replies = Vec::new();
    let signup = json!({"email": "ada@example.com", "password": PASSWORD, "name": "Ada"});
    replies.push(app.post("/v1/users", None, signup.clone()).await);
    let id = replies[0].body["id"].as_str().unwrap().to_owned();
    replies.push(app.post("/v1/users", None, signup).await);
    replies
        .push(app.post("/v1/users", None, json!({"email": "b@example.com", "password": "short", "name": "B"})).await);
    replies.push(
        app.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": "wrong password, really"}))
            .await,
    );
    let token = app.login("ada@example.com").await;
    let profile = app.get("/v1/users/profile", &token).await;
    let account = profile.body["active_account_id"].as_str().unwrap().to_owned();
    replies.push(profile);
    let other =
        app.post("/v1/users", Some(&token), json!({"email": "c@example.com", "password": PASSWORD, "name": "C"})).await;
    replies.push(other);
    replies.push(app.post("/v1/users", Some(&token), json!({"email": "invitee@example.com", "name": "Invitee"})).await);
    for path in [
        format!("/v1/users/{id}"),
        "/v1/users?include_total=true".to_owned(),
        "/v1/users?status=invited".to_owned(),
        format!("/v1/users/{id}/activity"),
        "/v1/accounts".to_owned(),
        format!("/v1/accounts/{account}"),
        "/openapi.json".to_owned(),
    ] {
        replies.push(app.get(&path, &token).await);
    }
    replies.push(app.post("/v1/users/search", Some(&token), json!({"query": "ada"})).await);
    replies.push(app.put(&format!("/v1/users/{id}"), &token, json!({"name": "Ada L."})).await);
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();

    for reply in &replies {
        let text = format!("{:?} {}", reply.headers, reply.body);
        for secret in ["password_hash", "$argon2", PASSWORD] {
            assert!(!text.contains(secret), "{secret} in a response: {text}");
        }
    }
    assert!(!metrics.contains("$argon2"));
}

#[tokio::test]
async fn a_request_with_two_authorization_headers_is_refused_as_ambiguous() {
    let app = spawn_app().await;
    let (_, token, _) = app.member("ada@example.com", "Ada").await;
    let bearer = format!("Bearer {token}");
    for pair in [[bearer.as_str(), "Bearer junk"], ["Bearer junk", bearer.as_str()], [bearer.as_str(), bearer.as_str()]]
    {
        let request = app
            .client
            .get(app.url("/v1/users/profile"))
            .header("authorization", pair[0])
            .header("authorization", pair[1]);
        let reply = app.send(request).await;
        assert_problem(&reply, StatusCode::BAD_REQUEST, "bad_request");
        assert!(reply.body["detail"].as_str().unwrap().contains("authorization"), "{:?}", reply.body);
    }
    // On an anonymous endpoint too: nothing is created.
    let request = app
        .client
        .post(app.url("/v1/users"))
        .header("authorization", bearer.as_str())
        .header("authorization", "Bearer junk")
        .json(&json!({"email": "bob@example.com", "password": PASSWORD, "name": "Bob"}));
    assert_problem(&app.send(request).await, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(app.count("users").await, 1);
    // Two X-Account-Id are as ambiguous.
    let request = app
        .client
        .get(app.url("/v1/users/profile"))
        .bearer_auth(&token)
        .header("x-account-id", uuid::Uuid::now_v7().to_string())
        .header("x-account-id", uuid::Uuid::now_v7().to_string());
    assert_problem(&app.send(request).await, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(app.get("/v1/users/profile", &token).await.status, StatusCode::OK, "one header is fine");
}
