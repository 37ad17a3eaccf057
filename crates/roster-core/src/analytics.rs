//! `GET /v1/users/:id/analytics`: engagement aggregated by the analytics queue.

use roster_domain::UserId;
use roster_store::analytics;
use time::{Duration, OffsetDateTime};

use crate::error::CoreResult;
use crate::jobs::handlers::day_of;
use crate::{Actor, Core, access};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engagement {
    pub logins_7d: i64,
    pub logins_30d: i64,
    pub active_days_30d: i64,
    pub last_active_at: Option<OffsetDateTime>,
}

impl Core {
    /// The user itself, or `users.read` in one of its accounts (like reading the user).
    pub async fn user_analytics(&self, actor: &Actor, id: UserId) -> CoreResult<Engagement> {
        let mut conn = self.db.conn().await?;
        let target = access::visible_user(&mut conn, &actor.user, id).await?;
        let today = self.now();
        // Windows of whole UTC days, today included.
        let since_7 = day_of(today - Duration::days(6));
        let since_30 = day_of(today - Duration::days(29));
        let summary = analytics::summary(&mut conn, target.id, &since_7, &since_30).await?;
        Ok(Engagement {
            logins_7d: summary.logins_7d,
            logins_30d: summary.logins_30d,
            active_days_30d: summary.active_days_30d,
            last_active_at: summary.last_active_at.map(roster_store::Ts::get),
        })
    }
}

/// Successful sign-ins on each of the last `days` UTC days, oldest first, today last.
pub struct SignInDays {
    pub days: Vec<(time::Date, u32)>,
}

impl Core {
    /// The user's successful sign-ins per UTC day over the last `days` days (at most 90, as
    /// long as attempts are kept), read from the login history; for whoever may see the user.
    pub async fn sign_ins_per_day(&self, actor: &Actor, id: UserId, days: u16) -> CoreResult<SignInDays> {
        let days = days.clamp(1, 90);
        let mut conn = self.db.conn().await?;
        let target = access::visible_user(&mut conn, &actor.user, id).await?;
        let today = self.now().date();
        let first = today - Duration::days(i64::from(days) - 1);
        let since = roster_store::Ts::new(first.midnight().assume_utc());
        let times = roster_store::login_attempts::successes_since(&mut conn, target.id, since).await?;
        let mut counts = vec![0u32; usize::from(days)];
        for at in times {
            let offset = (at.get().date() - first).whole_days();
            if let Some(count) = usize::try_from(offset).ok().and_then(|i| counts.get_mut(i)) {
                *count += 1;
            }
        }
        let days = counts.into_iter().enumerate().map(|(i, n)| (first + Duration::days(i as i64), n)).collect();
        Ok(SignInDays { days })
    }
}
