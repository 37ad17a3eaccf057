//! The last pass over the generated document, so that it says exactly what the server does for
//! the things every operation shares — rules that would otherwise be repeated (and forgotten) in
//! each handler's annotation:
//!
//! - security per operation: a bearer token everywhere except the public operations, and an
//!   optional one for `POST /v1/users` (sign-up or creation by a member);
//! - the headers every operation reads: `X-Account-Id` where a token is taken, `Idempotency-Key`
//!   on every POST;
//! - the statuses the shared layers answer: 400/408/413/415/422 for a JSON body, 401 for a token,
//!   400/404 for `X-Account-Id`, 404 for a path id, 422 for query parameters, 400 for a cursor,
//!   431 for an oversized head, 503 (with `Retry-After`) wherever the database is used;
//! - every error as `application/problem+json` with the `Problem` schema and an example;
//! - a description on every response, and an example request and response (see `examples`).

use serde_json::{Map, Value, json};

use super::examples;
use crate::token_free::{OPTIONAL_TOKEN, PUBLIC};

/// Operations that never touch the database.
const NO_DATABASE: [(&str, &str); 2] = [("get", "/healthz"), ("get", "/metrics")];

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Response members that are left out rather than sent as `null`: every other member of a
/// response schema is always present, so the document says `required`.
const OMITTED_WHEN_EMPTY: [(&str, &str); 3] = [("Page", "total"), ("Page", "total_exact"), ("Problem", "errors")];

/// What the document says that depends on this server's configuration.
#[derive(Clone, Copy)]
pub struct Facts {
    /// `ROSTER_PASSWORD_MIN_LENGTH`: the `minLength` of passwords that are set.
    pub password_min_length: usize,
}

/// No text a client sends may hold a NUL character: PostgreSQL cannot store one, so both engines
/// refuse it (422) at the door.
const NO_NUL: &str = "^[^\\u0000]*$";

/// Apply the shared rules to `doc` (an OpenAPI 3.1 document as JSON).
pub fn finish(doc: &mut Value, facts: &Facts) {
    if let Some(root) = doc.as_object_mut() {
        root.remove("security");
    }
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for (name, schema) in schemas.iter_mut() {
            if is_response_schema(name) {
                require_every_member(name, schema);
            } else if schema["additionalProperties"] == false {
                // A request body: its texts refuse NUL.
                if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
                    properties.values_mut().for_each(refuse_nul);
                }
            }
        }
        let password = "/components/schemas/CreateUser/properties/password";
        if let Some(password) = doc.pointer_mut(password).and_then(Value::as_object_mut) {
            password.insert("minLength".into(), json!(facts.password_min_length));
        }
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            if let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) {
                operation_rules(method, path, operation);
            }
        }
    }
}

