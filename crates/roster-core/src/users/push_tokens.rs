//! The caller's push-notification tokens: register (a token moves to the caller if another user
//! had it; past [`MAX_PUSH_TOKENS`] the one registered longest ago goes), remove, list. Push notices go to these tokens (jobs::handlers), and a
//! token the provider says is gone (404/410) is forgotten there.

use roster_domain::FieldErrors;
use roster_store::Ts;
use roster_store::push_tokens;
pub use roster_store::push_tokens::PushToken;

use crate::error::{CoreError, CoreResult};
use crate::{Actor, Core};

pub const PLATFORMS: [&str; 3] = ["ios", "android", "web"];
/// A user keeps at most this many tokens: registering one more drops the one registered (or
/// refreshed) longest ago, a device that has most likely gone.
pub const MAX_PUSH_TOKENS: u32 = 20;
const TOKEN_MAX: usize = 4096;
const DEVICE_MAX: usize = 200;

/// A token to register, as sent.
#[derive(Debug, Clone)]
pub struct NewPushToken {
    pub token: String,
    pub platform: String,
    pub device_id: Option<String>,
    pub device_name: Option<String>,
}

impl Core {
    /// `POST /v1/users/push-token`: the token and whether it is new to the caller (201) or was
    /// the caller's already (200, refreshed).
    pub async fn register_push_token(&self, actor: &Actor, new: NewPushToken) -> CoreResult<(PushToken, bool)> {
        let mut errors = FieldErrors::new();
        let token = new.token.trim();
        if token.is_empty() || token.len() > TOKEN_MAX || token.chars().any(char::is_whitespace) {
            errors.add("token", "invalid_token", format!("must be 1–{TOKEN_MAX} characters without spaces"));
        }
        if !PLATFORMS.contains(&new.platform.as_str()) {
            errors.add("platform", "invalid_platform", "must be ios, android or web");
        }
        for (field, value) in [("device_id", &new.device_id), ("device_name", &new.device_name)] {
            if value.as_ref().is_some_and(|v| v.chars().count() > DEVICE_MAX || v.chars().any(char::is_control)) {
                errors.add(
                    field,
                    "invalid",
                    format!("must be at most {DEVICE_MAX} characters, none of them control characters"),
                );
            }
        }
        errors.into_result().map_err(CoreError::Validation)?;
        let now = Ts::new(self.now());
        let row = PushToken {
            token: token.to_owned(),
            platform: new.platform,
            device_id: new.device_id,
            device_name: new.device_name,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.db.begin().await?;
        // One registration of a user's at a time: the trim below sees every token.
        roster_store::users::lock(&mut tx, actor.user.id).await?;
        let (stored, before) = push_tokens::upsert(&mut tx, actor.user.id, &row).await?;
        push_tokens::keep_newest(&mut tx, actor.user.id, MAX_PUSH_TOKENS).await?;
        self.commit(tx).await?;
        Ok((stored, before != Some(actor.user.id)))
    }

    /// `DELETE /v1/users/push-token`: a token that is not the caller's is 404.
    pub async fn remove_push_token(&self, actor: &Actor, token: &str) -> CoreResult<()> {
        let mut tx = self.db.begin().await?;
        if !push_tokens::delete(&mut tx, actor.user.id, token.trim()).await? {
            return Err(CoreError::NotFound);
        }
        self.commit(tx).await?;
        Ok(())
    }

    /// `GET /v1/users/push-tokens`: the caller's tokens, oldest first.
    pub async fn push_tokens(&self, actor: &Actor) -> CoreResult<Vec<PushToken>> {
        let mut conn = self.db.conn().await?;
        Ok(push_tokens::of_user(&mut conn, actor.user.id).await?)
    }
}
