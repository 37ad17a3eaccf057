//! User preferences (`GET /v1/users/config`): the stored document over the defaults, and the
//! rules a document must follow after a change (`PUT /v1/users/config`, users::config).

use roster_domain::FieldErrors;
use roster_domain::locale::{parse_locale, parse_timezone};
use serde_json::{Map, Value, json};

pub const THEMES: [&str; 3] = ["system", "light", "dark"];
pub const DATE_FORMATS: [&str; 6] =
    ["YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY", "D MMM YYYY", "MMM D, YYYY"];
pub const CHANNELS: [&str; 3] = ["email", "sms", "push"];
pub const KINDS: [&str; 3] = ["security", "product", "marketing"];
const KEYS: [&str; 7] = ["theme", "timezone", "locale", "date_format", "notifications", "dashboard", "integrations"];
/// `dashboard` and `integrations` are free-form objects of at most this many bytes (as JSON).
pub const FREE_FORM_MAX_BYTES: usize = 16 * 1024;

/// The defaults of API.md §5, with the user's own time zone and locale.
pub fn defaults(timezone: &str, locale: &str) -> Value {
    let mut config = stored_defaults();
    config["timezone"] = json!(timezone);
    config["locale"] = json!(locale);
    config
}

/// The configuration shown for `user`: the defaults, what it stored over them, and its own time
/// zone and locale (the user's fields are the truth for those two).
pub fn effective(user: &roster_domain::user::User, stored: Option<&Value>) -> Value {
    let mut config = defaults(&user.timezone, &user.locale);
    if let Some(stored) = stored {
        overlay(&mut config, stored);
    }
    config["timezone"] = json!(user.timezone);
    config["locale"] = json!(user.locale);
    config
}

/// What sign-up stores. Time zone and locale are not copied: they are the user's own fields,
/// filled in when the configuration is read, so the two can never disagree.
pub fn stored_defaults() -> Value {
    json!({
        "theme": "system",
        "date_format": "YYYY-MM-DD",
        "notifications": {
            "email": {"security": true, "product": true, "marketing": false},
            "sms": {"security": true, "product": false, "marketing": false},
            "push": {"security": true, "product": true, "marketing": false}
        },
        "dashboard": {},
        "integrations": {}
    })
}

/// The dashboard the onboarding queue gives a new user.
pub fn default_dashboard() -> Value {
    json!({
        "layout": "default",
        "widgets": ["getting_started", "team", "activity", "notifications"]
    })
}

