//! `GET /v1/users/:id/export` (API.md §5; GDPR Art. 15 and 20): everything Roster stores about
//! a user, in one document, for the user itself or a platform admin.
//!
//! Everything is read in one transaction, so the parts agree with each other. Secrets are
//! never part of it: no password hash, session token hash, one-time token, code hash, TOTP
//! seed or recovery code: the rows that hold them are read through functions that do not
//! return those columns (of MFA, only when it was turned on), or not read at all. Push tokens are
//! cut to their last 6 characters by the HTTP view, as in their own list. An export is itself
//! recorded in the user's trail (`user.exported`, by whom), after it is read.

use roster_domain::UserId;
use roster_domain::activity::Action;
use roster_domain::user::{Membership, UserDetail};
use roster_domain::workspace::{Workspace, WorkspaceRole};
pub use roster_store::activities::Activity;
pub use roster_store::analytics::{Day, Summary};
pub use roster_store::announcements::Answer;
pub use roster_store::calendars::{Calendar, Event};
pub use roster_store::crm::Contact;
pub use roster_store::login_attempts::Attempt;
pub use roster_store::push_tokens::PushToken;
pub use roster_store::sessions::SessionRecord;
use roster_store::{Ts, activities, login_attempts};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::error::{CoreError, CoreResult, Denied};
use crate::jobs::handlers::day_of;
use crate::{Actor, Core, RequestMeta, access, activity};

/// Rows read per query while walking the long histories (activity, login attempts).
const BATCH: u32 = 500;
/// Events read per calendar (all of them: a calendar keeps at most 10 000).
const EVENTS_PER_CALENDAR: u32 = 10_000;

/// Everything stored about one user.
#[derive(Debug, Clone)]
pub struct Export {
    pub exported_at: OffsetDateTime,
    pub user: UserDetail,
    pub mfa_enabled_at: Option<OffsetDateTime>,
    /// Each membership with its account's name.
    pub memberships: Vec<(Membership, String)>,
    pub workspaces: Vec<(Workspace, WorkspaceRole)>,
    /// The configuration (`GET /v1/users/config`), defaults filled in.
    pub preferences: Value,
    pub push_tokens: Vec<PushToken>,
    pub sessions: Vec<SessionRecord>,
    pub login_history: Vec<Attempt>,
    pub activity: Vec<Activity>,
    pub calendars: Vec<(Calendar, Vec<Event>)>,
    pub announcements: Vec<Answer>,
    pub analytics: Summary,
    pub analytics_days: Vec<Day>,
    /// The CRM contacts that stand for the user in its accounts.
    pub contacts: Vec<Contact>,
}

impl Core {
    /// The export of user `id`: the user itself or a platform admin (another user who can see
    /// it → 403; one who cannot → 404).
    pub async fn export_user(&self, actor: &Actor, id: UserId, meta: &RequestMeta) -> CoreResult<Export> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let user = access::visible_user(&mut tx, &actor.user, id).await?;
        if user.id != actor.user.id && !actor.user.platform_admin {
            return Err(CoreError::Forbidden(Denied::OnlySelfOrPlatformAdmin));
        }
        let stored = roster_store::preferences::get(&mut tx, id).await?;
        let preferences = crate::preferences::effective(&user, stored.as_ref());
        let mfa_enabled_at = roster_store::mfa::enabled_at(&mut tx, id).await?.map(Ts::get);
        let mut calendars = Vec::new();
        for calendar in roster_store::calendars::of_user(&mut tx, id).await? {
            let events =
                roster_store::calendars::events(&mut tx, calendar.id, None, None, None, EVENTS_PER_CALENDAR).await?;
            calendars.push((calendar, events));
        }
        let since_7 = day_of(now - Duration::days(6));
        let since_30 = day_of(now - Duration::days(29));
        let export = Export {
            exported_at: now,
            memberships: roster_store::memberships::of_user(&mut tx, id).await?,
            workspaces: roster_store::workspaces::of_user(&mut tx, id).await?,
            preferences,
            mfa_enabled_at,
            push_tokens: roster_store::push_tokens::of_user(&mut tx, id).await?,
            sessions: roster_store::sessions::all_of_user(&mut tx, id).await?,
            login_history: all_attempts(&mut tx, id).await?,
            activity: all_activity(&mut tx, id).await?,
            calendars,
            announcements: roster_store::announcements::answers_of(&mut tx, id).await?,
            analytics: roster_store::analytics::summary(&mut tx, id, &since_7, &since_30).await?,
            analytics_days: roster_store::analytics::days_of(&mut tx, id).await?,
            contacts: roster_store::crm::of_user(&mut tx, id).await?,
            user: super::detail(&mut tx, user).await?,
        };
        activity::by(actor, meta, now)
            .record(&mut tx, id, actor.account_id, Action::UserExported, json!({"by": actor.user.id}))
            .await?;
        self.commit(tx).await?;
        Ok(export)
    }
}

/// Every login attempt of the user, newest first.
async fn all_attempts(tx: &mut roster_store::Tx, id: UserId) -> CoreResult<Vec<Attempt>> {
    let mut all: Vec<Attempt> = Vec::new();
    loop {
        let before = all.last().map(|a| a.id);
        let batch = login_attempts::history(tx, id, before, BATCH).await?;
        let done = batch.len() < BATCH as usize;
        all.extend(batch);
        if done {
            return Ok(all);
        }
    }
}

/// The user's whole audit trail, newest first.
async fn all_activity(tx: &mut roster_store::Tx, id: UserId) -> CoreResult<Vec<Activity>> {
    let mut all: Vec<Activity> = Vec::new();
    loop {
        let before = all.last().map(|a| a.id);
        let mut batch = activities::of_user(tx, id, before, BATCH).await?;
        let more = batch.len() > BATCH as usize;
        batch.truncate(BATCH as usize);
        all.extend(batch);
        if !more {
            return Ok(all);
        }
    }
}
