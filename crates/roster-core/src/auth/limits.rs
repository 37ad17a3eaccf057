//! Brute-force limits (API.md §7), counted in the database so that they hold on every instance:
//! 10 counted failures for one email, or 100 from one client address, within 15 minutes; 10
//! wrong MFA codes for one user within 15 minutes; and after 100 failures in a row for one email
//! the password locks until a recovery completes (the user is mailed once).
//!
//! The checks run before any hashing, so an attack over its limit costs a few indexed reads and
//! no argon2 work, and they take no lock: nothing here slows other users' logins. Unknown emails
//! are counted and locked exactly like known ones, so the answers tell nothing apart.
//!
//! An attempt refused over the email's or the user's window is recorded (the user's history shows
//! it) but does not count in the windows — they would never lift under a steady attack — while it
//! does count towards the lock: a hundred attempts in a row are a hundred attempts, refused or
//! not. What an attack can make Roster write is bounded so: once the password is locked, and for
//! an address over its own limit (a refusal that belongs to the address, not to any user), a
//! refusal writes nothing at all — it costs a few reads. And it is answered only after a short
//! pause ([`REFUSAL_PAUSE`], a timer, holding nothing): a client that keeps guessing over its
//! limit then gets a few answers a second per connection instead of thousands, so the guessing
//! takes no noticeable share of the cores the other users' password checks run on.

use roster_domain::UserId;
use roster_store::login_attempts::{self, Counted, Factor, NewAttempt};
use roster_store::{Ts, Tx};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::error::{CoreError, CoreResult};
use crate::jobs::{self, payload};
use crate::{Core, RequestMeta};

pub(crate) const WINDOW: Duration = Duration::minutes(15);
const PER_EMAIL: u32 = 10;
const PER_ADDRESS: u32 = 100;
const MFA_PER_USER: u32 = 10;
pub(crate) const LOCK_AFTER: i64 = 100;
/// How long login attempts are kept (the history's reach, and "seen before" for notices).
pub(crate) const KEPT: Duration = Duration::days(90);

/// The key attempts for an email are counted under (its SHA-256: an unknown address someone
/// typed in is not kept readable).
pub(crate) fn email_key(normalized_email: &str) -> Vec<u8> {
    Sha256::digest(normalized_email.as_bytes()).to_vec()
}

/// Why an attempt is refused before it is checked.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refusal {
    /// Over a window: `retry_after` seconds until the oldest counted failure leaves it.
    /// `recorded`: the email's or the user's own window (not only the address's).
    Window { retry_after: u64, recorded: bool },
    /// 100 failures in a row: only a recovery unlocks.
    Locked,
}

/// How long a refused attempt waits before its answer.
const REFUSAL_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// The reason a recorded refusal shows in the history.
const REFUSED: &str = "too_many_attempts";

impl From<Refusal> for CoreError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Window { retry_after, .. } => CoreError::TooManyAttempts { retry_after },
            // Retrying does not help; the Retry-After is the window, and the mail says what does.
            Refusal::Locked => CoreError::TooManyAttempts { retry_after: WINDOW.whole_seconds().unsigned_abs() },
        }
    }
}

/// One attempt at a secret, as it is recorded.
pub(crate) struct Attempt<'a> {
    pub email_key: &'a [u8],
    pub user: Option<UserId>,
    pub factor: Factor,
    pub meta: &'a RequestMeta,
}

impl Core {
    /// Whether `attempt` is refused before it is checked, and for how long.
    pub(crate) async fn refusal(&self, attempt: &Attempt<'_>) -> CoreResult<Option<Refusal>> {
        let now = self.now();
        let since = Ts::new(now - WINDOW);
        let mut conn = self.db.conn().await?;
        if login_attempts::is_locked(&mut conn, attempt.email_key).await? {
            return Ok(Some(Refusal::Locked));
        }
        let mut probes = vec![(Counted::Email(attempt.email_key), PER_EMAIL)];
        if let Some(ip) = attempt.meta.ip.as_deref() {
            probes.push((Counted::Ip(ip), PER_ADDRESS));
        }
        if let (Factor::Mfa, Some(user)) = (attempt.factor, attempt.user) {
            probes.push((Counted::Mfa(user), MFA_PER_USER));
        }
        let (mut retry_after, mut recorded) = (None, false);
        for (who, limit) in probes {
            if let Some(at) = login_attempts::nth_failure(&mut conn, who, since, limit).await? {
                let wait = seconds_until(at.get() + WINDOW, now);
                retry_after = Some(retry_after.map_or(wait, |w: u64| w.max(wait)));
                recorded |= !matches!(who, Counted::Ip(_));
            }
        }
        Ok(retry_after.map(|retry_after| Refusal::Window { retry_after, recorded }))
    }

    /// Answer a refused attempt: recorded and counted towards the lock when it is the email's or
    /// the user's own limit; nothing written when the password is locked or only the address is
    /// over its limit.
    pub(crate) async fn refuse(&self, attempt: &Attempt<'_>, refusal: Refusal) -> CoreError {
        tokio::time::sleep(REFUSAL_PAUSE).await;
        if let Refusal::Window { recorded: true, .. } = refusal
            && let Err(err) = self.record_failure(attempt, REFUSED, false).await
        {
            return err;
        }
        refusal.into()
    }

    /// Record a failed or refused attempt (`counted`: it counts in the windows), count it towards
    /// the lock, and mail the user once when it locks.
    pub(crate) async fn record_failure(&self, attempt: &Attempt<'_>, reason: &str, counted: bool) -> CoreResult<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.write_attempt(&mut tx, attempt, false, counted, Some(reason)).await?;
        let locked = login_attempts::count_failure(&mut tx, attempt.email_key, LOCK_AFTER, Ts::new(now)).await?;
        if let (true, Some(user)) = (locked, attempt.user) {
            let mail = payload::SecurityMail { user_id: user, notice: payload::SecurityNotice::PasswordLocked };
            jobs::enqueue(&mut tx, &mail, now).await?;
        }
        tx.commit().await?;
        if locked {
            self.wake_workers();
        }
        Ok(())
    }

    /// Write one attempt into the caller's transaction.
    pub(crate) async fn write_attempt(
        &self,
        tx: &mut Tx,
        attempt: &Attempt<'_>,
        success: bool,
        counted: bool,
        reason: Option<&str>,
    ) -> CoreResult<()> {
        let row = NewAttempt {
            at: Ts::new(self.now()),
            email_key: attempt.email_key,
            user_id: attempt.user,
            ip: attempt.meta.ip.as_deref(),
            user_agent: attempt.meta.user_agent.as_deref(),
            factor: attempt.factor,
            success,
            counted,
            reason,
        };
        login_attempts::record(tx, &row).await?;
        Ok(())
    }
}

/// Seconds until the latest of `times` still ahead of `now` (0 when none is): how long a limit
/// on sending (a phone code, a confirmation link) still holds.
pub(crate) fn wait_until(now: OffsetDateTime, times: [Option<OffsetDateTime>; 2]) -> u64 {
    times.into_iter().flatten().max().filter(|at| *at > now).map_or(0, |at| seconds_until(at, now))
}

/// Whole seconds from `now` until `until`, at least 1.
fn seconds_until(until: OffsetDateTime, now: OffsetDateTime) -> u64 {
    let left = until - now;
    let secs = left.whole_seconds() + i64::from(left.subsec_nanoseconds() > 0);
    secs.max(1).unsigned_abs()
}