fn operation_rules(method: &str, path: &str, op: &mut Map<String, Value>) {
    let key = (method, path);
    let token = if PUBLIC.contains(&key) {
        Token::None
    } else if OPTIONAL_TOKEN.contains(&key) {
        Token::Optional
    } else {
        Token::Required
    };
    op.insert(
        "security".into(),
        match token {
            Token::None => json!([]),
            Token::Optional => json!([{}, {"bearer": []}]),
            Token::Required => json!([{"bearer": []}]),
        },
    );
    tidy_summary(op);

    let parameters = op.entry("parameters").or_insert_with(|| json!([]));
    if let Some(list) = parameters.as_array_mut() {
        for parameter in list.iter_mut().filter(|p| p["in"] != "path") {
            if let Some(schema) = parameter.get_mut("schema") {
                refuse_nul(schema);
            }
        }
    }
    let in_path = has_parameter(parameters, "path");
    let in_query = has_parameter(parameters, "query");
    let named = |name: &str| parameters.as_array().is_some_and(|ps| ps.iter().any(|p| p["name"] == name));
    let cursor = named("cursor");
    let account_in_query = named("account_id");
    if let Some(list) = parameters.as_array_mut() {
        if token == Token::Required {
            list.push(json!({
                "name": "X-Account-Id", "in": "header", "required": false,
                "description": "Act in another account the caller belongs to (default: the session's active account). Not an account of the caller → 404.",
                "schema": {"type": "string", "format": "uuid"}
            }));
        }
        if method == "post" {
            list.push(json!({
                "name": "Idempotency-Key", "in": "header", "required": false,
                "description": "Optional: 1–255 visible ASCII characters; a new UUID for each request you may retry. The first response is stored for 24 h per caller (the signed-in user, or the client address when anonymous) and replayed, with `Idempotent-Replayed: true`, to a retry of the same request; the same key with another method, path or body → 422 `idempotency_key_reused`. Responses that carry a token, 5xx, 429, and the 401 of a request without the token its route needs are never stored. Generated test traffic must send a fresh key with every request.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"}
            }));
        }
        if list.is_empty() {
            op.remove("parameters");
        }
    }
    let body = op.get("requestBody").is_some();

    let mut add: Vec<(u16, &str)> = vec![(431, "headers_too_large")];
    if body {
        add.extend([
            (400, "bad_request"),
            (408, "request_timeout"),
            (413, "payload_too_large"),
            (415, "unsupported_media_type"),
            (422, "validation_failed"),
        ]);
    }
    if token != Token::None {
        add.push((401, "unauthenticated"));
    }
    if token == Token::Required {
        add.extend([(400, "bad_request"), (404, "not_found")]);
    }
    if in_path {
        add.push((404, "not_found"));
    }
    if in_query {
        add.push((422, "validation_failed"));
    }
    if cursor {
        add.push((400, "bad_request"));
    }
    if account_in_query {
        add.push((404, "not_found"));
    }
    if method == "post" {
        add.extend([(400, "bad_request"), (422, "idempotency_key_reused")]);
    }
    if !NO_DATABASE.contains(&key) {
        add.push((503, "unavailable"));
    }
    if path.starts_with("/v1/") {
        // `ROSTER_RATE_LIMIT_ANON`: requests without a bearer token, per client address — on
        // every route, the ones that need a token too (called without one, they count).
        add.push((429, "rate_limited"));
    }
    let responses = op.entry("responses").or_insert_with(|| json!({}));
    let Some(responses) = responses.as_object_mut() else { return };
    for (status, code) in add {
        responses.entry(status.to_string()).or_insert_with(|| json!({"x-code": code}));
    }
    let operation_id = op.get("operationId").and_then(Value::as_str).unwrap_or("").to_owned();
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { return };
    for (status, response) in responses.iter_mut() {
        let status: u16 = status.parse().unwrap_or(0);
        let Some(response) = response.as_object_mut() else { continue };
        if status >= 400 {
            problem_response(status, response, token != Token::None);
        } else {
            success_response(status, &operation_id, response);
        }
    }
    if let Some(content) = op
        .get_mut("requestBody")
        .and_then(|b| b.get_mut("content"))
        .and_then(|c| c.get_mut("application/json"))
        .and_then(Value::as_object_mut)
        && let Some(example) = examples::request(&operation_id)
    {
        content.insert("example".into(), example);
    }
}

/// Schemas of response bodies, by the naming convention of `views` and the routes.
fn is_response_schema(name: &str) -> bool {
    name.ends_with("View") || name.starts_with("Page") || matches!(name, "Problem" | "Health" | "LoginResponse")
}

fn require_every_member(name: &str, schema: &mut Value) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
    let base = name.split('_').next().unwrap_or(name);
    let required: Vec<Value> = properties
        .keys()
        .filter(|member| !OMITTED_WHEN_EMPTY.contains(&(base, member.as_str())))
        .map(|member| Value::String(member.clone()))
        .collect();
    if let Some(schema) = schema.as_object_mut() {
        schema.insert("required".into(), Value::Array(required));
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Token {
    None,
    Optional,
    Required,
}

fn has_parameter(parameters: &Value, place: &str) -> bool {
    parameters.as_array().is_some_and(|ps| ps.iter().any(|p| p["in"] == place))
}

/// utoipa takes the doc comment's first paragraph as the summary; keep it to one line and move
/// anything after its first sentence into the description.
fn tidy_summary(op: &mut Map<String, Value>) {
    let Some(summary) = op.get("summary").and_then(Value::as_str) else { return };
    let flat = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    let (first, rest) = match flat.split_once(". ") {
        Some((first, rest)) => (format!("{first}."), rest.to_owned()),
        None => (flat, String::new()),
    };
    op.insert("summary".into(), Value::String(first));
    if !rest.is_empty() {
        let description = match op.get("description").and_then(Value::as_str) {
            Some(more) => format!("{rest}\n\n{more}"),
            None => rest,
        };
        op.insert("description".into(), Value::String(description));
    }
}

/// A plain string schema (not an enum, a format or a pattern already) gets [`NO_NUL`].
fn refuse_nul(schema: &mut Value) {
    let Some(schema) = schema.as_object_mut() else { return };
    let text = match &schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
        _ => false,
    };
    if text && !schema.contains_key("pattern") && !schema.contains_key("format") && !schema.contains_key("enum") {
        schema.insert("pattern".into(), Value::String(NO_NUL.to_owned()));
    }
}

