//! Request bodies of the users API, as the services receive them, and their validation.
//!
//! Required fields are `Option` at the serde level so that a missing one is reported together
//! with every other problem (422 with all field errors at once) instead of stopping at the first.

use roster_domain::FieldErrors;
use roster_domain::locale::{parse_locale, parse_timezone};
use roster_domain::web_url::{UrlProblem, WebUrl};
use serde::Deserialize;
use uuid::Uuid;

/// `POST /v1/users`. No `Debug`: it holds a password.
#[derive(Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Required. Trimmed; compared case-insensitively.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false, value_type = String, format = Email, max_length = 254))]
    pub email: Option<String>,
    /// Without it (signed-in callers only) the user is invited by email. At least
    /// `ROSTER_PASSWORD_MIN_LENGTH` characters (15 by default, never below 8), at most 128
    /// (`too_short`, `too_long`); not a common password, and at least 10^10 guesses by the zxcvbn
    /// estimate (dictionaries, repeats, sequences, keyboard walks, l33t) — else `too_common`, or
    /// `too_similar` when the weakness is the email, its local part or the name.
    #[cfg_attr(feature = "openapi", schema(max_length = 128))]
    pub password: Option<String>,
    /// Required, 1–200 characters after trimming.
    #[cfg_attr(feature = "openapi", schema(required = true, nullable = false, value_type = String, min_length = 1, max_length = 200))]
    pub name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub first_name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub last_name: Option<String>,
    /// IANA time zone name such as `Europe/Paris`; default `UTC`.
    #[cfg_attr(feature = "openapi", schema(example = "Europe/Paris"))]
    pub timezone: Option<String>,
    /// BCP 47 language tag such as `pt-BR`; default `en`.
    #[cfg_attr(feature = "openapi", schema(example = "en"))]
    pub locale: Option<String>,
    /// A JSON object of at most 16 KiB.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub metadata: Option<serde_json::Value>,
    /// Signed-in callers: the account to add the user to (default: the active account).
    pub account_id: Option<Uuid>,
    /// Open sign-up: the name of the new account (default "NAME's account").
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub account_name: Option<String>,
    /// Signed-in callers: the role in the account (default `member`, never above the caller's).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::Role>))]
    pub role: Option<String>,
}

/// `PUT /v1/users/:id`: only the fields present change; `null` clears an optional field.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// 1–200 characters after trimming.
    #[serde(default, deserialize_with = "roster_domain::json::present")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, nullable = false, min_length = 1, max_length = 200))]
    pub name: Option<Option<String>>,
    /// `null` or `""` clears it.
    #[serde(default, deserialize_with = "roster_domain::json::present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 100))]
    pub first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "roster_domain::json::present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 100))]
    pub last_name: Option<Option<String>>,
    /// An http(s) URL with a host and no user-info, at most 2048 characters; stored and shown in
    /// its normalised form (`HTTPS://Example.com` → `https://example.com/`). `null` clears it.
    #[serde(default, deserialize_with = "roster_domain::json::present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = "uri", max_length = 2048))]
    pub image: Option<Option<String>>,
    #[serde(default, deserialize_with = "roster_domain::json::present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 100))]
    pub title: Option<Option<String>>,
    /// At most 2000 characters.
    #[serde(default, deserialize_with = "roster_domain::json::present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 2000))]
    pub bio: Option<Option<String>>,
    /// IANA time zone name.
    #[serde(default, deserialize_with = "roster_domain::json::present")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, nullable = false, example = "Europe/Paris"))]
    pub timezone: Option<Option<String>>,
    /// BCP 47 language tag.
    #[serde(default, deserialize_with = "roster_domain::json::present")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, nullable = false, example = "en"))]
    pub locale: Option<Option<String>>,
    /// A JSON object of at most 16 KiB; `null` empties it.
    #[serde(default, deserialize_with = "roster_domain::json::present")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub metadata: Option<Option<serde_json::Value>>,
    /// `active` or `suspended`; not on oneself. Suspending revokes the user's sessions.
    #[serde(default, deserialize_with = "roster_domain::json::present")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::SettableStatus, nullable = false))]
    pub status: Option<Option<String>>,
}

pub(crate) const NAME_MAX: usize = 200;
pub(crate) const SHORT_MAX: usize = 100;
pub(crate) const BIO_MAX: usize = 2000;
pub(crate) const METADATA_MAX_BYTES: usize = 16 * 1024;

