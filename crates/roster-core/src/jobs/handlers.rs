//! What each kind of job does. Handlers are idempotent: delivery is at least once, so a job may
//! run again after a crash or a lost lease, and running it twice must do no harm beyond a
//! repeated message.

use roster_domain::user::{User, UserStatus};
use roster_domain::{AccountId, UserId};
use roster_store::job_queue::Claimed;
use roster_store::{Ts, analytics, crm, memberships, preferences, tokens, users};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

use super::{enqueue_child, kind};
use crate::Core;
use crate::error::CoreError;
use crate::notify::{DeliveryError, Notifier, Template};

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
        match job.kind.as_str() {
            "email.verification" => self.token_mail(payload, false).await,
            "email.invitation" => self.token_mail(payload, true).await,
            "email.welcome" => self.welcome_mail(payload).await,
            "sms.send" => self.sms(payload).await,
            "push.send" => self.push(payload).await,
            "onboarding.welcome" => self.onboarding_welcome(job.id, payload).await,
            "onboarding.dashboard" => self.onboarding_dashboard(payload).await,
            "onboarding.sync" => self.child(job.id, kind::SYNC_MEMBER, payload.clone()).await,
            "analytics.init" => self.analytics_init(payload).await,
            "analytics.activity" => self.analytics_activity(payload).await,
            "sync.member" => self.sync_member(payload).await,
            "event.deliver" => self.event(payload).await,
            other => Err(JobError::Dead(format!("unknown job kind {other:?}"))),
        }
    }

    /// The user a payload names, if it still exists and is not deleted.
    async fn live_user(&self, payload: &Value) -> Result<Option<User>, JobError> {
        let id = field_uuid(payload, "user_id")?;
        let mut conn = self.core.db.conn().await?;
        let user = users::find(&mut conn, UserId::from_uuid(id)).await?;
        Ok(user.filter(|u| u.status != UserStatus::Deleted))
    }

    /// Mint the token now (only its hash is stored, see `issue_token`) and mail its link.
    async fn token_mail(&self, payload: &Value, invitation: bool) -> Outcome {
        let Some(user) = self.live_user(payload).await? else { return Ok(()) };
        let token_id = field_uuid(payload, "token_id")?;
        let (token, hash) = crate::secrets::new_token();
        // One statement, so no transaction around it: it commits on its own.
        let mut conn = self.core.db.write_conn().await?;
        let live = tokens::rotate(&mut conn, token_id, &hash, Ts::new(self.core.now())).await?;
        drop(conn);
        if live.is_none() {
            // Used, expired or replaced by a newer one: the message would carry a dead link.
            return Ok(());
        }
        let template = if invitation {
            let inviter = match payload.get("invited_by").and_then(Value::as_str).and_then(|s| s.parse().ok()) {
                Some(id) => {
                    let mut conn = self.core.db.conn().await?;
                    users::find(&mut conn, UserId::from_uuid(id)).await?.map(|u| u.name)
                }
                None => None,
            };
            Template::Invitation { name: user.name.clone(), inviter, link: self.notifier.link("accept-invite", &token) }
        } else {
            Template::EmailVerification { name: user.name.clone(), link: self.notifier.link("verify-email", &token) }
        };
        self.notifier.send_mail(&template.render(&user.email)).await?;
        Ok(())
    }

    async fn welcome_mail(&self, payload: &Value) -> Outcome {
        let Some(user) = self.live_user(payload).await? else { return Ok(()) };
        self.notifier.send_mail(&Template::Welcome { name: user.name.clone() }.render(&user.email)).await?;
        Ok(())
    }

    async fn sms(&self, payload: &Value) -> Outcome {
        let to = field_str(payload, "to")?;
        let body = field_str(payload, "body")?;
        self.notifier.send_sms(to, body).await?;
        Ok(())
    }

    async fn push(&self, payload: &Value) -> Outcome {
        let tokens: Vec<String> = serde_json::from_value(payload.get("tokens").cloned().unwrap_or_default())
            .map_err(|_| JobError::Dead("payload.tokens must be a list of strings".into()))?;
        let title = field_str(payload, "title")?;
        let body = field_str(payload, "body")?;
        self.notifier.send_push(&tokens, title, body, payload.get("data").unwrap_or(&Value::Null)).await?;
        Ok(())
    }

    /// The welcome email is a product message: it follows the user's email preferences.
    async fn onboarding_welcome(&self, parent: uuid::Uuid, payload: &Value) -> Outcome {
        let Some(user) = self.live_user(payload).await? else { return Ok(()) };
        let mut conn = self.core.db.conn().await?;
        let stored = preferences::get(&mut conn, user.id).await?.unwrap_or_default();
        drop(conn);
        let wanted = stored.pointer("/notifications/email/product").and_then(Value::as_bool).unwrap_or(true);
        if !wanted {
            return Ok(());
        }
        self.child(parent, kind::EMAIL_WELCOME, json!({"user_id": user.id})).await
    }

    async fn child(&self, parent: uuid::Uuid, kind: super::JobKind, payload: Value) -> Outcome {
        let mut tx = self.core.db.begin().await?;
        enqueue_child(&mut tx, parent, kind, payload, self.core.now()).await?;
        tx.commit().await?;
        self.core.wake_workers();
        Ok(())
    }

    /// Give a new user the default dashboard, unless one is already there.
    async fn onboarding_dashboard(&self, payload: &Value) -> Outcome {
        let Some(user) = self.live_user(payload).await? else { return Ok(()) };
        let mut tx = self.core.db.begin().await?;
        let mut stored = preferences::get(&mut tx, user.id).await?.unwrap_or_else(|| json!({}));
        let empty = stored.get("dashboard").is_none_or(|d| d.as_object().is_some_and(|o| o.is_empty()));
        if empty {
            stored["dashboard"] = crate::preferences::default_dashboard();
            preferences::upsert(&mut tx, user.id, &stored, Ts::new(self.core.now())).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn analytics_init(&self, payload: &Value) -> Outcome {
        let Some(user) = self.live_user(payload).await? else { return Ok(()) };
        let mut tx = self.core.db.begin().await?;
        analytics::init(&mut tx, user.id, Ts::new(self.core.now())).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn analytics_activity(&self, payload: &Value) -> Outcome {
        let user = UserId::from_uuid(field_uuid(payload, "user_id")?);
        let day = field_str(payload, "day")?;
        let start = time::Date::parse(day, format_description!("[year]-[month]-[day]"))
            .map_err(|_| JobError::Dead(format!("payload.day {day:?} is not a date")))?
            .midnight()
            .assume_utc();
        let mut tx = self.core.db.begin().await?;
        analytics::recompute_day(&mut tx, user, day, Ts::new(start), Ts::new(start + time::Duration::days(1))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keep the member's CRM contact and the account's seat count in step with the user.
    async fn sync_member(&self, payload: &Value) -> Outcome {
        let user_id = UserId::from_uuid(field_uuid(payload, "user_id")?);
        let account = AccountId::from_uuid(field_uuid(payload, "account_id")?);
        let now = Ts::new(self.core.now());
        let mut tx = self.core.db.begin().await?;
        // Locked before reading the user: two runs for one member (after two quick profile
        // changes) then write in turn, each what it read, so the later one's values stay.
        roster_store::accounts::lock(&mut tx, account).await?;
        let user = users::find(&mut tx, user_id).await?.filter(|u| u.status != UserStatus::Deleted);
        let member = memberships::of_user(&mut tx, user_id).await?.into_iter().any(|(m, _)| m.account_id == account);
        match user {
            Some(user) if member => crm::upsert(&mut tx, account, user_id, &user.name, &user.email, None, now).await?,
            _ => crm::remove(&mut tx, account, user_id).await?,
        }
        roster_store::accounts::refresh_seats(&mut tx, account, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn event(&self, payload: &Value) -> Outcome {
        let event = payload.get("event").ok_or_else(|| JobError::Dead("payload.event is missing".into()))?;
        let event: crate::notify::Event =
            serde_json::from_value(event.clone()).map_err(|e| JobError::Dead(format!("payload.event: {e}")))?;
        self.notifier.send_event(&event).await?;
        Ok(())
    }
}

fn field_str<'a>(payload: &'a Value, name: &str) -> Result<&'a str, JobError> {
    payload.get(name).and_then(Value::as_str).ok_or_else(|| JobError::Dead(format!("payload.{name} is missing")))
}

fn field_uuid(payload: &Value, name: &str) -> Result<uuid::Uuid, JobError> {
    field_str(payload, name)?.parse().map_err(|_| JobError::Dead(format!("payload.{name} is not an id")))
}

/// The UTC day of `at`, as analytics rows name it.
pub fn day_of(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02}", at.year(), u8::from(at.month()), at.day())
}
