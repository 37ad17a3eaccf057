//! Brute-force limits, counted in the database so that they hold on every instance: 10 counted
//! failures for one email, or 100 from one client address, within 15 minutes; 10 wrong MFA codes
//! for one user within 15 minutes (the user is told when that engages); and after 100 failures
//! in a row for one email the password locks until a recovery completes (the user is mailed
//! once). A completed recovery proves the owner: the failures counted for its email and user
//! before it stop counting (those of client addresses do not).
//!
//! An attempt is admitted before its secret is checked ([`Core::admit`]): a read refuses one over
//! a limit without taking any lock, so an attack over its limit costs a few indexed reads and no
//! argon2 work; one under them is counted and decided again in one write transaction that holds
//! the locks of whom it counts for (roster_store::login_attempts::serialize), and is recorded
//! there as a pending failure. So concurrency buys no extra guesses: fifty wrong passwords sent
//! at once for one email are fifty attempts the limit sees, and the eleventh is refused before
//! its hash. Once the secret is checked, the attempt is settled: a failure ([`Core::fail`]), a
//! success (with the session it opens), or withdrawn when it was no sign-in after all. Unknown
//! emails are counted and locked exactly like known ones, so the answers tell nothing apart.
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
use roster_domain::login::AttemptReason;
use roster_store::login_attempts::{self, Counted, Factor, NewAttempt, PENDING};
use roster_store::{Exec, Ts};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

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
const REFUSED: AttemptReason = AttemptReason::TooManyAttempts;

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

impl Attempt<'_> {
    /// Whom it counts for, each with its limit.
    fn counted(&self) -> Vec<(Counted<'_>, u32)> {
        let mut counted = vec![(Counted::Email(self.email_key), PER_EMAIL)];
        if let Some(ip) = self.meta.ip.as_deref() {
            counted.push((Counted::Ip(ip), PER_ADDRESS));
        }
        if let (Factor::Mfa, Some(user)) = (self.factor, self.user) {
            counted.push((Counted::Mfa(user), MFA_PER_USER));
        }
        counted
    }

    fn keys(&self) -> Vec<Counted<'_>> {
        self.counted().into_iter().map(|(who, _)| who).collect()
    }
}

/// An attempt let through to have its secret checked: recorded as a pending failure until it is
/// settled.
#[must_use = "an admitted attempt counts as a failure until it is settled"]
pub(crate) struct Admitted {
    id: Uuid,
}

impl Core {
    /// Let `attempt` have its secret checked, or refuse it (`too_many_attempts`, after a pause).
    pub(crate) async fn admit(&self, attempt: &Attempt<'_>) -> CoreResult<Admitted> {
        // A read first: over a limit, refused without waiting for any lock.
        let refusal = {
            let mut conn = self.db.conn().await?;
            self.refusal(&mut conn, attempt).await?
        };
        if let Some(refusal) = refusal {
            return Err(self.refuse(attempt, refusal).await);
        }
        let mut tx = self.db.begin().await?;
        login_attempts::serialize(&mut tx, &attempt.keys()).await?;
        if let Some(refusal) = self.refusal(&mut tx, attempt).await? {
            drop(tx);
            return Err(self.refuse(attempt, refusal).await);
        }
        let id = self.write_attempt(&mut tx, attempt, false, true, Some(PENDING)).await?;
        self.commit(tx).await?;
        Ok(Admitted { id })
    }