/// `token`: whether the operation takes a bearer token (its 401 then carries `WWW-Authenticate`;
/// login's 401 is `invalid_credentials`, which does not).
fn problem_response(status: u16, response: &mut Map<String, Value>, token: bool) {
    let code = response
        .remove("x-code")
        .and_then(|c| c.as_str().map(str::to_owned))
        .or_else(|| response.get("description").and_then(Value::as_str).filter(|d| is_code(d)).map(str::to_owned))
        .unwrap_or_else(|| default_code(status).to_owned());
    let description = response
        .get("description")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty() && !is_code(d))
        .map_or_else(|| default_description(status).to_owned(), str::to_owned);
    response.insert("description".into(), Value::String(description));
    response.insert(
        "content".into(),
        json!({"application/problem+json": {
            "schema": {"$ref": "#/components/schemas/Problem"},
            "example": examples::problem(status, &code),
        }}),
    );
    let headers = response.entry("headers").or_insert_with(|| json!({}));
    if let Some(headers) = headers.as_object_mut() {
        if status == 503 || status == 429 {
            headers.insert(
                "Retry-After".into(),
                json!({"description": "Seconds to wait before retrying.", "required": true, "schema": {"type": "integer", "minimum": 0}}),
            );
        }
        if status == 401 && token {
            headers.insert(
                "WWW-Authenticate".into(),
                json!({"description": "`Bearer`", "required": true, "schema": {"type": "string", "const": "Bearer"}}),
            );
        }
        if headers.is_empty() {
            response.remove("headers");
        }
    }
}

fn success_response(status: u16, operation_id: &str, response: &mut Map<String, Value>) {
    let missing = response.get("description").and_then(Value::as_str).is_none_or(str::is_empty);
    if missing {
        let description = match status {
            201 => "Created",
            202 => "Accepted",
            204 => "No content",
            _ => "OK",
        };
        response.insert("description".into(), Value::String(description.into()));
    }
    if let Some(content) =
        response.get_mut("content").and_then(|c| c.get_mut("application/json")).and_then(Value::as_object_mut)
        && let Some(example) = examples::response(operation_id, status)
    {
        content.insert("example".into(), example);
    }
}

/// A description that is only a machine code (`email_taken`), as the annotations write them.
fn is_code(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

fn default_code(status: u16) -> &'static str {
    match status {
        400 => "bad_request",
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        408 => "request_timeout",
        409 => "conflict",
        412 => "precondition_failed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        429 => "rate_limited",
        431 => "headers_too_large",
        503 => "unavailable",
        _ => "internal",
    }
}

fn default_description(status: u16) -> &'static str {
    match status {
        400 => {
            "Malformed request: the body is not JSON, a cursor or header is invalid (`bad_request`), or a token is invalid (`invalid_token`)."
        }
        401 => "No valid bearer token (`unauthenticated`) or wrong credentials (`invalid_credentials`).",
        403 => "Visible, but the caller may not do this (`forbidden`, `account_suspended`).",
        404 => "No such resource, or one the caller may not see (`not_found`).",
        408 => "The request body did not arrive in time (`request_timeout`).",
        409 => "Conflicts with the current state (`conflict`, `email_taken`, `last_owner`).",
        412 => "`If-Match` does not match the current `ETag` (`precondition_failed`).",
        413 => "The body is over 1 MiB (`payload_too_large`).",
        415 => "The body is not sent as `application/json` (`unsupported_media_type`).",
        422 => {
            "Invalid or unknown fields or parameters (`validation_failed`, `unknown_field`), or an `Idempotency-Key` reused with another request (`idempotency_key_reused`)."
        }
        429 => "Too many requests (`rate_limited`, `too_many_attempts`).",
        431 => "The request head is over 16 KiB or 100 headers (`headers_too_large`).",
        503 => "The database is unreachable or not migrated (`unavailable`); retry after `Retry-After` seconds.",
        _ => "Error.",
    }
}
