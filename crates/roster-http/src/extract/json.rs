//! `Json<T>`: axum's JSON extractor, speaking problem+json: 415 without a JSON content type,
//! 413 over the body limit, 408 when it does not arrive in time, 400 for malformed JSON, 422 for wrong types or unknown fields.

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use roster_domain::FieldError;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Code};

pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(Code::UnsupportedMediaType, "send the body as Content-Type: application/json"));
        }
        let bytes = super::body::read_body(req.into_body()).await?;
        parse(&bytes).map(Json)
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Deserialize `bytes`, naming the field at fault.
///
/// Well-formedness is checked first, over the whole body: a body that is not JSON (not UTF-8,
/// cut short, trailing garbage) is a 400 even when a typed parse would have stopped earlier at
/// a field problem (422) — e.g. `[1,2` or `{"email":"a"} trailing`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ApiError::new(Code::BadRequest, format!("the body is not UTF-8: {e}")))?;
    let document: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ApiError::new(Code::BadRequest, format!("the body is not valid JSON: {e}")))?;
    if let Some(field) = nul_at(&document, String::new()) {
        return Err(ApiError::validation(vec![FieldError::new(field, "invalid_characters", NUL_MESSAGE)]));
    }
    // serde would read a struct from an array by position (see `roster_domain::json`).
    if !document.is_object() {
        return Err(ApiError::validation(vec![FieldError::new("", "invalid_type", NOT_AN_OBJECT)]));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => ApiError::validation(vec![field_error(&path, &inner.to_string())]),
            _ => ApiError::new(Code::BadRequest, format!("the body is not valid JSON: {inner}")),
        }
    })?;
    de.end().map_err(|e| ApiError::new(Code::BadRequest, format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

pub(crate) const NUL_MESSAGE: &str = "must not contain NUL characters";
const NOT_AN_OBJECT: &str = "the body must be a JSON object";

/// The dotted path of the first string (key or value) holding a NUL character: no text column
/// of PostgreSQL can store one, so it is refused at the door on both engines alike.
fn nul_at(value: &serde_json::Value, path: String) -> Option<String> {
    let join = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(path),
        serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| nul_at(v, join(&i.to_string()))),
        serde_json::Value::Object(map) => map
            .iter()
            .find_map(|(k, v)| if k.contains('\0') { Some(join(&k.replace('\0', ""))) } else { nul_at(v, join(k)) }),
        _ => None,
    }
}

/// Turn a serde message into a field problem. serde's wording is stable: "unknown field `x`,
/// expected …", "missing field `x`", "invalid type: …".
pub(crate) fn field_error(path: &str, message: &str) -> FieldError {
    let message = message.split(" at line ").next().unwrap_or(message);
    let named = |prefix: &str| {
        message.strip_prefix(prefix).and_then(|rest| rest.split('`').next()).map(|name| join(path, name))
    };
    if let Some(field) = named("unknown field `") {
        return FieldError::new(field, "unknown_field", "is not a field of this request");
    }
    if let Some(field) = named("missing field `") {
        return FieldError::new(field, "required", "is required");
    }
    let field = if path == "." { String::new() } else { path.to_owned() };
    FieldError::new(field, "invalid_type", without_value(message))
}

/// serde quotes the offending value ("invalid type: integer `12345`, expected a string"); the
/// value may be a password, so only what was expected is said back, in JSON's words.
fn without_value(message: &str) -> String {
    match message.split_once(", expected ") {
        Some((_, expected)) => format!("expected {}", in_json_terms(expected)),
        None if message.contains('`') || message.contains('"') => "has an invalid value".to_owned(),
        None => message.to_owned(),
    }
}

/// What serde expected, without the names of Rust types ("struct CreateUser with 11
/// elements", "u32", "a sequence") that mean nothing to a client.
fn in_json_terms(expected: &str) -> &str {
    let word = expected.split_whitespace().next().unwrap_or("");
    match word {
        "struct" | "map" => "a JSON object",
        "tuple" | "sequence" => "an array",
        "enum" => "one of the allowed values",
        "unit" => "null",
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a non-negative integer in range",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "an integer in range",
        "f32" | "f64" => "a number",
        "a" if expected == "a sequence" => "an array",
        "a" if expected == "a map" => "a JSON object",
        _ => expected,
    }
}

