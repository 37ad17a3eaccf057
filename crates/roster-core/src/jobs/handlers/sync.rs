//! The sync queue: CRM contacts and seat counts that follow the users, calendar feeds, and
//! outbound events.

use roster_domain::user::UserStatus;
use roster_store::{Ts, crm, memberships, users};

use super::{Handlers, Outcome};
use crate::jobs::payload::{CalendarSync, EventDelivery, SyncMember};

impl Handlers {
    /// Keep the member's CRM contact and the account's seat count in step with the user.
    pub(super) async fn sync_member(&self, job: SyncMember) -> Outcome {
        let SyncMember { user_id, account_id: account } = job;
        let now = Ts::new(self.core.now());
        let mut tx = self.core.db.begin().await?;
        // Locked before reading the user: two runs for one member (after two quick profile
        // changes) then write in turn, each what it read, so the later one's values stay.
        roster_store::accounts::lock(&mut tx, account).await?;
        let user = users::find(&mut tx, user_id).await?.filter(|u| u.status != UserStatus::Deleted);
        let member = memberships::of_user(&mut tx, user_id).await?.into_iter().any(|(m, _)| m.account_id == account);
        match user {
            Some(user) if member => {
                let phone = roster_store::user_phones::primary_number(&mut tx, user_id).await?;
                crm::upsert(&mut tx, account, user_id, &user.name, &user.email, phone.as_deref(), now).await?;
            }
            _ => crm::remove(&mut tx, account, user_id).await?,
        }
        roster_store::accounts::refresh_seats(&mut tx, account, now).await?;
        self.core.commit(tx).await?;
        Ok(())
    }

    /// Fetch a calendar feed and record what came of it (`Core::sync_calendar`, which also
    /// queues the next fetch).
    pub(super) async fn calendar_sync(&self, job: CalendarSync) -> Outcome {
        self.core.sync_calendar(job).await?;
        Ok(())
    }

    pub(super) async fn event(&self, job: EventDelivery) -> Outcome {
        self.notifier.send_event(&job.event).await?;
        Ok(())
    }
}
