//! Opaque, tamper-proof pagination cursors.
//!
//! A cursor is `base64url(payload) . base64url(HMAC-SHA256(key, context || payload))`. The
//! context names the list the cursor belongs to (e.g. `users:-created_at`), so a cursor from one
//! list or sort order is refused by another instead of silently returning the wrong page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Why a cursor was refused. Callers answer 400 `bad_request` whatever the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is malformed, forged, or belongs to another list")]
pub struct BadCursor;

/// The secret that signs cursors. It is shared by every instance on one database.
#[derive(Clone)]
pub struct CursorKey(Vec<u8>);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(<redacted>)")
    }
}

impl CursorKey {
    pub fn new(secret: Vec<u8>) -> Self {
        Self(secret)
    }

    #[allow(clippy::expect_used, reason = "HMAC takes keys of any length")]
    fn tag(&self, context: &str, payload: &[u8]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC accepts keys of any length");
        mac.update(context.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        mac.finalize().into_bytes().into()
    }

    /// Seal `payload` (any serialisable position) for the list named by `context`.
    #[allow(clippy::expect_used, reason = "cursor payloads are plain data: serialising cannot fail")]
    pub fn seal<T: serde::Serialize>(&self, context: &str, payload: &T) -> String {
        let bytes = serde_json::to_vec(payload).expect("cursor payloads are plain data");
        let tag = self.tag(context, &bytes);
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&bytes), URL_SAFE_NO_PAD.encode(tag))
    }

    /// Open a cursor sealed by [`CursorKey::seal`] for the same `context`.
    pub fn open<T: serde::de::DeserializeOwned>(&self, context: &str, cursor: &str) -> Result<T, BadCursor> {
        let (payload, tag) = cursor.split_once('.').ok_or(BadCursor)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| BadCursor)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| BadCursor)?;
        let expected = self.tag(context, &payload);
        if !bool::from(expected.as_slice().ct_eq(&tag)) {
            return Err(BadCursor);
        }
        serde_json::from_slice(&payload).map_err(|_| BadCursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CursorKey {
        CursorKey::new(b"test-secret-of-some-length".to_vec())
    }

    #[test]
    fn round_trips_a_position() {
        let cursor = key().seal("users:name", &("ada", 42));
        let back: (String, i32) = key().open("users:name", &cursor).unwrap();
        assert_eq!(back, ("ada".to_owned(), 42));
    }

    #[test]
    fn refuses_a_cursor_of_another_list() {
        let cursor = key().seal("users:name", &1);
        assert_eq!(key().open::<i32>("users:-name", &cursor), Err(BadCursor));
    }

    #[test]
    fn refuses_a_tampered_payload() {
        let cursor = key().seal("users:name", &1);
        let (_, tag) = cursor.split_once('.').unwrap();
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(b"2"));
        assert_eq!(key().open::<i32>("users:name", &forged), Err(BadCursor));
    }

    #[test]
    fn refuses_a_cursor_signed_with_another_key() {
        let cursor = CursorKey::new(b"other".to_vec()).seal("users:name", &1);
        assert_eq!(key().open::<i32>("users:name", &cursor), Err(BadCursor));
    }

    #[test]
    fn refuses_garbage() {
        for garbage in ["", ".", "abc", "!!!.???", "e30.e30"] {
            assert_eq!(key().open::<i32>("users:name", garbage), Err(BadCursor));
        }
    }
}