/// A text field: trimmed, non-empty when required, at most `max` characters.
pub(crate) fn text(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    required: bool,
    max: usize,
) -> Option<String> {
    let value = value.map(str::trim);
    match value {
        None | Some("") if required => {
            errors.add(field, "required", "is required");
            None
        }
        None | Some("") => None,
        Some(v) if v.chars().count() > max => {
            errors.add(field, "too_long", format!("must be at most {max} characters"));
            None
        }
        Some(v) if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => {
            errors.add(field, "invalid_characters", "must not contain control characters");
            None
        }
        Some(v) => Some(v.to_owned()),
    }
}

pub(crate) fn timezone(errors: &mut FieldErrors, value: &str) -> Option<String> {
    let parsed = parse_timezone(value.trim());
    if parsed.is_none() {
        errors.add("timezone", "invalid_timezone", "must be an IANA time zone name such as Europe/Paris");
    }
    parsed
}

pub(crate) fn locale(errors: &mut FieldErrors, value: &str) -> Option<String> {
    let parsed = parse_locale(value.trim());
    if parsed.is_none() {
        errors.add("locale", "invalid_locale", "must be a BCP 47 language tag such as en or pt-BR");
    }
    parsed
}

pub(crate) fn metadata(errors: &mut FieldErrors, value: &serde_json::Value) -> Option<serde_json::Value> {
    if !value.is_object() {
        errors.add("metadata", "invalid_type", "must be a JSON object");
        return None;
    }
    if serde_json::to_vec(value).map_or(usize::MAX, |v| v.len()) > METADATA_MAX_BYTES {
        errors.add("metadata", "too_large", "must be at most 16 KiB");
        return None;
    }
    Some(value.clone())
}

/// A profile image: an http(s) URL with a host and no user-info (see [`WebUrl`]), kept in its
/// normalised form.
pub(crate) fn image_url(errors: &mut FieldErrors, value: &str) -> Option<String> {
    match WebUrl::parse(value) {
        Ok(url) => Some(url.as_str().to_owned()),
        Err(problem) => {
            let code = if problem == UrlProblem::TooLong { "too_long" } else { "invalid_url" };
            errors.add("image", code, problem.to_string());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_trims_and_reports_required_and_length() {
        let mut errors = FieldErrors::new();
        assert_eq!(text(&mut errors, "name", Some("  Ada "), true, 10), Some("Ada".to_owned()));
        assert_eq!(text(&mut errors, "name", Some("   "), true, 10), None);
        assert_eq!(text(&mut errors, "title", Some("x".repeat(11).as_str()), false, 10), None);
        let codes: Vec<_> = errors.into_vec().into_iter().map(|e| e.code).collect();
        assert_eq!(codes, ["required", "too_long"]);
    }

    #[test]
    fn image_must_be_http_url() {
        let mut errors = FieldErrors::new();
        assert!(image_url(&mut errors, "https://cdn.example.com/a.png").is_some());
        assert!(image_url(&mut errors, "javascript:alert(1)").is_none());
        assert!(image_url(&mut errors, "https:///nohost").is_none());
        assert!(image_url(&mut errors, "http://a@b@evil.test/").is_none());
        assert_eq!(errors.into_vec().len(), 3);
    }

    #[test]
    fn metadata_must_be_a_small_object() {
        let mut errors = FieldErrors::new();
        assert!(metadata(&mut errors, &serde_json::json!({"a": 1})).is_some());
        assert!(metadata(&mut errors, &serde_json::json!([1])).is_none());
        assert!(metadata(&mut errors, &serde_json::json!({"a": "x".repeat(17 * 1024)})).is_none());
        let codes: Vec<_> = errors.into_vec().into_iter().map(|e| e.code).collect();
        assert_eq!(codes, ["invalid_type", "too_large"]);
    }

    #[test]
    fn update_distinguishes_null_from_absent() {
        let update: UpdateUser = serde_json::from_str(r#"{"title": null, "bio": "hi"}"#).unwrap();
        assert_eq!(update.title, Some(None));
        assert_eq!(update.bio, Some(Some("hi".to_owned())));
        assert_eq!(update.name, None);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<UpdateUser>(r#"{"email": "x@example.com"}"#).unwrap_err();
        assert!(err.to_string().starts_with("unknown field `email`"), "{err}");
    }
}