/// serde_path_to_error's path may or may not already end with the named field.
fn join(path: &str, name: &str) -> String {
    if path == "." || path.is_empty() {
        name.to_owned()
    } else if path == name || path.ends_with(&format!(".{name}")) {
        path.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        age: Option<u8>,
    }

    #[test]
    fn malformed_json_is_bad_request() {
        assert_eq!(parse::<Body>(b"{\"name\":").unwrap_err().code, Code::BadRequest);
        assert_eq!(parse::<Body>(b"{\"name\":\"a\"} trailing").unwrap_err().code, Code::BadRequest);
    }

    #[test]
    fn unknown_field_is_named() {
        let err = parse::<Body>(br#"{"name":"a","admin":true}"#).unwrap_err();
        assert_eq!(err.code, Code::UnknownField);
        assert_eq!(err.errors[0].field, "admin");
    }

    #[test]
    fn wrong_type_names_the_field() {
        let err = parse::<Body>(br#"{"name":"a","age":"old"}"#).unwrap_err();
        assert_eq!(err.code, Code::ValidationFailed);
        assert_eq!(err.errors[0].field, "age");
        assert_eq!(err.errors[0].code, "invalid_type");
    }

    #[test]
    fn wrong_type_messages_never_repeat_the_value() {
        let err = parse::<Body>(br#"{"name": 1234567890}"#).unwrap_err();
        assert!(!err.errors[0].message.contains("1234567890"), "{}", err.errors[0].message);
        assert!(!err.detail.contains("1234567890"), "{}", err.detail);
        assert_eq!(err.errors[0].message, "expected a string");
    }

    #[test]
    fn nul_characters_are_refused_with_their_path() {
        let err = parse::<serde_json::Value>(br#"{"a": {"b": ["ok", "x\u0000y"]}}"#).unwrap_err();
        assert_eq!(err.code, Code::ValidationFailed);
        assert_eq!(err.errors[0].field, "a.b.1");
        assert_eq!(err.errors[0].code, "invalid_characters");
        // An escaped backslash followed by "u0000" is text, not a NUL.
        assert!(parse::<serde_json::Value>(br#"{"a": "\\u0000"}"#).is_ok());
    }

    #[test]
    fn an_array_is_not_an_object() {
        let err = parse::<Body>(br#"["a", 3]"#).unwrap_err();
        assert_eq!(err.code, Code::ValidationFailed);
        assert_eq!(err.errors[0].message, "the body must be a JSON object");
        assert_eq!(err.detail, "the body must be a JSON object");
        for body in [&b"\"text\""[..], b"12", b"null", b"true"] {
            assert_eq!(parse::<Body>(body).unwrap_err().code, Code::ValidationFailed);
        }
    }

    #[test]
    fn messages_never_name_rust_types() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            inner: Body,
            count: Option<u32>,
        }
        let err = parse::<Outer>(br#"{"inner": "text"}"#).unwrap_err();
        assert_eq!(err.errors[0].message, "expected a JSON object", "{:?}", err.errors);
        let err = parse::<Outer>(br#"{"inner": {"name": "a"}, "count": "x"}"#).unwrap_err();
        assert_eq!(err.errors[0].message, "expected a non-negative integer in range");
        let err = parse::<Outer>(br#"{"inner": {"name": "a"}, "count": -1}"#).unwrap_err();
        assert!(!err.errors[0].message.contains("u32"), "{}", err.errors[0].message);
    }

    #[test]
    fn missing_field_is_required() {
        let err = parse::<Body>(br"{}").unwrap_err();
        assert_eq!(err.errors[0].field, "name");
        assert_eq!(err.errors[0].code, "required");
    }
}
