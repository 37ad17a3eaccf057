//! Outbound domain events, signed (API.md §9): a POST of `{id, type, occurred_at, data}` with
//! `Roster-Signature: t=UNIX,v1=HEX(HMAC-SHA256(secret, "{t}.{body}"))`.

use reqwest::header::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{DeliveryError, Notifier, client};

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "roster-signature";

/// One domain event as receivers see it. Its `id` is fixed when the event is recorded, so every
/// redelivery carries the same one and receivers can drop duplicates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: uuid::Uuid,
    /// e.g. `user.created`
    #[serde(rename = "type")]
    pub kind: String,
    /// RFC 3339, UTC.
    pub occurred_at: String,
    pub data: serde_json::Value,
}

impl Event {
    /// A new event with a fresh id.
    pub fn new(kind: impl Into<String>, occurred_at: OffsetDateTime, data: serde_json::Value) -> Self {
        let occurred_at = occurred_at.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap_or_default();
        Self { id: uuid::Uuid::now_v7(), kind: kind.into(), occurred_at, data }
    }
}

/// The `Roster-Signature` value for `body` sent at unix time `t`: `t={t},v1={hex}`.
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let t = t.to_string();
    format!("t={t},v1={}", hmac_sha256_hex(secret.as_bytes(), &[t.as_bytes(), b".", body]))
}

fn hmac_sha256_hex(key: &[u8], parts: &[&[u8]]) -> String {
    crate::secrets::hmac_sha256(key, parts).iter().map(|b| format!("{b:02x}")).collect()
}

impl Notifier {
    /// POST `event` to `ROSTER_EVENTS_WEBHOOK_URL`, signed with `ROSTER_EVENTS_SECRET`. Events are
    /// optional: without a URL this succeeds and sends nothing.
    pub async fn send_event(&self, event: &Event) -> Result<(), DeliveryError> {
        let Some((url, secret)) = &self.inner.events else { return Ok(()) };
        let body =
            serde_json::to_vec(event).map_err(|e| DeliveryError::Permanent(format!("unserializable event: {e}")))?;
        let t = OffsetDateTime::now_utc().unix_timestamp();
        let value = HeaderValue::from_str(&signature(secret, t, &body))
            .map_err(|e| DeliveryError::Permanent(format!("signature header: {e}")))?;
        client::post_json(self.http()?, url, body, Some((HeaderName::from_static(SIGNATURE_HEADER), value))).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let hex = hmac_sha256_hex(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn signature_is_hmac_of_time_dot_body() {
        // Computed independently: HMAC-SHA256("whsec_test", "1700000000." + body).
        let body = br#"{"id":"0190b3a2-0000-7000-8000-000000000000","type":"user.created"}"#;
        assert_eq!(
            signature("whsec_test", 1_700_000_000, body),
            "t=1700000000,v1=b8cd7b7979490c5b9ad6cae10590e405bd50ef5ca37b197b7d64ab3293e614d8"
        );
    }

    #[test]
    fn events_serialize_with_type_and_utc_time() {
        let at = time::macros::datetime!(2026-11-24 11:00:00 +01:00);
        let event = Event::new("user.created", at, serde_json::json!({"id": "u1"}));
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "user.created");
        assert_eq!(json["occurred_at"], "2026-11-24T10:00:00Z");
        assert_eq!(json["data"]["id"], "u1");
        assert_eq!(json["id"], event.id.to_string());
        assert_eq!(json.as_object().unwrap().len(), 4);
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }
}
