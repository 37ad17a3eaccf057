//! `Idempotency-Key` (API.md §1): a replay within 24 h with the same key and caller returns the
//! first response and does nothing again.

use roster_store::Ts;
use roster_store::idempotency::{self, Recorded};
use time::Duration;

use crate::Core;
use crate::error::{Clash, CoreError, CoreResult};

const RETENTION: Duration = Duration::hours(24);
/// A claim without a response after this long belongs to a request that died; a retry may take
/// it over. Far above any request's duration.
const ABANDONED_AFTER: Duration = Duration::minutes(1);

/// The caller key of a signed-in user (also used to forget a purged user's records).
pub fn user_caller(user: roster_domain::UserId) -> String {
    format!("user:{user}")
}

/// A response worth replaying.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What to do with a request that carries a key.
pub enum Claim {
    /// First time: run it, then [`Core::idempotency_complete`] or [`Core::idempotency_release`].
    Proceed,
    Replay(StoredResponse),
}

impl Core {
    /// Fingerprint of a request: method, path and body, keyed with the server's secret key. Some
    /// bodies carry a password; an unkeyed hash kept for 24 h would let whoever reads the
    /// database test guesses against it far faster than against the argon2id hash.
    pub fn idempotency_fingerprint(&self, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
        let key = self.secret_key.derive("idempotency");
        crate::secrets::hmac_sha256(&key, &[method.as_bytes(), &[0], path.as_bytes(), &[0], body]).to_vec()
    }

    pub async fn idempotency_claim(&self, caller: &str, key: &str, fingerprint: &[u8]) -> CoreResult<Claim> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let recorded = idempotency::claim(
            &mut tx,
            caller,
            key,
            fingerprint,
            Ts::new(now),
            Ts::new(now - RETENTION),
            Ts::new(now - ABANDONED_AFTER),
        )
        .await?;
        self.commit(tx).await?;
        match recorded {
            None => Ok(Claim::Proceed),
            Some(Recorded::InFlight { request_hash } | Recorded::Done { request_hash, .. })
                if request_hash != fingerprint =>
            {
                Err(CoreError::IdempotencyKeyReused)
            }
            Some(Recorded::InFlight { .. }) => Err(CoreError::Conflict(Clash::RequestInProgress)),
            Some(Recorded::Done { status, headers, body, .. }) => {
                Ok(Claim::Replay(StoredResponse { status, headers, body }))
            }
        }
    }

    pub async fn idempotency_complete(&self, caller: &str, key: &str, response: &StoredResponse) -> CoreResult<()> {
        let mut tx = self.db.begin().await?;
        idempotency::complete(&mut tx, caller, key, response.status, &response.headers, &response.body).await?;
        self.commit(tx).await?;
        Ok(())
    }

    pub async fn idempotency_release(&self, caller: &str, key: &str) -> CoreResult<()> {
        let mut tx = self.db.begin().await?;
        idempotency::release(&mut tx, caller, key).await?;
        self.commit(tx).await?;
        Ok(())
    }
}

impl Core {
    /// Delete stored responses past their 24 hours (run periodically by `serve`).
    pub async fn sweep_idempotency(&self) -> CoreResult<u64> {
        let mut tx = self.db.begin().await?;
        let n = idempotency::purge_expired(&mut tx, Ts::new(self.now() - RETENTION)).await?;
        self.commit(tx).await?;
        Ok(n)
    }
}
