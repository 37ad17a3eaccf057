//! Announcements as admins manage them and as each user sees and answers them.

use roster_core::announcements::{Announcement, Answer, Shown};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::rfc3339;

#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementView {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    #[schema(format = DateTime)]
    pub starts_at: String,
    #[schema(format = DateTime)]
    pub ends_at: Option<String>,
    pub account_id: Option<Uuid>,
    pub notify: bool,
    pub created_by: Option<Uuid>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&Announcement> for AnnouncementView {
    fn from(a: &Announcement) -> Self {
        AnnouncementView {
            id: a.id.as_uuid(),
            title: a.title.clone(),
            body: a.body.clone(),
            starts_at: rfc3339(a.starts_at.get()),
            ends_at: a.ends_at.map(|t| rfc3339(t.get())),
            account_id: a.account_id,
            notify: a.notify,
            created_by: a.created_by,
            created_at: rfc3339(a.created_at.get()),
            updated_at: rfc3339(a.updated_at.get()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyAnnouncementView {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    #[schema(format = DateTime)]
    pub starts_at: String,
    #[schema(format = DateTime)]
    pub ends_at: Option<String>,
    pub account_id: Option<Uuid>,
    #[schema(value_type = ShownStatus)]
    pub status: String,
    /// When a snooze ended (it is shown again after it).
    #[schema(format = DateTime)]
    pub snooze_until: Option<String>,
}

impl From<&Shown> for MyAnnouncementView {
    fn from(s: &Shown) -> Self {
        let a = &s.announcement;
        MyAnnouncementView {
            id: a.id.as_uuid(),
            title: a.title.clone(),
            body: a.body.clone(),
            starts_at: rfc3339(a.starts_at.get()),
            ends_at: a.ends_at.map(|t| rfc3339(t.get())),
            account_id: a.account_id,
            status: s.status.clone().unwrap_or_else(|| "new".to_owned()),
            snooze_until: s.snooze_until.map(|t| rfc3339(t.get())),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerView {
    pub announcement_id: Uuid,
    #[schema(value_type = AnswerStatus)]
    pub status: String,
    #[schema(format = DateTime)]
    pub snooze_until: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&Answer> for AnswerView {
    fn from(a: &Answer) -> Self {
        AnswerView {
            announcement_id: a.announcement_id.as_uuid(),
            status: a.status.clone(),
            snooze_until: a.snooze_until.map(|t| rfc3339(t.get())),
            updated_at: rfc3339(a.updated_at.get()),
        }
    }
}

/// The caller's status of an announcement: `new` until it answers.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code, reason = "a schema of the values only")]
pub enum ShownStatus {
    New,
    Seen,
    Snoozed,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AnswerStatus {
    Seen,
    Dismissed,
    Snoozed,
}

impl AnswerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerStatus::Seen => "seen",
            AnswerStatus::Dismissed => "dismissed",
            AnswerStatus::Snoozed => "snoozed",
        }
    }
}
