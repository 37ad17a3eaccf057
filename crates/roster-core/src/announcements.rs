//! Announcements (API.md §5 and the contact-channels issue §6): platform admins write them, for
//! everyone or for the members of one account and its sub-accounts, shown between `starts_at`
//! and `ends_at`; with `notify` each recipient is mailed once, by its `product` preference,
//! through the notifications queue in batches (jobs::handlers::announcements). Users see the
//! active ones with their own answer (seen, dismissed, snoozed until a time).

use roster_domain::activity::Action;
use roster_domain::user::AccountStatus;
use roster_domain::{AccountId, AnnouncementId, FieldErrors, UserId};
use roster_store::announcements;
pub use roster_store::announcements::{Announcement, Answer, Shown};
use roster_store::{Ts, accounts};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::error::{CoreError, CoreResult, Denied};
use crate::jobs::{self, payload};
use crate::paging::{Page, page_limit};
use crate::{Actor, Core, RequestMeta, access, activity};

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 10_000;
pub const STATUSES: [&str; 3] = ["seen", "dismissed", "snoozed"];

/// `POST /v1/announcements` (times in RFC 3339).
#[derive(Debug, Clone, Default)]
pub struct NewAnnouncement {
    pub title: String,
    pub body: String,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub account_id: Option<Uuid>,
    pub notify: bool,
}

/// `PUT /v1/announcements/:id`: what is given changes (`Some(None)` clears `ends_at` or
/// `account_id`).
#[derive(Debug, Clone, Default)]
pub struct AnnouncementChange {
    pub title: Option<String>,
    pub body: Option<String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<Option<String>>,
    pub account_id: Option<Option<Uuid>>,
}

impl Core {
    pub async fn create_announcement(
        &self,
        actor: &Actor,
        new: NewAnnouncement,
        meta: &RequestMeta,
    ) -> CoreResult<Announcement> {
        admin_only(actor)?;
        let now = self.now();
        let mut errors = FieldErrors::new();
        let title = text(&mut errors, "title", &new.title, TITLE_MAX);
        let body = text(&mut errors, "body", &new.body, BODY_MAX);
        let starts_at = new.starts_at.as_deref().and_then(|t| when(&mut errors, "starts_at", t)).unwrap_or(now);
        let ends_at = new.ends_at.as_deref().and_then(|t| when(&mut errors, "ends_at", t));
        let draft = Announcement {
            id: AnnouncementId::new(),
            title,
            body,
            starts_at: Ts::new(starts_at),
            ends_at: ends_at.map(Ts::new),
            account_id: new.account_id,
            notify: new.notify,
            created_by: Some(actor.user.id.as_uuid()),
            created_at: Ts::new(now),
            updated_at: Ts::new(now),
        };
        let mut tx = self.db.begin().await?;
        check(&mut tx, &draft, errors).await?;
        announcements::save(&mut tx, &draft).await?;
        if draft.notify {
            jobs::enqueue(&mut tx, &payload::AnnouncementNotify { announcement_id: draft.id, after: None }, now)
                .await?;
        }
        let changes = json!({"announcement_id": draft.id, "title": draft.title, "account_id": draft.account_id,
            "notify": draft.notify});
        activity::by(actor, meta, now)
            .record(&mut tx, actor.user.id, None, Action::AnnouncementCreated, changes)
            .await?;
        self.commit(tx).await?;
        Ok(draft)
    }

