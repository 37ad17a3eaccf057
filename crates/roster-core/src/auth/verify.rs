//! `POST /v1/auth/verify-email`: redeem a verification token.

use roster_domain::activity::Action;
use roster_domain::user::{User, UserDetail, UserStatus};
use roster_store::{Ts, tokens, users};

use crate::error::{CoreError, CoreResult};
use crate::purpose::Purpose;
use crate::{Core, RequestMeta, activity};

impl Core {
    /// Mark the token's user verified. A used, expired, unknown token, or one of another
    /// purpose, is `invalid_token` (the same answer for each, so nothing is learnt).
    pub async fn verify_email(&self, token: &str, meta: &RequestMeta) -> CoreResult<UserDetail> {
        let now = self.now();
        let hash = crate::secrets::hash_token(token);
        let mut tx = self.db.begin().await?;
        let redeemed = tokens::redeem(&mut tx, Purpose::VerifyEmail.as_str(), &hash, Ts::new(now)).await?;
        let redeemed = redeemed.ok_or(CoreError::InvalidToken)?;
        let user = users::find(&mut tx, redeemed.user_id).await?.filter(|u| u.status != UserStatus::Deleted);
        let user = user.ok_or(CoreError::InvalidToken)?;
        users::set_email_verified(&mut tx, user.id, Ts::new(now)).await?;
        let changes = serde_json::json!({"email": user.email, "email_verified": {"from": false, "to": true}});
        activity::record(&mut tx, now, user.id, Some(user.id), None, Action::UserEmailVerified, meta, changes).await?;
        let user = crate::users::detail(&mut tx, User { email_verified: true, updated_at: now, ..user }).await?;
        self.commit(tx).await?;
        Ok(user)
    }
}
