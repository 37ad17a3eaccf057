//! What each kind of job does, one file per queue. Handlers are idempotent: delivery is at
//! least once, so a job may run again after a crash or a lost lease, and running it twice must
//! do no harm beyond a repeated message.
//!
//! A job's payload is decoded into the type of its kind ([`super::payload`]) before its handler
//! runs: a payload that does not decode, or a kind this build does not know, is dead at once.

mod access;
mod analytics;
mod announcements;
mod notifications;
mod onboarding;
mod sync;

use roster_domain::UserId;
use roster_domain::user::{User, UserStatus};
use roster_store::job_queue::Claimed;
use roster_store::users;
use serde_json::Value;
use time::OffsetDateTime;

use super::payload::Payload;
use super::{Kind, enqueue_child};
use crate::Core;
use crate::error::CoreError;
use crate::notify::{DeliveryError, Notifier};

/// Why a job did not finish.
#[derive(Debug)]
pub enum JobError {
    /// Worth another try later (a provider down, a timeout, the database busy).
    Retry(String),
    /// Will never succeed (a malformed payload, an unknown kind).
    Dead(String),
}

impl From<CoreError> for JobError {
    fn from(e: CoreError) -> Self {
        JobError::Retry(e.to_string())
    }
}

impl From<roster_store::StoreError> for JobError {
    fn from(e: roster_store::StoreError) -> Self {
        JobError::Retry(e.to_string())
    }
}

impl From<DeliveryError> for JobError {
    fn from(e: DeliveryError) -> Self {
        match e {
            // Nothing to deliver to until an operator configures it; retrying cannot help yet,
            // but the job stays visible (dead) and can be retried from the admin API.
            DeliveryError::NotConfigured(what) => JobError::Dead(format!("{what} is not set")),
            // Refused for good: ten tries would hear the same ten times.
            DeliveryError::Permanent(why) | DeliveryError::Gone(why) => JobError::Dead(format!("refused: {why}")),
            other => JobError::Retry(other.to_string()),
        }
    }
}

type Outcome = Result<(), JobError>;

#[derive(Clone)]
pub struct Handlers {
    core: Core,
    notifier: Notifier,
}

impl Handlers {
    pub fn new(core: Core, notifier: Notifier) -> Self {
        Self { core, notifier }
    }

    pub async fn run(&self, job: &Claimed) -> Outcome {
        let payload = &job.payload.0;
        if payload.get("redacted").and_then(Value::as_bool) == Some(true) {
            // A purge emptied this job (`jobs::redact_for_user`): there is nothing left to send,
            // and the purge recorded the jobs that still had to run.
            return Ok(());
        }
        let Some(kind) = Kind::from_name(&job.kind) else {
            return Err(JobError::Dead(format!("unknown job kind {:?}", job.kind)));
        };
        match kind {
            Kind::EmailVerification => self.verification_mail(decode(payload)?).await,
            Kind::EmailInvitation => self.invitation_mail(decode(payload)?).await,
            Kind::EmailWelcome => self.welcome_mail(decode(payload)?).await,
            Kind::EmailMemberAdded => self.member_added_mail(decode(payload)?).await,
            Kind::EmailAccessChanged => self.access_changed_mail(decode(payload)?).await,
            Kind::EmailPasswordChanged => self.password_changed_mail(decode(payload)?).await,
            Kind::EmailSecurity => self.security_mail(job.id, decode(payload)?).await,
            Kind::EmailRecovery => self.recovery_mail(decode(payload)?).await,
            Kind::RecoveryRequest => self.recovery_request(decode(payload)?).await,
            Kind::EmailConfirm => self.confirm_email_mail(decode(payload)?).await,
            Kind::AnnouncementNotify => self.announcement_notify(job.id, decode(payload)?).await,
            Kind::EmailAnnouncement => self.announcement_mail(decode(payload)?).await,
            Kind::PermissionsChanged => self.permissions_changed(job.id, decode(payload)?).await,
            Kind::Sms => self.sms(decode(payload)?).await,
            Kind::Push => self.push(decode(payload)?).await,
            Kind::OnboardingWelcome => self.onboarding_welcome(job.id, decode(payload)?).await,
            Kind::OnboardingDashboard => self.onboarding_dashboard(decode(payload)?).await,
            Kind::OnboardingSync => self.onboarding_sync(job.id, decode(payload)?).await,
            Kind::AnalyticsInit => self.analytics_init(decode(payload)?).await,
            Kind::AnalyticsActivity => self.analytics_activity(decode(payload)?).await,
            Kind::SyncMember => self.sync_member(decode(payload)?).await,
            Kind::CalendarSync => self.calendar_sync(decode(payload)?).await,
            Kind::Event => self.event(decode(payload)?).await,
        }
    }

    /// The user `id`, if it still exists and is not deleted.
    async fn live_user(&self, id: UserId) -> Result<Option<User>, JobError> {
        let mut conn = self.core.db.conn().await?;
        let user = users::find(&mut conn, id).await?;
        Ok(user.filter(|u| u.status != UserStatus::Deleted))
    }

    /// Whether `user` takes product mail (`notifications.email.product`, on unless turned off).
    async fn wants_product_mail(&self, user: &User) -> Result<bool, JobError> {
        let mut conn = self.core.db.conn().await?;
        let stored = roster_store::preferences::get(&mut conn, user.id).await?.unwrap_or_default();
        Ok(stored.pointer("/notifications/email/product").and_then(Value::as_bool).unwrap_or(true))
    }

    /// Record a job on behalf of job `parent` (its id derived from the parent's, so a parent
    /// that runs twice records it once).
    async fn child<P: Payload>(&self, parent: roster_domain::JobId, payload: &P) -> Outcome {
        let mut tx = self.core.db.begin().await?;
        enqueue_child(&mut tx, parent, payload, self.core.now()).await?;
        self.core.commit(tx).await?;
        Ok(())
    }
}

/// The payload of a job of kind `P::KIND`; one that does not decode never will.
fn decode<P: Payload>(payload: &Value) -> Result<P, JobError> {
    P::deserialize(payload).map_err(|e| JobError::Dead(format!("payload of {}: {e}", P::KIND.name())))
}

/// The UTC day of `at`, as analytics rows name it.
pub fn day_of(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02}", at.year(), u8::from(at.month()), at.day())
}