    /// Every announcement, newest first.
    pub async fn announcements(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> CoreResult<Page<Announcement>> {
        admin_only(actor)?;
        let mut errors = FieldErrors::new();
        let limit = page_limit(&mut errors, limit);
        errors.into_result().map_err(CoreError::Validation)?;
        let before = self.cursor_id("announcements", cursor)?;
        let mut conn = self.db.conn().await?;
        let found = announcements::page(&mut conn, before, i64::from(limit) + 1).await?;
        Ok(self.id_page("announcements", found, limit, |a| a.id))
    }

    pub async fn update_announcement(
        &self,
        actor: &Actor,
        id: AnnouncementId,
        change: AnnouncementChange,
        meta: &RequestMeta,
    ) -> CoreResult<Announcement> {
        admin_only(actor)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let before = announcements::find(&mut tx, id).await?.ok_or(CoreError::NotFound)?;
        let mut errors = FieldErrors::new();
        let mut next = Announcement { updated_at: Ts::new(now), ..before.clone() };
        if let Some(title) = &change.title {
            next.title = text(&mut errors, "title", title, TITLE_MAX);
        }
        if let Some(body) = &change.body {
            next.body = text(&mut errors, "body", body, BODY_MAX);
        }
        if let Some(starts) = change.starts_at.as_deref().and_then(|t| when(&mut errors, "starts_at", t)) {
            next.starts_at = Ts::new(starts);
        }
        if let Some(ends) = &change.ends_at {
            next.ends_at = ends.as_deref().and_then(|t| when(&mut errors, "ends_at", t)).map(Ts::new);
        }
        if let Some(account) = change.account_id {
            next.account_id = account;
        }
        check(&mut tx, &next, errors).await?;
        announcements::save(&mut tx, &next).await?;
        let changes = json!({"announcement_id": id, "title": next.title, "account_id": next.account_id});
        activity::by(actor, meta, now)
            .record(&mut tx, actor.user.id, None, Action::AnnouncementUpdated, changes)
            .await?;
        self.commit(tx).await?;
        Ok(next)
    }

    pub async fn delete_announcement(&self, actor: &Actor, id: AnnouncementId, meta: &RequestMeta) -> CoreResult<()> {
        admin_only(actor)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !announcements::delete(&mut tx, id).await? {
            return Err(CoreError::NotFound);
        }
        let changes = json!({"announcement_id": id});
        activity::by(actor, meta, now)
            .record(&mut tx, actor.user.id, None, Action::AnnouncementDeleted, changes)
            .await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// `GET /v1/users/announcements`: the caller's active announcements, with its answers.
    pub async fn my_announcements(&self, actor: &Actor) -> CoreResult<Vec<Shown>> {
        let mut conn = self.db.conn().await?;
        Ok(announcements::active_for(&mut conn, actor.user.id, Ts::new(self.now())).await?)
    }

    /// `PUT /v1/users/:id/announcement/:announcementId`: the caller's answer (self only; another
    /// user is 404 when the caller cannot see it, else 403). A
    /// snooze needs a `snooze_until` in the future; only a snooze takes one.
    pub async fn answer_announcement(
        &self,
        actor: &Actor,
        user: UserId,
        announcement: AnnouncementId,
        status: &str,
        snooze_until: Option<&str>,
    ) -> CoreResult<Answer> {
        if user != actor.user.id {
            // Someone the caller cannot see is not there (404); someone it can see is not its
            // to answer for (403).
            let mut conn = self.db.conn().await?;
            access::visible_user(&mut conn, &actor.user, user).await?;
            return Err(CoreError::Forbidden(Denied::OnlySelf));
        }
        let now = self.now();
        let mut errors = FieldErrors::new();
        if !STATUSES.contains(&status) {
            errors.add("status", "invalid_value", "must be seen, dismissed or snoozed");
        }
        let until = snooze_until.and_then(|t| when(&mut errors, "snooze_until", t));
        match (status, until) {
            ("snoozed", None) if snooze_until.is_none() => {
                errors.add("snooze_until", "required", "a snooze needs the time it ends");
            }
            ("snoozed", Some(until)) if until <= now => {
                errors.add("snooze_until", "not_in_future", "must be later than now");
            }
            ("seen" | "dismissed", _) if snooze_until.is_some() => {
                errors.add("snooze_until", "not_allowed", "only a snooze has an end");
            }
            _ => {}
        }
        errors.into_result().map_err(CoreError::Validation)?;
        let mut tx = self.db.begin().await?;
        let found = announcements::find(&mut tx, announcement).await?.ok_or(CoreError::NotFound)?;
        if !announcements::in_audience(&mut tx, user, found.account_id).await? {
            return Err(CoreError::NotFound);
        }
        let answer = Answer {
            announcement_id: announcement,
            status: status.to_owned(),
            snooze_until: until.map(Ts::new),
            updated_at: Ts::new(now),
        };
        announcements::answer(&mut tx, user, &answer).await?;
        self.commit(tx).await?;
        Ok(answer)
    }
}

fn admin_only(actor: &Actor) -> CoreResult<()> {
    if actor.user.platform_admin { Ok(()) } else { Err(CoreError::Forbidden(Denied::PlatformAdminOnly)) }
}

/// Trimmed, 1 to `max` characters, no control characters (a body may break lines: the title is
/// also a mail's subject, and stays on one).
fn text(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let value = value.trim();
    let multiline = field == "body";
    if value.is_empty() {
        errors.add(field, "required", "must not be empty");
    } else if value.chars().count() > max {
        errors.add(field, "too_long", format!("must be at most {max} characters"));
    } else if value.chars().any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
        errors.add(field, "invalid_characters", "must not contain control characters");
    }
    value.to_owned()
}

fn when(errors: &mut FieldErrors, field: &str, value: &str) -> Option<OffsetDateTime> {
    let parsed = OffsetDateTime::parse(value, &Rfc3339).ok();
    if parsed.is_none() {
        errors.add(field, "invalid_datetime", "must be an RFC 3339 date-time such as 2026-11-24T10:00:00Z");
    }
    parsed
}

/// The rules that need the database (a live account) and the others' verdict, together.
async fn check(tx: &mut roster_store::Tx, a: &Announcement, mut errors: FieldErrors) -> CoreResult<()> {
    if a.ends_at.is_some_and(|ends| ends <= a.starts_at) {
        errors.add("ends_at", "before_start", "must be later than starts_at");
    }
    if let Some(account) = a.account_id {
        let live =
            accounts::find(tx, AccountId::from_uuid(account)).await?.filter(|acc| acc.status != AccountStatus::Deleted);
        if live.is_none() {
            errors.add("account_id", "unknown_account", "no such account");
        }
    }
    errors.into_result().map_err(CoreError::Validation)
}
