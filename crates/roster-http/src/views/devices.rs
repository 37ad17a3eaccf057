//! Devices registered for push notifications.

use roster_core::users::push_tokens::PushToken;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rfc3339;

/// A registered token, shown only by its end.
#[derive(Debug, Serialize, ToSchema)]
pub struct PushTokenView {
    /// The last 6 characters of the token.
    pub token_last6: String,
    #[schema(value_type = Platform)]
    pub platform: String,
    pub device_id: Option<String>,
    pub device_name: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&PushToken> for PushTokenView {
    fn from(t: &PushToken) -> Self {
        let chars: Vec<char> = t.token.chars().collect();
        let last6: String = chars[chars.len().saturating_sub(6)..].iter().collect();
        PushTokenView {
            token_last6: last6,
            platform: t.platform.clone(),
            device_id: t.device_id.clone(),
            device_name: t.device_name.clone(),
            created_at: rfc3339(t.created_at.get()),
            updated_at: rfc3339(t.updated_at.get()),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Ios,
    Android,
    Web,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Ios => "ios",
            Platform::Android => "android",
            Platform::Web => "web",
        }
    }
}
