//! Notices about accounts and access, on the notifications queue: "you were added to ACCOUNT"
//! and "access to ACCOUNT changed".

use roster_domain::role::Role;
use roster_domain::user::AccountStatus;
use roster_store::{accounts, memberships};

use super::{Handlers, JobError, Outcome};
use crate::jobs::enqueue_child_keyed;
use crate::jobs::payload::{AccessChangedMail, MemberAddedMail, Notice, PermissionsChanged};
use crate::notify::Template;

impl Handlers {
    pub(super) async fn member_added_mail(&self, job: MemberAddedMail) -> Outcome {
        let Some(user) = self.live_user(job.user_id).await? else { return Ok(()) };
        let Some(account) = self.live_account_name(job.account_id).await? else { return Ok(()) };
        let inviter = match job.added_by {
            Some(id) => self.live_user(id).await?.map(|u| u.name),
            None => None,
        };
        let link = self.notifier.sign_in_link();
        let template = Template::MemberAdded { name: user.name.clone(), inviter, account, link };
        self.notifier.send_mail(&template.render(&user.email)?).await?;
        Ok(())
    }

    /// Fan out one mail per recipient: the member (security notice) and every owner and admin
    /// of the account but the one who made the change (product notice; their preference decides
    /// when the mail is sent).
    pub(super) async fn permissions_changed(&self, parent: roster_domain::JobId, job: PermissionsChanged) -> Outcome {
        let mut conn = self.core.db.conn().await?;
        let admins = memberships::with_roles(&mut conn, job.account_id, &[Role::Owner, Role::Admin]).await?;
        drop(conn);
        let mut recipients = vec![(job.user_id, Notice::Security)];
        recipients.extend(
            admins
                .into_iter()
                .filter(|id| *id != job.user_id && Some(*id) != job.changed_by)
                .map(|id| (id, Notice::Product)),
        );
        let now = self.core.now();
        let mut tx = self.core.db.begin().await?;
        for (recipient, notice) in recipients {
            let mail = AccessChangedMail {
                user_id: recipient,
                subject_id: job.user_id,
                account_id: job.account_id,
                changed_by: job.changed_by,
                notice,
            };
            enqueue_child_keyed(&mut tx, parent, recipient.as_uuid().as_bytes(), &mail, now).await?;
        }
        self.core.commit(tx).await?;
        Ok(())
    }

    pub(super) async fn access_changed_mail(&self, job: AccessChangedMail) -> Outcome {
        let Some(recipient) = self.live_user(job.user_id).await? else { return Ok(()) };
        if job.notice == Notice::Product && !self.wants_product_mail(&recipient).await? {
            return Ok(());
        }
        let Some(account) = self.live_account_name(job.account_id).await? else { return Ok(()) };
        let mut conn = self.core.db.conn().await?;
        // The role as it is now: a later change sends its own notice.
        let role = memberships::governing(&mut conn, job.subject_id, job.account_id).await?;
        drop(conn);
        let role = role.map_or_else(|| "none".to_owned(), |m| m.role.as_str().to_owned());
        // Whose access, as the sentence needs it: "your", or "Grace Hopper's".
        let subject = if job.subject_id == recipient.id {
            "your".to_owned()
        } else {
            match self.live_user(job.subject_id).await? {
                Some(subject) => format!("{}'s", subject.name),
                None => return Ok(()),
            }
        };
        let changer = match job.changed_by {
            Some(id) => self.live_user(id).await?.map(|u| u.name),
            None => None,
        };
        let template = Template::AccessChanged { name: recipient.name.clone(), changer, subject, account, role };
        self.notifier.send_mail(&template.render(&recipient.email)?).await?;
        Ok(())
    }

    async fn live_account_name(&self, id: roster_domain::AccountId) -> Result<Option<String>, JobError> {
        let mut conn = self.core.db.conn().await?;
        Ok(accounts::find(&mut conn, id).await?.filter(|a| a.status != AccountStatus::Deleted).map(|a| a.name))
    }
}
