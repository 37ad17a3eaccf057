//! The document says what the server does: these hold for every operation, so a route added
//! later is held to them too.

use serde_json::Value;

use super::{api_router, document};

fn doc() -> Value {
    let (_, spec) = super::lazy::documented(api_router).split_for_parts();
    document(&spec, &super::Facts { password_min_length: 15 })
}

/// Every operation: (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            all.push((method.clone(), path.clone(), op.clone()));
        }
    }
    assert!(all.len() > 10, "{} operations", all.len());
    all
}

fn enum_of(doc: &Value, schema: &str) -> Vec<String> {
    doc["components"]["schemas"][schema]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{schema} is not an enum"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_operation_has_an_id_a_one_line_summary_and_declared_security() {
    let doc = doc();
    assert!(doc.get("security").is_none(), "no global security requirement");
    let mut ids = std::collections::BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path}: no operationId"));
        assert!(ids.insert(id.to_owned()), "{id} twice");
        let summary = op["summary"].as_str().unwrap_or_else(|| panic!("{method} {path}: no summary"));
        assert!(!summary.contains('\n') && summary.len() <= 120, "{method} {path}: {summary:?}");
        assert!(op["security"].is_array(), "{method} {path}: no security");
    }
}

#[test]
fn public_operations_need_no_token_and_sign_up_takes_one_optionally() {
    let doc = doc();
    for (method, path) in [
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
        ("post", "/v1/auth/login"),
        ("post", "/v1/auth/verify-email"),
    ] {
        assert_eq!(doc["paths"][path][method]["security"], serde_json::json!([]), "{method} {path}");
        let answers_401 = doc["paths"][path][method]["responses"].get("401").is_some();
        assert_eq!(answers_401, path == "/v1/auth/login", "{method} {path}: only login answers 401");
    }
    assert_eq!(doc["paths"]["/v1/users"]["post"]["security"], serde_json::json!([{}, {"bearer": []}]));
    assert_eq!(doc["paths"]["/v1/users/profile"]["get"]["security"], serde_json::json!([{"bearer": []}]));
}

#[test]
fn every_error_is_problem_json_and_every_response_is_described() {
    let doc = doc();
    for (method, path, op) in operations(&doc) {
        for (status, response) in op["responses"].as_object().unwrap() {
            assert!(response["description"].as_str().is_some_and(|d| !d.is_empty()), "{method} {path} {status}");
            if status.starts_with('4') || status.starts_with('5') {
                let content = response["content"].as_object().unwrap();
                assert_eq!(
                    content.keys().collect::<Vec<_>>(),
                    ["application/problem+json"],
                    "{method} {path} {status}"
                );
                let media = &content["application/problem+json"];
                assert_eq!(media["schema"]["$ref"], "#/components/schemas/Problem");
                assert_eq!(media["example"]["status"].as_u64(), status.parse::<u64>().ok());
            }
        }
    }
}

#[test]
fn shared_statuses_are_listed_where_their_layer_can_answer() {
    let doc = doc();
    for (method, path, op) in operations(&doc) {
        let has = |status: &str| op["responses"].get(status).is_some();
        let token = op["security"] != serde_json::json!([]);
        if op.get("requestBody").is_some() {
            for status in ["400", "408", "413", "415", "422"] {
                assert!(has(status), "{method} {path}: JSON body but no {status}");
            }
        }
        if token {
            assert!(has("401"), "{method} {path}: token but no 401");
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        if params.iter().any(|p| p["in"] == "path") {
            assert!(has("404"), "{method} {path}: path id but no 404");
        }
        if params.iter().any(|p| p["in"] == "query") {
            assert!(has("422"), "{method} {path}: query but no 422");
        }
        if path != "/healthz" && path != "/metrics" {
            assert!(has("503"), "{method} {path}: no 503");
            assert!(op["responses"]["503"]["headers"]["Retry-After"]["required"] == true);
        }
        if method == "post" {
            assert!(params.iter().any(|p| p["name"] == "Idempotency-Key"), "{method} {path}");
        }
        if path.starts_with("/v1/") {
            // The per-address limit of requests without a token answers any of them.
            assert!(has("429"), "{method} {path}: no 429");
        }
    }
}

#[test]
fn every_operation_has_an_example_request_and_response() {
    let doc = doc();
    for (method, path, op) in operations(&doc) {
        if let Some(body) = op.get("requestBody") {
            assert!(
                body["content"]["application/json"].get("example").is_some(),
                "{method} {path}: no request example"
            );
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            if let Some(media) = response["content"].get("application/json") {
                assert!(media.get("example").is_some(), "{method} {path} {status}: no response example");
            }
        }
    }
}

#[test]
fn enums_in_the_document_are_the_words_the_domain_parses() {
    let doc = doc();
    let roles = enum_of(&doc, "Role");
    assert_eq!(roles, roster_domain::role::Role::ALL.map(roster_core::openapi::Role::as_str));
    let statuses = enum_of(&doc, "UserStatus");
    assert_eq!(statuses, roster_domain::user::UserStatus::ALL.map(roster_core::openapi::UserStatus::as_str));
    for sort in enum_of(&doc, "UserSort") {
        assert!(roster_store::user_list::SortKey::parse(sort.trim_start_matches('-')).is_some(), "{sort}");
    }
    assert_eq!(enum_of(&doc, "UserSort").len(), 8);
    assert_eq!(enum_of(&doc, "QueueName"), roster_core::jobs::Queue::ALL.map(roster_core::jobs::Queue::as_str));
    assert_eq!(enum_of(&doc, "JobStatus"), roster_core::jobs::JobStatus::ALL.map(roster_core::jobs::JobStatus::as_str));
    assert_eq!(
        enum_of(&doc, "PhoneLabel"),
        roster_core::openapi::PhoneLabel::ALL.map(roster_core::openapi::PhoneLabel::as_str)
    );
    assert_eq!(
        enum_of(&doc, "Action"),
        roster_domain::activity::Action::ALL.map(roster_domain::activity::Action::as_str)
    );
    assert_eq!(
        enum_of(&doc, "AttemptReason"),
        roster_domain::login::AttemptReason::ALL.map(roster_domain::login::AttemptReason::as_str)
    );
    assert_eq!(
        enum_of(&doc, "AccountStatus"),
        roster_domain::user::AccountStatus::ALL.map(roster_domain::user::AccountStatus::as_str)
    );
}

#[test]
fn request_bodies_refuse_unknown_members_and_responses_require_theirs() {
    let doc = doc();
    for name in ["CreateUser", "UpdateUser", "SearchUsers", "UserFilters", "LoginRequest", "VerifyEmailRequest"] {
        assert_eq!(doc["components"]["schemas"][name]["additionalProperties"], false, "{name}");
    }
    let user = &doc["components"]["schemas"]["UserView"];
    assert_eq!(user["required"].as_array().unwrap().len(), user["properties"].as_object().unwrap().len());
    let create = &doc["components"]["schemas"]["CreateUser"];
    assert_eq!(create["required"], serde_json::json!(["email", "name"]));
    assert_eq!(create["properties"]["email"]["type"], "string");
    assert_eq!(create["properties"]["password"]["minLength"], 15, "the configured policy");
    assert_eq!(create["properties"]["name"]["pattern"], "^[^\\u0000]*$", "texts refuse NUL");
}
