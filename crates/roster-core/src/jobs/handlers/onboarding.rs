//! The onboarding queue: what a new user gets after signing up (welcome, dashboard, sync).

use roster_store::{Ts, preferences};
use serde_json::json;

use super::{Handlers, Outcome};
use crate::jobs::payload::{OnboardingDashboard, OnboardingSync, OnboardingWelcome, SyncMember, WelcomeMail};

impl Handlers {
    /// The welcome email is a product message: it follows the user's email preferences.
    pub(super) async fn onboarding_welcome(&self, parent: roster_domain::JobId, job: OnboardingWelcome) -> Outcome {
        let Some(user) = self.live_user(job.0.user_id).await? else { return Ok(()) };
        if !self.wants_product_mail(&user).await? {
            return Ok(());
        }
        self.child(parent, &WelcomeMail { user_id: user.id }).await
    }

    /// Give a new user the default dashboard, unless one is already there.
    pub(super) async fn onboarding_dashboard(&self, job: OnboardingDashboard) -> Outcome {
        let Some(user) = self.live_user(job.0.user_id).await? else { return Ok(()) };
        let mut tx = self.core.db.begin().await?;
        let mut stored = preferences::get(&mut tx, user.id).await?.unwrap_or_else(|| json!({}));
        let empty = stored.get("dashboard").is_none_or(|d| d.as_object().is_some_and(serde_json::Map::is_empty));
        if empty {
            stored["dashboard"] = crate::preferences::default_dashboard();
            preferences::upsert(&mut tx, user.id, &stored, Ts::new(self.core.now())).await?;
        }
        self.core.commit(tx).await?;
        Ok(())
    }

    /// Bring the new member into its account's records: a sync job of its own.
    pub(super) async fn onboarding_sync(&self, parent: roster_domain::JobId, job: OnboardingSync) -> Outcome {
        self.child(parent, &SyncMember { user_id: job.0.user_id, account_id: job.0.account_id }).await
    }
}
