//! The analytics queue: each user's daily activity, folded from the audit trail.

use roster_store::{Ts, analytics};
use time::macros::format_description;

use super::{Handlers, JobError, Outcome};
use crate::jobs::payload::{AnalyticsActivity, AnalyticsInit};

impl Handlers {
    pub(super) async fn analytics_init(&self, job: AnalyticsInit) -> Outcome {
        let Some(user) = self.live_user(job.0.user_id).await? else { return Ok(()) };
        let mut tx = self.core.db.begin().await?;
        analytics::init(&mut tx, user.id, Ts::new(self.core.now())).await?;
        self.core.commit(tx).await?;
        Ok(())
    }

    pub(super) async fn analytics_activity(&self, job: AnalyticsActivity) -> Outcome {
        let day = job.day.as_str();
        let start = time::Date::parse(day, format_description!("[year]-[month]-[day]"))
            .map_err(|_| JobError::Dead(format!("payload.day {day:?} is not a date")))?
            .midnight()
            .assume_utc();
        let mut tx = self.core.db.begin().await?;
        // Two runs of one day may overlap (a run queued again while it ran, see
        // `enqueue_coalesced`): the user's row lock makes the later one count after the earlier
        // commits, so the last write counts everything (PostgreSQL; SQLite has one writer).
        roster_store::users::lock(&mut tx, job.user_id).await?;
        let end = Ts::new(start + time::Duration::days(1));
        analytics::recompute_day(&mut tx, job.user_id, day, Ts::new(start), end).await?;
        self.core.commit(tx).await?;
        Ok(())
    }
}