    /// Whether `attempt` is refused before it is checked, and for how long.
    async fn refusal(&self, exec: &mut impl Exec, attempt: &Attempt<'_>) -> CoreResult<Option<Refusal>> {
        let now = self.now();
        let state = login_attempts::lock_state(exec, attempt.email_key).await?;
        if state.locked {
            return Ok(Some(Refusal::Locked));
        }
        let window = Ts::new(now - WINDOW);
        // A recovery completed within the window: what was counted for the email and its user
        // before it no longer counts.
        let owned = state.cleared_at.filter(|at| *at > window).unwrap_or(window);
        let (mut retry_after, mut recorded) = (None, false);
        for (who, limit) in attempt.counted() {
            let since = if matches!(who, Counted::Ip(_)) { window } else { owned };
            if let Some(at) = login_attempts::nth_failure(exec, who, since, limit).await? {
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
    async fn refuse(&self, attempt: &Attempt<'_>, refusal: Refusal) -> CoreError {
        tokio::time::sleep(REFUSAL_PAUSE).await;
        if let Refusal::Window { recorded: true, .. } = refusal
            && let Err(err) = self.record_failure(attempt, None, REFUSED, false).await
        {
            return err;
        }
        refusal.into()
    }

    /// The admitted attempt failed (a wrong password or code): it counts in the windows and
    /// towards the lock.
    pub(crate) async fn fail(
        &self,
        attempt: &Attempt<'_>,
        admitted: Admitted,
        reason: AttemptReason,
    ) -> CoreResult<()> {
        self.record_failure(attempt, Some(admitted), reason, true).await
    }

    /// The admitted attempt had the right secret but signs nobody in (a suspended user): recorded,
    /// counted neither in the windows nor towards the lock.
    pub(crate) async fn not_counted(&self, admitted: Admitted, reason: AttemptReason) -> CoreResult<()> {
        let mut conn = self.db.write_conn().await?;
        login_attempts::settle(&mut conn, admitted.id, false, false, Some(reason)).await?;
        Ok(())
    }

    /// The admitted attempt was no sign-in after all (a password confirmed by a signed-in user,
    /// a first factor that leads to the second, a recovery's code): it leaves no trace.
    pub(crate) async fn withdraw(&self, admitted: Admitted) -> CoreResult<()> {
        self.forget_attempt(admitted.id).await
    }

    /// Whether the admitted attempt's secret is right, as `check` says. When the check itself
    /// fails (the hashing pool, the database), the attempt is withdrawn: it was no guess.
    pub(crate) async fn checked(
        &self,
        admitted: &Admitted,
        check: impl Future<Output = CoreResult<bool>>,
    ) -> CoreResult<bool> {
        match check.await {
            Ok(right) => Ok(right),
            Err(e) => {
                self.forget_attempt(admitted.id).await?;
                Err(e)
            }
        }
    }

    async fn forget_attempt(&self, id: Uuid) -> CoreResult<()> {
        let mut conn = self.db.write_conn().await?;
        login_attempts::withdraw(&mut conn, id).await?;
        Ok(())
    }

    /// The admitted attempt signed the user in: settled in the transaction that opens the
    /// session, where the failures in a row start again from zero.
    pub(crate) async fn succeeded(
        &self,
        tx: &mut roster_store::Tx,
        attempt: &Attempt<'_>,
        admitted: Admitted,
    ) -> CoreResult<()> {
        login_attempts::settle(tx, admitted.id, true, false, None).await?;
        login_attempts::clear(tx, attempt.email_key).await?;
        Ok(())
    }

    /// Record a failed attempt (`admitted`: the one recorded as pending) or a refused one, count
    /// it towards the lock, and tell the user once when the password locks or the user's codes
    /// reach their limit. Under the attempt's locks, so that each of those mails goes once.
    async fn record_failure(
        &self,
        attempt: &Attempt<'_>,
        admitted: Option<Admitted>,
        reason: AttemptReason,
        counted: bool,
    ) -> CoreResult<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        login_attempts::serialize(&mut tx, &attempt.keys()).await?;
        match admitted {
            Some(admitted) => login_attempts::settle(&mut tx, admitted.id, false, counted, Some(reason)).await?,
            None => {
                self.write_attempt(&mut tx, attempt, false, counted, Some(reason)).await?;
            }
        }
        let locked = login_attempts::count_failure(&mut tx, attempt.email_key, LOCK_AFTER, Ts::new(now)).await?;
        let mut notices = Vec::new();
        if let (true, Some(_)) = (locked, attempt.user) {
            notices.push(payload::SecurityNotice::PasswordLocked);
        }
        if let (Factor::Mfa, Some(user), true) = (attempt.factor, attempt.user, counted) {
            let window = Ts::new(now - WINDOW);
            let cleared = login_attempts::lock_state(&mut tx, attempt.email_key).await?.cleared_at;
            let since = cleared.filter(|at| *at > window).unwrap_or(window);
            if login_attempts::settled_mfa_failures(&mut tx, user, since).await? == i64::from(MFA_PER_USER) {
                notices.push(payload::SecurityNotice::MfaLocked);
            }
        }
        if let Some(user) = attempt.user {
            for notice in notices {
                jobs::enqueue(&mut tx, &payload::SecurityMail { user_id: user, notice }, now).await?;
            }
        }
        self.commit(tx).await?;
        Ok(())
    }

    /// Write one attempt into the caller's transaction; its id.
    async fn write_attempt(
        &self,
        tx: &mut roster_store::Tx,
        attempt: &Attempt<'_>,
        success: bool,
        counted: bool,
        reason: Option<AttemptReason>,
    ) -> CoreResult<Uuid> {
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
        Ok(login_attempts::record(tx, &row).await?)
    }
}

/// A link mailed to one address (a confirmation or a reset link) goes at most once a minute and
/// 5 times an hour, however often it is asked for: asking is no way to flood a mailbox.
const LINK_GAP: Duration = Duration::minutes(1);
const LINKS_PER_HOUR: i64 = 5;

/// Seconds until a link of `purpose` may go to `address` of `user` again (0: now), counted from
/// the tokens issued for it.
pub(crate) async fn link_wait(
    exec: &mut impl Exec,
    user: UserId,
    purpose: crate::purpose::Purpose,
    address: &str,
    now: OffsetDateTime,
) -> CoreResult<u64> {
    let since = Ts::new(now - Duration::HOUR);
    let (sent, oldest, newest) = roster_store::tokens::issued_for(exec, user, purpose.as_str(), address, since).await?;
    let gap = newest.map(|at| at.get() + LINK_GAP);
    let hour = oldest.filter(|_| sent >= LINKS_PER_HOUR).map(|at| at.get() + Duration::HOUR);
    Ok(wait_until(now, [gap, hour]))
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
