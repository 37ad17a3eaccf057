//! User preferences (`GET /v1/users/config`): the stored document over the defaults.

use serde_json::{Value, json};

/// The defaults of API.md §5, with the user's own time zone and locale.
pub fn defaults(timezone: &str, locale: &str) -> Value {
    let mut config = stored_defaults();
    config["timezone"] = json!(timezone);
    config["locale"] = json!(locale);
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

#[cfg(test)]
mod tests {
    use super::*;

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
