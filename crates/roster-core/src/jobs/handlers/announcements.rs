//! Announcements by email: the audience in batches (`announcement.notify`), then one message per
//! recipient (`email.announcement`), each a child of the batch that found it so that a batch
//! run twice records each message once.

use roster_store::announcements;
use uuid::Uuid;

use super::{Handlers, Outcome};
use crate::jobs::payload::{AnnouncementMail, AnnouncementNotify};
use crate::notify::Template;

/// Recipients recorded per run of `announcement.notify`.
const BATCH: i64 = 200;

impl Handlers {
    pub(super) async fn announcement_notify(&self, parent: roster_domain::JobId, job: AnnouncementNotify) -> Outcome {
        let mut conn = self.core.db.conn().await?;
        let Some(found) = announcements::find(&mut conn, job.announcement_id).await? else { return Ok(()) };
        let after = job.after.map_or(Uuid::nil(), |u| u.as_uuid());
        let batch = announcements::recipients(&mut conn, found.account_id, after, BATCH).await?;
        drop(conn);
        let now = self.core.now();
        let mut tx = self.core.db.begin().await?;
        for user in &batch {
            let mail = AnnouncementMail { announcement_id: found.id, user_id: *user };
            crate::jobs::enqueue_child_keyed(&mut tx, parent, user.as_uuid().as_bytes(), &mail, now).await?;
        }
        if let Some(last) = batch.last().filter(|_| batch.len() as i64 == BATCH) {
            let next = AnnouncementNotify { announcement_id: found.id, after: Some(*last) };
            crate::jobs::enqueue_child_keyed(&mut tx, parent, b"next batch", &next, now).await?;
        }
        self.core.commit(tx).await?;
        Ok(())
    }

    pub(super) async fn announcement_mail(&self, job: AnnouncementMail) -> Outcome {
        let Some(user) = self.live_user(job.user_id).await? else { return Ok(()) };
        let found = {
            let mut conn = self.core.db.conn().await?;
            announcements::find(&mut conn, job.announcement_id).await?
        };
        let Some(found) = found else { return Ok(()) };
        if !self.wants_product_mail(&user).await? {
            return Ok(());
        }
        let link = self.notifier.sign_in_link();
        let template = Template::Announcement { name: user.name.clone(), title: found.title, body: found.body, link };
        self.notifier.send_mail(&template.render(&user.email)?).await?;
        Ok(())
    }
}