/// `stored` laid over `base`, key by key (objects merge, everything else replaces).
pub fn overlay(base: &mut Value, stored: &Value) {
    match (base, stored) {
        (Value::Object(base), Value::Object(stored)) => {
            for (key, value) in stored {
                match base.get_mut(key) {
                    Some(slot) => overlay(slot, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (slot, value) => *slot = value.clone(),
    }
}

/// Every problem of a whole configuration document, each named by its dotted path: unknown
/// keys, wrong types, values outside their lists, `notifications.email.security` turned off,
/// free-form objects over 16 KiB.
pub fn check(config: &Value) -> Result<(), Vec<roster_domain::FieldError>> {
    let mut errors = FieldErrors::new();
    let Some(config) = config.as_object() else {
        errors.add("", "invalid_type", "must be a JSON object");
        return errors.into_result();
    };
    for key in config.keys().filter(|k| !KEYS.contains(&k.as_str())) {
        errors.add(key.as_str(), "unknown_field", format!("is not a setting; settings are {}", KEYS.join(", ")));
    }
    one_of(&mut errors, config, "theme", &THEMES);
    one_of(&mut errors, config, "date_format", &DATE_FORMATS);
    match config.get("timezone") {
        Some(Value::String(tz)) if parse_timezone(tz).is_some() => {}
        Some(Value::String(_)) => errors.add("timezone", "invalid_timezone", "must be an IANA time zone name"),
        _ => errors.add("timezone", "invalid_type", "must be a string"),
    }
    match config.get("locale") {
        Some(Value::String(locale)) if parse_locale(locale).is_some() => {}
        Some(Value::String(_)) => errors.add("locale", "invalid_locale", "must be a BCP 47 language tag"),
        _ => errors.add("locale", "invalid_type", "must be a string"),
    }
    notifications(&mut errors, config.get("notifications"));
    for key in ["dashboard", "integrations"] {
        match config.get(key) {
            Some(Value::Object(_)) => {
                if serde_json::to_vec(&config[key]).map_or(usize::MAX, |v| v.len()) > FREE_FORM_MAX_BYTES {
                    errors.add(key, "too_large", "must be at most 16 KiB as JSON");
                }
            }
            _ => errors.add(key, "invalid_type", "must be a JSON object"),
        }
    }
    errors.into_result()
}

fn one_of(errors: &mut FieldErrors, config: &Map<String, Value>, key: &str, allowed: &[&str]) {
    match config.get(key) {
        Some(Value::String(v)) if allowed.contains(&v.as_str()) => {}
        Some(Value::String(_)) => errors.add(key, "invalid_value", format!("must be one of {}", allowed.join(", "))),
        _ => errors.add(key, "invalid_type", "must be a string"),
    }
}

fn notifications(errors: &mut FieldErrors, value: Option<&Value>) {
    let Some(Value::Object(channels)) = value else {
        errors.add("notifications", "invalid_type", "must be a JSON object");
        return;
    };
    for (channel, kinds) in channels {
        let path = format!("notifications.{channel}");
        if !CHANNELS.contains(&channel.as_str()) {
            errors.add(path, "unknown_field", format!("channels are {}", CHANNELS.join(", ")));
            continue;
        }
        let Value::Object(kinds) = kinds else {
            errors.add(path, "invalid_type", "must be a JSON object");
            continue;
        };
        for (kind, on) in kinds {
            let path = format!("notifications.{channel}.{kind}");
            if !KINDS.contains(&kind.as_str()) {
                errors.add(path, "unknown_field", format!("kinds are {}", KINDS.join(", ")));
            } else if !on.is_boolean() {
                errors.add(path, "invalid_type", "must be true or false");
            } else if channel == "email" && kind == "security" && on == &Value::Bool(false) {
                errors.add(path, "cannot_disable", "security notices always go by email");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_pass_and_each_rule_names_its_path() {
        assert_eq!(check(&defaults("UTC", "en")), Ok(()));
        let problems = |change: Value| {
            let mut config = defaults("UTC", "en");
            overlay(&mut config, &change);
            check(&config).unwrap_err().into_iter().map(|e| (e.field, e.code)).collect::<Vec<_>>()
        };
        let one = |field: &str, code: &str| vec![(field.to_owned(), code.to_owned())];
        assert_eq!(problems(json!({"theme": "neon"})), one("theme", "invalid_value"));
        assert_eq!(problems(json!({"theme": 3})), one("theme", "invalid_type"));
        assert_eq!(problems(json!({"colour": "red"})), one("colour", "unknown_field"));
        assert_eq!(problems(json!({"date_format": "YY"})), one("date_format", "invalid_value"));
        assert_eq!(problems(json!({"timezone": "Mars/Olympus"})), one("timezone", "invalid_timezone"));
        assert_eq!(problems(json!({"locale": "not a tag"})), one("locale", "invalid_locale"));
        assert_eq!(
            problems(json!({"notifications": {"email": {"security": false}}})),
            one("notifications.email.security", "cannot_disable")
        );
        assert_eq!(problems(json!({"notifications": {"fax": {}}})), one("notifications.fax", "unknown_field"));
        assert_eq!(
            problems(json!({"notifications": {"sms": {"product": "yes"}}})),
            one("notifications.sms.product", "invalid_type")
        );
        assert_eq!(
            problems(json!({"notifications": {"push": {"weekly": true}}})),
            one("notifications.push.weekly", "unknown_field")
        );
        assert_eq!(problems(json!({"dashboard": [1]})), one("dashboard", "invalid_type"));
        let big = "x".repeat(FREE_FORM_MAX_BYTES);
        assert_eq!(problems(json!({"integrations": {"k": big}})), one("integrations", "too_large"));
        assert_eq!(check(&json!([])).unwrap_err()[0].code, "invalid_type");
    }

    #[test]
    fn stored_values_override_defaults_and_keep_the_rest() {
        let mut config = defaults("UTC", "en");
        overlay(&mut config, &json!({"theme": "dark", "notifications": {"email": {"product": false}}}));
        assert_eq!(config["theme"], "dark");
        assert_eq!(config["notifications"]["email"]["product"], false);
        assert_eq!(config["notifications"]["email"]["security"], true);
        assert_eq!(config["date_format"], "YYYY-MM-DD");
    }
}
