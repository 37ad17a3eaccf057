//! Secret settings: [`Secret`], a value that is never printed, and the server's secret key
//! (`ROSTER_SECRET_KEY` or the file `ROSTER_SECRET_KEY_FILE` names) that seals TOTP seeds.

use serde::{Deserialize, Serialize};

use super::Settings;

/// A secret setting: usable, but never printed by `Debug`. Environment values reach it as their
/// exact text (see [`Settings::load`]); from `roster.toml` any scalar is taken as its text (an
/// unquoted number is still a password). The value never appears in an error message.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AnyScalar;
        impl serde::de::Visitor<'_> for AnyScalar {
            type Value = Secret;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Secret, E> {
                Ok(Secret(v.to_owned()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Secret, E> {
                Ok(Secret(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Secret, E> {
                Ok(Secret(v.to_string()))
            }
            fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Secret, E> {
                Ok(Secret(v.to_string()))
            }
            fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Secret, E> {
                Ok(Secret(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Secret, E> {
                Ok(Secret(v.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Secret, E> {
                Ok(Secret(v.to_string()))
            }
        }
        deserializer.deserialize_any(AnyScalar)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

impl Settings {
    /// `ROSTER_SECRET_KEY`, or the content of `ROSTER_SECRET_KEY_FILE`: 32 bytes in base64 or
    /// hex. The value never appears in an error.
    pub fn secret_key(&self) -> Result<Option<[u8; 32]>, String> {
        let text = match (&self.secret_key, &self.secret_key_file) {
            (Some(_), Some(_)) => {
                return Err("invalid configuration: ROSTER_SECRET_KEY and ROSTER_SECRET_KEY_FILE: set only one".into());
            }
            (Some(key), None) => key.0.clone(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| format!("invalid configuration: ROSTER_SECRET_KEY_FILE: cannot read {path}: {e}"))?,
            (None, None) => return Ok(None),
        };
        parse_key(text.trim()).map(Some).ok_or_else(|| {
            "invalid configuration: ROSTER_SECRET_KEY: must be 32 bytes in base64 or hex (e.g. `openssl rand -base64 32`)"
                .to_owned()
        })
    }
}

/// 32 bytes written as 64 hex digits or in base64 (standard or URL-safe, padded or not).
fn parse_key(text: &str) -> Option<[u8; 32]> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let hex = || -> Option<Vec<u8>> {
        (text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| (0..32).filter_map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()).collect())
    };
    let bytes = hex().or_else(|| {
        [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD].iter().find_map(|engine| engine.decode(text).ok())
    })?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_key_is_32_bytes_in_hex_or_base64() {
        let hex = "00".repeat(31) + "ff";
        assert_eq!(parse_key(&hex).unwrap()[31], 0xff);
        assert_eq!(parse_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap(), [0; 32]);
        let url_safe = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, [0xfb; 32]);
        assert!(url_safe.contains('-') || url_safe.contains('_'), "{url_safe}");
        assert_eq!(parse_key(&url_safe).unwrap(), [0xfb; 32]);
        assert!(parse_key("AAAA").is_none(), "too short");
        assert!(parse_key(&"00".repeat(33)).is_none(), "too long");
        assert!(parse_key("not a key at all").is_none());
    }
}
