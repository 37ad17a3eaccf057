//! `POST /v1/users/recovery {email}`: a request for a reset link, answered before anything is
//! looked up. The request records one `recovery.request` job whatever the address, so a known
//! and an unknown address cost the same work and the same time; the address rides in the job
//! sealed with the server's key (it may be anyone's, typed in by anyone). The notifications
//! queue then looks it up and, for an active user, issues the link — at most one a minute and
//! five an hour per address, like the confirmation links: past that the request is dropped
//! without a word, as an unknown address is.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use roster_domain::email::normalize_email;
use roster_domain::user::UserStatus;
use roster_store::tokens::{self, NewToken};
use roster_store::{Ts, users};
use serde_json::json;
use time::Duration;

use crate::Core;
use crate::auth::limits::link_wait;
use crate::error::CoreResult;
use crate::jobs::{self, payload};
use crate::purpose::Purpose;

/// How long a reset link is good for.
const RECOVERY_VALIDITY: Duration = Duration::minutes(30);

/// What a sealed address is bound to: it opens as a recovery request's and nothing else.
const SEALED_FOR: &[u8] = b"recovery-request";

impl Core {
    /// `POST /v1/users/recovery {email}`: record the request; the answer is the same whoever
    /// the address belongs to, and so is its time.
    pub async fn start_recovery(&self, email: &str) -> CoreResult<()> {
        let now = self.now();
        let sealed = self.secret_key.seal(SEALED_FOR, normalize_email(email).as_bytes());
        let request = payload::RecoveryRequest { address: URL_SAFE_NO_PAD.encode(sealed) };
        let mut tx = self.db.begin().await?;
        jobs::enqueue(&mut tx, &request, now).await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// The address a `recovery.request` job carries, or `None` when it does not open with this
    /// server's key (the job can never run).
    pub(crate) fn recovery_address(&self, request: &payload::RecoveryRequest) -> Option<String> {
        let sealed = URL_SAFE_NO_PAD.decode(&request.address).ok()?;
        String::from_utf8(self.secret_key.open(SEALED_FOR, &sealed).ok()?).ok()
    }

    /// Issue the reset link asked for `address` (normalised), when it is an active user's sign-in
    /// address and no link went to it in the last minute, nor five in the last hour: a single-use
    /// token good for 30 minutes (a newer one voids the older), mailed by a `email.recovery` job.
    pub(crate) async fn issue_recovery(&self, address: &str) -> CoreResult<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let user = users::find_for_login(&mut tx, address).await?.map(|(user, _)| user);
        let Some(user) = user.filter(|u| u.status == UserStatus::Active) else { return Ok(()) };
        // One request of a user's at a time: the count below stays true until commit.
        users::lock(&mut tx, user.id).await?;
        if link_wait(&mut tx, user.id, Purpose::Recovery, address, now).await? > 0 {
            tracing::info!(user_id = %user.id, "a recovery link was asked for too often: none sent this time");
            return Ok(());
        }
        let token = NewToken {
            id: uuid::Uuid::now_v7(),
            user_id: user.id,
            purpose: Purpose::Recovery.as_str(),
            // The mail's worker mints the token it sends (tokens::rotate); this hash is a
            // placeholder nobody holds. The address is the one the link goes to: following it
            // proves the address (complete_recovery).
            token_hash: crate::secrets::new_token().1,
            data: json!({"address": address}),
            created_at: Ts::new(now),
            expires_at: Ts::new(now + RECOVERY_VALIDITY),
        };
        tokens::replace(&mut tx, &token).await?;
        jobs::enqueue(&mut tx, &payload::RecoveryMail { user_id: user.id, token_id: token.id }, now).await?;
        self.commit(tx).await?;
        Ok(())
    }
}
